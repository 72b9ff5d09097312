"""The WhatsApp Cloud API webhook: Meta's verification handshake and the signed POSTs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from nigrani.core import edge
from nigrani.core.deps import DbSession, SettingsDep
from nigrani.core.i18n import _
from nigrani.grievances.channels.whatsapp import sender as whatsapp_sender
from nigrani.grievances.channels.whatsapp import service as whatsapp_service
from nigrani.grievances.channels.whatsapp.webhook import check_subscription

router = APIRouter(prefix="/webhooks/whatsapp", tags=["whatsapp"])
MAX_BODY = 1024 * 1024  # Meta's webhook bodies are a few KB; a media file never comes inline
__all__ = ["router", "whatsapp_sender"]  # importing the sender registers its outbox handlers


@router.get("", response_class=PlainTextResponse)
def verify(
    settings: SettingsDep,
    mode: Annotated[str, Query(alias="hub.mode", max_length=40)] = "",
    token: Annotated[str, Query(alias="hub.verify_token", max_length=500)] = "",
    challenge: Annotated[str, Query(alias="hub.challenge", max_length=500)] = "",
) -> PlainTextResponse:
    """Meta's subscription check: echo the challenge when the verify token is ours."""
    whatsapp_service.require_configured(settings)
    answer = check_subscription(settings, mode=mode, token=token, challenge=challenge)
    return PlainTextResponse(answer)


@router.post("")
async def receive(
    request: Request,
    db: DbSession,
    settings: SettingsDep,
    signature: Annotated[str | None, Header(alias="X-Hub-Signature-256", max_length=200)] = None,
) -> dict[str, int]:
    """A signed delivery of messages and statuses; stored and answered before the reply."""
    body = await edge.read_body(
        request, limit=MAX_BODY, refusal=_("The webhook body is too large.")
    )
    new = await run_in_threadpool(
        whatsapp_service.receive, db, settings=settings, body=body, signature=signature
    )
    return {"received": new}
