"""The parts of a WhatsApp Cloud API webhook body that we read, validated by Pydantic.

Unknown keys are ignored (Meta adds fields without notice); a known key of the wrong type,
or a body nested deeper than pydantic-core's JSON limit (200 levels), is a ValidationError.
Every text that enters is cleaned of NUL and other control characters here, once.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, FiniteFloat

from nigrani.core.text import strip_control

Text = Annotated[str, AfterValidator(strip_control)]
# Meta sends one message per change; a signed body can still say anything, so bound it.
MAX_ITEMS = 100
Few = Field(max_length=MAX_ITEMS)


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TextPart(_Part):
    """`text` of a text message."""

    body: Text = ""


class MediaPart(_Part):
    """`image` or `audio` of a media message."""

    id: Text = ""
    mime_type: Text = ""
    caption: Text = ""


class LocationPart(_Part):
    """`location` of a shared pin."""

    latitude: FiniteFloat | None = None
    longitude: FiniteFloat | None = None
    name: Text = ""
    address: Text = ""


class Message(_Part):
    """One entry of `messages`."""

    id: Text = ""
    sender: Text = Field("", alias="from")
    type: Text = ""
    timestamp: Text | int | None = None
    text: TextPart | None = None
    image: MediaPart | None = None
    audio: MediaPart | None = None
    location: LocationPart | None = None


class StatusError(_Part):
    """One entry of a status's `errors`."""

    title: Text = ""


class StatusPart(_Part):
    """One entry of `statuses`."""

    id: Text = ""
    status: Text = ""
    timestamp: Text | int | None = None
    errors: Annotated[tuple[StatusError, ...], Few] = ()


class Profile(_Part):
    """A contact's `profile`."""

    name: Text = ""


class Contact(_Part):
    """One entry of `contacts`."""

    wa_id: Text = ""
    profile: Profile | None = None


class Metadata(_Part):
    """Which business number a change is for."""

    phone_number_id: Text = ""


class Value(_Part):
    """A change's `value`: messages to us, or statuses of what we sent."""

    metadata: Metadata | None = None
    contacts: Annotated[tuple[Contact, ...], Few] = ()
    messages: Annotated[tuple[Message, ...], Few] = ()
    statuses: Annotated[tuple[StatusPart, ...], Few] = ()


class Change(_Part):
    """One entry of `changes`."""

    field: Text = ""
    value: Value | None = None


class Entry(_Part):
    """One entry of `entry` (a business account)."""

    changes: Annotated[tuple[Change, ...], Few] = ()


class Payload(_Part):
    """The whole body."""

    object: Text = ""
    entry: Annotated[tuple[Entry, ...], Few] = ()
