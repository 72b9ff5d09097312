"""Roles, the jurisdiction levels they sit at, and what each may do."""

from __future__ import annotations

from enum import StrEnum
from itertools import pairwise

from babel.support import LazyProxy

from nigrani.core.i18n import lazy_gettext


class Level(StrEnum):
    COMMISSIONERATE = "commissionerate"
    ZONE = "zone"
    CIRCLE = "circle"
    STATION = "station"
    POST = "post"


LEVEL_ORDER = list(Level)
PARENT_LEVEL = {child: parent for parent, child in pairwise(LEVEL_ORDER)}


class Role(StrEnum):
    CITIZEN = "citizen"
    CAMERA_OWNER = "camera_owner"
    STATION_STAFF = "station_staff"
    SHO = "sho"
    INVESTIGATING_OFFICER = "investigating_officer"
    CONTROL_ROOM = "control_room_operator"
    ACP = "acp"
    DCP = "dcp"
    COMMISSIONER = "commissioner"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Permission(StrEnum):
    VIEW_DASHBOARD = "view_dashboard"
    VIEW_AUDIT = "view_audit"
    MANAGE_USERS = "manage_users"
    MANAGE_JURISDICTION = "manage_jurisdiction"
    MANAGE_API_KEYS = "manage_api_keys"  # issue and revoke keys for civic apps and workers
    CITIZEN_SELF = "citizen_self"
    CANVASS = "canvass"  # incidents, the camera canvass, owners' contacts, evidence
    GRIEVANCES = "grievances"  # complaints in one's charge: queues, workflow, dashboards
    STATION_VIDEO = "station_video"  # station CCTV: cameras, live view with sound, playback
    REGISTER_CAMERAS = "register_cameras"  # add and edit registry sites inside one's charge
    IMPORT_CAMERAS = "import_cameras"  # bulk import of registry sites from CSV/XLSX
    # add and change station CCTV cameras (stream URLs, zones) inside one's charge
    MANAGE_STATION_CAMERAS = "manage_station_cameras"
    # camera health: accept a camera's new reference view after a deliberate move
    MANAGE_CAMERA_HEALTH = "manage_camera_health"
    # an analytics worker's key posts the events its rules raise on station cameras
    POST_ANALYTICS_EVENTS = "post_analytics_events"
    # acknowledge an analytics alert, record the instruction given, resolve it or mark it false
    HANDLE_ANALYTICS_ALERTS = "handle_analytics_alerts"
    # change a station's analytics rules (thresholds, switches, duty hours) inside one's charge
    MANAGE_ANALYTICS_RULES = "manage_analytics_rules"
    # hold video hearings (Jansunwai): the day's queue, calls, outcomes
    HOLD_HEARINGS = "hold_hearings"
    # publish and change hearing windows (hours, panel, holidays) for officers in one's charge
    PUBLISH_HEARING_WINDOWS = "publish_hearing_windows"


CITIZEN_ROLES = frozenset({Role.CITIZEN, Role.CAMERA_OWNER})
STAFF_ROLES = frozenset(set(Role) - CITIZEN_ROLES)

# Staff roles by rank, the chain of command from the top, then the roles beside it: the one
# order in which every list of roles is shown (never alphabetical).
STAFF_BY_RANK: tuple[Role, ...] = (
    Role.COMMISSIONER,
    Role.DCP,
    Role.ACP,
    Role.SHO,
    Role.INVESTIGATING_OFFICER,
    Role.STATION_STAFF,
    Role.CONTROL_ROOM,
    Role.AUDITOR,
    Role.ADMIN,
)

# Where in the tree each staff role may be attached.
ROLE_LEVELS: dict[Role, frozenset[Level]] = {
    Role.STATION_STAFF: frozenset({Level.STATION, Level.POST}),
    Role.SHO: frozenset({Level.STATION}),
    Role.INVESTIGATING_OFFICER: frozenset({Level.STATION, Level.POST}),
    Role.CONTROL_ROOM: frozenset({Level.COMMISSIONERATE, Level.ZONE}),
    Role.ACP: frozenset({Level.CIRCLE}),
    Role.DCP: frozenset({Level.ZONE}),
    Role.COMMISSIONER: frozenset({Level.COMMISSIONERATE}),
    Role.AUDITOR: frozenset({Level.COMMISSIONERATE}),  # the audit log is city-wide
    Role.ADMIN: frozenset({Level.COMMISSIONERATE}),
}

