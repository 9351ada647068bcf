"""The page templates and their filters: one ``templates`` object for the app and every router.

Kept apart from :mod:`fsu_dagster.dashboard.main` so imports run one way: ``main`` -> routes ->
``rendering`` / ``deps`` / ``queries`` / ``views``; nothing imports ``main`` back.

Filters: ``local`` (a naive-UTC timestamp in UK local time), ``num`` (thousands separators,
``yes``/``no`` for booleans), ``month_label`` (``Oct 2026``). Every page also gets
``force_name``, ``signed_in``, ``is_admin``, ``role`` and ``csrf_token``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates

from fsu_dagster.dashboard.audit import request_audit
from fsu_dagster.dashboard.csrf import csrf_token
from fsu_dagster.settings import FsuSettings

__all__ = ["PACKAGE_DIR", "render_error", "templates"]

PACKAGE_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=PACKAGE_DIR / "templates")

try:
    _LONDON: dt.tzinfo = ZoneInfo("Europe/London")
except (ZoneInfoNotFoundError, ValueError):  # pragma: no cover - no time zone database
    _LONDON = dt.UTC


def _local_time(value: Any, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A naive-UTC timestamp (the pipeline's convention) shown in UK local time; dates as they are."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=dt.UTC).astimezone(_LONDON).strftime(fmt)
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or digits == 0:
        return f"{round(float(value)):,}"
    return f"{float(value):,.{digits}f}"


def _month_label(value: Any) -> str:
    return value.strftime("%b %Y") if isinstance(value, dt.date) else str(value)


templates.env.filters["local"] = _local_time
templates.env.filters["num"] = _num
templates.env.filters["month_label"] = _month_label


def _context_processor(request: Request) -> dict[str, Any]:
    settings: FsuSettings = request.app.state.settings
    return {
        "force_name": settings.force_name,
        "signed_in": request.session.get("user"),
        "is_admin": request_audit(request).role == "admin",
        "role": request_audit(request).role,
        "csrf_token": csrf_token(request),
    }


templates.context_processors.append(_context_processor)


def render_error(request: Request, status: int, title: str, message: str) -> Response:
    return templates.TemplateResponse(
        request, "pages/error.html", {"status": status, "title": title, "message": message}, status_code=status
    )
