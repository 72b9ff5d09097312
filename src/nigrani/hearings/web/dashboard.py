"""The hearings dashboard (calls per day and per officer, waits, no-shows, outcomes; page and
CSV) and a window's printable day list (page and PDF), inside the caller's charge."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from nigrani.accounts.deps import Scope, require_staff
from nigrani.accounts.pages import page
from nigrani.accounts.roles import Permission
from nigrani.core import pdf
from nigrani.core.db import MAX_ID
from nigrani.core.deps import DbSession, Now, SettingsDep
from nigrani.core.errors import ValidationFailed
from nigrani.core.i18n import _, current_language, format_ist, to_ist
from nigrani.hearings import day_list, day_pdf, figures, figures_csv, labels
from nigrani.hearings.figures import NO_OUTCOME
from nigrani.hearings.models import OUTCOMES

router = APIRouter(include_in_schema=False)

get_hearing_viewer = require_staff(
    Permission.HOLD_HEARINGS, lambda: _("Your role does not hold hearings.")
)
Viewer = Annotated[Scope, Depends(get_hearing_viewer)]
# Days come as text and are parsed by figures.parse_date, which says what was wrong.
FromDay = Annotated[str | None, Query(alias="from", max_length=20)]
ToDay = Annotated[str | None, Query(alias="to", max_length=20)]
WindowId = Annotated[int, Query(alias="window", ge=1, le=MAX_ID)]
Day = Annotated[str, Query(max_length=20)]


def get_board(
    db: DbSession, scope: Viewer, now: Now, first: FromDay = None, last: ToDay = None
) -> figures.Dashboard:
    """The dashboard asked for: the period from the query, the caller's windows."""
    chosen = figures.period(first=first, last=last, today=to_ist(now).date())
    return figures.dashboard(db, scope_path=scope.node.path, user_id=scope.user.id, period=chosen)


def get_day_list(db: DbSession, scope: Viewer, window_id: WindowId, day: Day) -> day_list.DayList:
    """The day list asked for: a window inside the caller's charge (else 404), one day."""
    chosen = figures.parse_date(day, name="day")
    if chosen is None:
        raise ValidationFailed(_("Choose a day."), field="day")
    window = day_list.visible_window(
        db, window_id=window_id, scope_path=scope.node.path, user_id=scope.user.id
    )
    return day_list.day_list(db, window=window, day=chosen)


Board = Annotated[figures.Dashboard, Depends(get_board)]
CurrentDayList = Annotated[day_list.DayList, Depends(get_day_list)]


def _download(body: bytes, media_type: str, filename: str) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=media_type, headers=headers)


@router.get("/hearings/dashboard")
def dashboard_page(request: Request, scope: Viewer, board: Board) -> HTMLResponse:
    """Hearings in one's charge over a period: per day, per officer, per sitting."""
    context: dict[str, Any] = {
        "board": board,
        "outcomes": (*OUTCOMES, NO_OUTCOME),
        "outcome_label": day_list.outcome_label,
        "minutes": figures_csv.minutes,
        "max_days": figures.MAX_DAYS,
        "hhmm": day_list.hhmm,
    }
    return page(request, "hearings/dashboard.html", user=scope.user, **context)


@router.get("/hearings/dashboard.csv", dependencies=[Depends(get_hearing_viewer)])
def dashboard_csv(board: Board) -> Response:
    """The dashboard's tables as CSV (UTF-8 with BOM, so spreadsheets read the Hindi)."""
    body = ("\ufeff" + figures_csv.to_csv(board)).encode("utf-8")
    p = board.period
    return _download(body, "text/csv; charset=utf-8", f"hearings-{p.first}-{p.last}.csv")


@router.get("/hearings/day")
def day_page(request: Request, scope: Viewer, found: CurrentDayList) -> HTMLResponse:
    """A window's day as a printable list: number, time, masked name, topic, state, outcome."""
    context: dict[str, Any] = {
        "found": found,
        "totals": found.figures,
        "headers": day_pdf.headers(),
        "state_label": labels.state_label,
        "outcome_label": day_list.outcome_label,
        "minutes": figures_csv.minutes,
        "title": day_pdf.title(found),
        "hhmm": day_list.hhmm,
    }
    return page(request, "hearings/day.html", user=scope.user, **context)


@router.get("/hearings/day.pdf", dependencies=[Depends(get_hearing_viewer)])
def day_pdf_file(
    db: DbSession,
    settings: SettingsDep,
    now: Now,
    found: CurrentDayList,
    lang: Literal["hi", "en"] | None = None,  # noqa: ARG001 - validates ?lang (see below)
) -> Response:
    """The day list as a printable A4 PDF (language from `?lang=hi|en`)."""
    # The language middleware has already applied `?lang`; the parameter only validates it.
    language = current_language.get()
    generated = format_ist(now, settings.timezone)
    db.commit()  # loaded: rendering holds no transaction
    with pdf.render_turn():
        body = day_pdf.render(found, lang=language, generated=generated, demo=settings.demo)
    name = f"hearing-{found.window.id}-{found.day.isoformat()}-{language}.pdf"
    return _download(body, "application/pdf", name)
