"""What each audit action code means, in the Babel catalogue (lazy), for the audit page.

The code stays what the log stores and exports; people read the label. A code added
later without a label shows as it is, so nothing is hidden."""

from __future__ import annotations

from babel.support import LazyProxy

from nigrani.core import audit
from nigrani.core.i18n import lazy_gettext

AUDIT_ACTIONS: dict[str, LazyProxy] = {
    "audit.export": lazy_gettext("Audit log exported"),
    "category.target": lazy_gettext("Camera category target changed"),
    "health.reference": lazy_gettext("New reference view accepted"),
    "citizen.register": lazy_gettext("Citizen signed up"),
    "complaint.close": lazy_gettext("Complaint closed"),
    "complaint.create": lazy_gettext("Complaint registered"),
    "complaint.complainant_revealed": lazy_gettext("Complainant's number shown"),
    "demo.seed": lazy_gettext("Demo jurisdictions loaded"),
    "demo.seed_cameras": lazy_gettext("Demo cameras loaded"),
    "evidence.received": lazy_gettext("Evidence received"),
    "evidence.verified": lazy_gettext("Evidence checked (hash)"),
    "evidence.copied": lazy_gettext("Evidence copied"),
    "evidence.exported": lazy_gettext("Evidence exported"),
    "evidence.viewed": lazy_gettext("Evidence viewed"),
    "evidence.deleted": lazy_gettext("Evidence deleted"),
    "evidence.bundle_exported": lazy_gettext("Court bundle exported"),
    "footage.declined": lazy_gettext("Owner declined footage"),
    "footage.opened": lazy_gettext("Owner opened the footage link"),
    "incident.create": lazy_gettext("Incident created"),
    "jurisdiction.import": lazy_gettext("Jurisdictions imported"),
    "login": lazy_gettext("Signed in"),
    "login.failed": lazy_gettext("Sign-in failed"),
    "site.create": lazy_gettext("Camera site added"),
    "site.export": lazy_gettext("Camera registry exported"),
    "site.footage_cancelled": lazy_gettext("Footage request cancelled"),
    "site.footage_requested": lazy_gettext("Footage requested"),
    "site.footage_resent": lazy_gettext("Footage request sent again"),
    "site.import": lazy_gettext("Camera sites imported"),
    "site.owner_revealed": lazy_gettext("Owner's contact shown"),
    "site.owner_sms": lazy_gettext("Owner's number used for a camera-offline SMS"),
    "site.health_sms_on": lazy_gettext("Owner asked for camera-offline SMS"),
    "site.health_sms_off": lazy_gettext("Camera-offline SMS to the owner turned off"),
    "site.pause": lazy_gettext("Camera site paused"),
    "site.resume": lazy_gettext("Camera site resumed"),
    "site.register": lazy_gettext("Camera registered by its owner"),
    "site.update": lazy_gettext("Camera site changed"),
    "site.withdraw": lazy_gettext("Camera site withdrawn"),
    "sms.retry": lazy_gettext("SMS sent again"),
    "stations.camera.create": lazy_gettext("Station camera added"),
    "stations.camera.update": lazy_gettext("Station camera changed"),
    "stations.clip.export": lazy_gettext("Station clip saved as evidence"),
    "stations.hold.place": lazy_gettext("Recording hold placed"),
    "stations.hold.release": lazy_gettext("Recording hold released"),
    "stations.live.view": lazy_gettext("Live camera watched"),
    "stations.live.wall": lazy_gettext("Live wall opened"),
    "stations.playback.playlist": lazy_gettext("Recording opened"),
    "stations.playback.view": lazy_gettext("Playback opened"),
    "stations.playback.watch": lazy_gettext("Recording watched"),
    "stations.snapshot.view": lazy_gettext("Camera snapshot viewed"),
    "token.issue": lazy_gettext("API key issued"),
    "token.revoke": lazy_gettext("API key revoked"),
    "user.create": lazy_gettext("Account added"),
    "user.disable": lazy_gettext("Account disabled"),
    "user.enable": lazy_gettext("Account enabled again"),
    "user.update": lazy_gettext("Account changed"),
    "user.password_change": lazy_gettext("Password changed"),
    "user.password_reset": lazy_gettext("Password reset"),
    "user.totp_enabled": lazy_gettext("Authenticator app set up"),
    "user.totp_replaced": lazy_gettext("Authenticator app replaced"),
}


def audit_action_label(code: str) -> str:
    """An audit action as people read it, in the current language (unknown: the code)."""
    label = AUDIT_ACTIONS.get(code)
    return str(label) if label is not None else code


AUDIT_OBJECTS: dict[str, LazyProxy] = {
    "api_token": lazy_gettext("API key"),
    "audit_log": lazy_gettext("Audit log"),
    "camera_category": lazy_gettext("Camera category"),
    "complaint": lazy_gettext("Complaint"),
    "evidence": lazy_gettext("Evidence"),
    "evidence_bundle": lazy_gettext("Court bundle"),
    "footage_request": lazy_gettext("Footage request"),
    "health_target": lazy_gettext("Probed camera"),
    "incident": lazy_gettext("Incident"),
    "jurisdiction": lazy_gettext("Jurisdiction"),
    "jurisdiction_node": lazy_gettext("Jurisdiction"),
    "recording_hold": lazy_gettext("Recording hold"),
    "site": lazy_gettext("Camera site"),
    "sms": lazy_gettext("SMS"),
    "station_camera": lazy_gettext("Station camera"),
    "user": lazy_gettext("Account"),
}
SYSTEM = lazy_gettext("Nigrani (automatic)")


def audit_object_label(object_type: str) -> str:
    """What kind of thing an audit row is about, in the current language."""
    label = AUDIT_OBJECTS.get(object_type)
    return str(label) if label is not None else object_type


def audit_actor_label(actor_label: str) -> str:
    """Who did it: a person's name as stored; the product itself in the current language."""
    return str(SYSTEM) if actor_label == audit.SYSTEM.label else actor_label
