"""Owner contact details: encrypted at rest, masked for display, revealed only when audited."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from nigrani.cameras.models import Site
from nigrani.core import audit
from nigrani.core.config import Settings
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _
from nigrani.core.phones import mask_mobile, normalize_mobile
from nigrani.core.security import FieldCipher, keyed_hash
from nigrani.core.text import mask_name


def set_owner(site: Site, *, settings: Settings, name: str | None, mobile: str | None) -> None:
    """Store the owner's contact encrypted, with a lookup hash and masked copies."""
    cipher = FieldCipher(settings.encryption_key)
    name = (name or "").strip()
    site.owner_name_enc = cipher.encrypt(name) if name else None
    site.owner_name_masked = mask_name(name) if name else None
    if mobile and mobile.strip():
        e164 = normalize_mobile(mobile, settings.phone_region)
        site.owner_phone_enc = cipher.encrypt(e164)
        site.owner_phone_hash = keyed_hash(settings.secret_key, "phone", e164)
        site.owner_phone_masked = mask_mobile(e164)
    else:
        site.owner_phone_enc = site.owner_phone_hash = site.owner_phone_masked = None


def erase_owner(site: Site) -> None:
    """Forget every personal detail of the owner (withdrawal, erasure)."""
    site.owner_name_enc = site.owner_phone_enc = site.owner_phone_hash = None
    site.owner_name_masked = site.owner_phone_masked = None
    site.owner_user_id = None
    site.address = ""
    site.health_sms, site.health_sms_at = False, None


def name_for_owner(site: Site, *, settings: Settings) -> str:
    """The owner's own name in clear, for the owner's own page (the caller checks that the
    viewer owns the site; no audit, as nobody else sees it)."""
    return (
        FieldCipher(settings.encryption_key).decrypt(site.owner_name_enc)
        if site.owner_name_enc
        else ""
    )


@dataclass(frozen=True, slots=True)
class OwnerContact:
    name: str
    mobile: str


def reveal(
    session: Session,
    *,
    site: Site,
    settings: Settings,
    actor: audit.Actor,
    reference: str,
    reason: str,
) -> OwnerContact:
    """The owner's contact in clear, for a recorded incident and reason; always audited."""
    if not reference.strip() or len(reason.strip()) < 10:
        raise ValidationFailed(
            _("Give the incident reference and a reason of at least 10 characters."),
            field="reason",
        )
    cipher = FieldCipher(settings.encryption_key)
    contact = OwnerContact(
        name=cipher.decrypt(site.owner_name_enc) if site.owner_name_enc else "",
        mobile=cipher.decrypt(site.owner_phone_enc) if site.owner_phone_enc else "",
    )
    audit.record(
        session,
        actor=actor,
        action="site.owner_revealed",
        object_type="site",
        object_id=site.id,
        reason=reason.strip(),
        reference=reference.strip(),
    )
    return contact
