"""The camera owner's side: open the one-time link, see what is asked, upload or decline.

Uploads speak the tus 1.0 core protocol (creation, HEAD for the offset, PATCH to append),
so an interrupted upload resumes where the server's last acknowledged byte was."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Header, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from nigrani.accounts.pages import page, see_other
from nigrani.canvass import footage, service, uploads
from nigrani.canvass.deps import OWNER_COOKIE, AnswerableRequest, OwnerRequest
from nigrani.canvass.kinds import kind_label
from nigrani.canvass.models import LIVE_REQUEST, FootageRequest
from nigrani.core import edge
from nigrani.core.db import MAX_BIG_ID, utcnow
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.errors import NigraniError, ValidationFailed
from nigrani.core.i18n import _
from nigrani.evidence import probe
from nigrani.evidence.models import EvidenceItem

router = APIRouter(include_in_schema=False)
TUS_VERSION = "1.0.0"
TUS = {"Tus-Resumable": TUS_VERSION}
MAX_CHUNK = 16 * 1024 * 1024
# Nothing the owner's pages say is cached, framed or sent on as a referrer (the link).
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}


def _refused(request: Request, exc: NigraniError) -> HTMLResponse:
    refused = page(
        request,
        "canvass/owner_refused.html",
        user=None,
        message=exc.message,
        status_code=exc.status,
    )
    refused.headers.update(PRIVATE)
    return refused


@router.get("/f/{token}", response_model=None)
def link_page(
    request: Request, token: str, db: DbSession, settings: SettingsDep
) -> HTMLResponse | RedirectResponse:
    """The landing page of the SMS link; opening it takes a tap (a POST), so a messaging
    app's link preview cannot use up the one-time link. The phone that opened it goes on."""
    try:
        known = footage.request_for_link(db, settings=settings, token=token[:100])
        if footage.is_bound_to(settings, known, request.cookies.get(OWNER_COOKIE, "")):
            return see_other("/footage")
        asked = footage.check_link(db, settings=settings, token=token[:100])
    except NigraniError as exc:
        return _refused(request, exc)
    station = service.station_of(db, asked.incident)
    landing = page(
        request, "canvass/owner_open.html", user=None, token=token, station=station, asked=asked
    )
    landing.headers.update(PRIVATE)
    return landing


@router.post("/f/{token}", response_model=None)
def open_link(
    request: Request, token: str, db: DbSession, settings: SettingsDep
) -> RedirectResponse | HTMLResponse:
    """Open the link once; this browser alone may then answer."""
    try:
        asked, device = footage.open_link(db, settings=settings, token=token[:100])
    except NigraniError as exc:
        return _refused(request, exc)
    response = see_other("/footage")
    age = max(60, int((asked.expires_at - asked.sent_at).total_seconds()))
    response.set_cookie(
        OWNER_COOKIE,
        device,
        max_age=age,
        path="/",
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",  # sent when the owner taps the SMS link again
    )
    response.headers.update(PRIVATE)
    return response


@router.get("/footage")
def owner_page(request: Request, db: DbSession, asked: OwnerRequest) -> HTMLResponse:
    """What the police ask for, and the upload and decline buttons."""
    received = [u for u in asked.uploads if u.status == "stored"]
    items = {i.id: i for u in received if (i := db.get(EvidenceItem, u.evidence_item_id or 0))}
    response = page(
        request,
        "canvass/owner.html",
        user=None,
        asked=asked,
        incident=asked.incident,
        station=service.station_of(db, asked.incident),
        kind_label=kind_label,
        received=[(u, items.get(u.evidence_item_id or 0)) for u in received],
        answerable=asked.status in LIVE_REQUEST and asked.expires_at > utcnow(),
    )
    response.headers.update(PRIVATE)
    return response


@router.post("/footage/decline")
def decline(
    db: DbSession, asked: AnswerableRequest, reason: Annotated[str, Form(max_length=500)] = ""
) -> RedirectResponse:
    """The owner says no; nothing more is asked."""
    footage.decline(db, request=asked, reason=reason)
    return see_other("/footage")


@router.options("/footage/uploads")
def tus_options() -> Response:
    """What this tus server supports."""
    headers = {
        **TUS,
        "Tus-Version": TUS_VERSION,
        "Tus-Extension": "creation",
        "Tus-Max-Size": str(MAX_CHUNK),
    }
    return Response(status_code=204, headers=headers)


def _metadata(header: str) -> dict[str, str]:
    import base64
    import binascii

    values: dict[str, str] = {}
    for pair in header.split(","):
        key, _sep, raw = pair.strip().partition(" ")
        try:
            values[key] = base64.b64decode(raw, validate=True).decode("utf-8") if raw else ""
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ValidationFailed(_("Upload-Metadata is not valid base64."), field="file") from exc
    return values


@router.post("/footage/uploads", status_code=201)
def create_upload(
    db: DbSession,
    settings: SettingsDep,
    asked: AnswerableRequest,
    upload_length: Annotated[int, Header(ge=0, le=MAX_BIG_ID)],
    upload_metadata: Annotated[str, Header(max_length=2000)] = "",
) -> Response:
    """Start a resumable upload of Upload-Length bytes (tus creation)."""
    name = _metadata(upload_metadata).get("filename", "footage")
    upload = uploads.create(
        db, settings=settings, request=asked, length=upload_length, filename=name
    )
    headers = {**TUS, "Location": f"/footage/uploads/{upload.id}", "Upload-Offset": "0"}
    return Response(status_code=201, headers=headers)


@router.head("/footage/uploads/{upload_id}")
def upload_offset(
    upload_id: str, db: DbSession, settings: SettingsDep, asked: AnswerableRequest
) -> Response:
    """How many bytes the server holds (where to resume)."""
    upload = uploads.get(db, settings=settings, request=asked, upload_id=upload_id)
    headers = {
        **TUS,
        "Upload-Offset": str(upload.offset),
        "Upload-Length": str(upload.length),
        "Cache-Control": "no-store",
    }
    return Response(status_code=200, headers=headers)


def _append(
    db: DbSession,
    settings: SettingsDep,
    asked: FootageRequest,
    upload_id: str,
    offset: int,
    data: bytes,
) -> dict[str, str]:
    upload = uploads.get(db, settings=settings, request=asked, upload_id=upload_id)
    try:
        uploads.append(db, settings=settings, upload=upload, offset=offset, data=data)
        headers = {**TUS, "Upload-Offset": str(upload.offset)}
        if upload.offset == upload.length:
            item = uploads.finish(db, settings=settings, upload=upload)
            headers["Nigrani-Evidence-Sha256"] = item.sha256
    except probe.NotVideo:
        db.commit()  # the refused upload stays closed: it no longer counts as unfinished
        raise
    return headers


@router.patch("/footage/uploads/{upload_id}", status_code=204)
async def append_chunk(
    request: Request,
    upload_id: str,
    db: DbSession,
    settings: SettingsDep,
    asked: AnswerableRequest,
    upload_offset: Annotated[int, Header(ge=0, le=MAX_BIG_ID)],
    content_type: Annotated[str, Header()] = "",
) -> Response:
    """Append bytes at Upload-Offset; the last part is checked with FFmpeg and stored."""
    if content_type != "application/offset+octet-stream":
        raise ValidationFailed(_("Send parts as application/offset+octet-stream."), field="file")
    data = await edge.read_body(
        request, limit=MAX_CHUNK, refusal=_("Send the file in parts of at most 16 MB.")
    )
    headers = await run_in_threadpool(_append, db, settings, asked, upload_id, upload_offset, data)
    return Response(status_code=204, headers=headers)