_STAFF = {Permission.VIEW_DASHBOARD}
_INVESTIGATE = _STAFF | {Permission.CANVASS, Permission.GRIEVANCES}
# Who watches station CCTV: the SHO for the own station, the control room and senior officers.
_WATCH = _INVESTIGATE | {Permission.STATION_VIDEO}
# Who edits the camera registry (docs/decisions.md): the SHO for the own station, the
# control room city-wide (it links cameras to the command centre), and the administrator;
# bulk imports only the last two. Everyone else reads it.
_REGISTER = {Permission.REGISTER_CAMERAS}
_IMPORT = {Permission.REGISTER_CAMERAS, Permission.IMPORT_CAMERAS}
# Who sets up station CCTV: the SHO for the own station and the control room, which runs
# the recorders; senior officers watch and play back but do not change a camera.
_SET_UP = {Permission.MANAGE_STATION_CAMERAS}
# Who tells the health checks a camera was moved on purpose (a new reference view): those
# who set cameras up or link them, the SHO for the own station, the control room, the
# administrator.
_HEALTH = {Permission.MANAGE_CAMERA_HEALTH}
# Who acts on an analytics alert: those who watch station CCTV, inside their charge.
_ALERTS = {Permission.HANDLE_ANALYTICS_ALERTS}
# Whose keys analytics workers carry: the control room, which runs the station machines, and
# the administrator, as whom the key page issues keys. No role is a machine's own.
_WORKER = {Permission.POST_ANALYTICS_EVENTS}
# Who sets a station's analytics rules: the SHO for the own station and the officers above,
# who answer for what the alerts ask of a station. The control room runs machines, not rules.
_RULES = {Permission.MANAGE_ANALYTICS_RULES}
# Who hears citizens by video (Jansunwai): the SHO and the officers above, each publishing
# their own hours; the administrator publishes windows for them but holds no hearing.
_HEAR = {Permission.HOLD_HEARINGS, Permission.PUBLISH_HEARING_WINDOWS}
PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CITIZEN: frozenset({Permission.CITIZEN_SELF}),
    Role.CAMERA_OWNER: frozenset({Permission.CITIZEN_SELF}),
    Role.STATION_STAFF: frozenset(_STAFF | {Permission.GRIEVANCES}),
    Role.SHO: frozenset(_WATCH | _REGISTER | _SET_UP | _HEALTH | _ALERTS | _RULES | _HEAR),
    Role.INVESTIGATING_OFFICER: frozenset(_INVESTIGATE),
    Role.CONTROL_ROOM: frozenset(_WATCH | _IMPORT | _SET_UP | _HEALTH | _ALERTS | _WORKER),
    Role.ACP: frozenset(_WATCH | _ALERTS | _RULES | _HEAR),
    Role.DCP: frozenset(_WATCH | _ALERTS | _RULES | _HEAR),
    Role.COMMISSIONER: frozenset(_WATCH | _ALERTS | _RULES | _HEAR | {Permission.VIEW_AUDIT}),
    Role.AUDITOR: frozenset(_STAFF | {Permission.VIEW_AUDIT}),
    Role.ADMIN: frozenset(
        _STAFF
        | {
            Permission.VIEW_AUDIT,
            Permission.MANAGE_USERS,
            Permission.MANAGE_JURISDICTION,
            Permission.MANAGE_API_KEYS,
        }
        | _IMPORT
        | _HEALTH
        | _WORKER
        | {Permission.PUBLISH_HEARING_WINDOWS}
    ),
}

ROLE_LABELS: dict[Role, LazyProxy] = {
    Role.CITIZEN: lazy_gettext("Citizen"),
    Role.CAMERA_OWNER: lazy_gettext("Camera owner"),
    Role.STATION_STAFF: lazy_gettext("Station staff"),
    Role.SHO: lazy_gettext("Station House Officer (SHO)"),
    Role.INVESTIGATING_OFFICER: lazy_gettext("Investigating officer"),
    Role.CONTROL_ROOM: lazy_gettext("Control-room operator"),
    Role.ACP: lazy_gettext("Assistant Commissioner (ACP)"),
    Role.DCP: lazy_gettext("Deputy Commissioner (DCP)"),
    Role.COMMISSIONER: lazy_gettext("Commissioner of Police"),
    Role.AUDITOR: lazy_gettext("Auditor"),
    Role.ADMIN: lazy_gettext("Administrator"),
}

LEVEL_LABELS: dict[Level, LazyProxy] = {
    Level.COMMISSIONERATE: lazy_gettext("Commissionerate"),
    Level.ZONE: lazy_gettext("Zone"),
    Level.CIRCLE: lazy_gettext("Circle"),
    Level.STATION: lazy_gettext("Police station"),
    Level.POST: lazy_gettext("Police post"),
}


LEVEL_PLURALS: dict[Level, LazyProxy] = {
    Level.COMMISSIONERATE: lazy_gettext("Commissionerates"),
    Level.ZONE: lazy_gettext("Zones"),
    Level.CIRCLE: lazy_gettext("Circles"),
    Level.STATION: lazy_gettext("Police stations"),
    Level.POST: lazy_gettext("Police posts"),
}


def role_label(role: str) -> str:
    """A role's name in the current language."""
    return str(ROLE_LABELS[Role(role)])


def level_label(level: str) -> str:
    """A jurisdiction level's name in the current language."""
    return str(LEVEL_LABELS[Level(level)])


def level_plural(level: str) -> str:
    """How many of a level: the plural name in the current language."""
    return str(LEVEL_PLURALS[Level(level)])


def has_permission(role: Role, permission: Permission) -> bool:
    """Whether a role carries a permission."""
    return permission in PERMISSIONS[role]
