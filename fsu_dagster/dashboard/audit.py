"""The access log: one JSON line per page view — who looked at whom, when.

Fields: ``time`` (UTC, ISO 8601), ``user``, ``event`` (``view``, ``login``, ``login_failed``,
``logout``, ``session_revoked``, ``session_expired``, ``snapshot_unreadable``, ``error``,
``refused`` (a person outside the user's LPAs, :mod:`fsu_dagster.dashboard.scope`), ``print``
(an evidence pack), ``export`` (a CSV); sign-in: ``throttled``, ``locked``, ``login_locked``, ``unlock``,
``csrf_failed``, ``sso_failed``, ``sso_refused``), ``path``, ``status``, ``person_id`` (when a person's
page was viewed, printed, exported or refused), ``month``; an export adds ``format`` and ``rows``.
Never a name, date of birth or other personal value of the people shown: the person is named by
``person_id`` only, and only once it has the shape of a person ID (otherwise ``"invalid id"``,
and the path is recorded without it). The file is written mode ``0600`` (``FSU_FILE_MODE``).

Each request carries one :class:`RequestAudit` (``request.state.audit``, made by the app's
middleware): the dependencies and routes fill it in (who, which event, which person, which
month), and the middleware writes it as one line once the response is known.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fsu_dagster.filemodes import file_mode, make_private_dir
from fsu_dagster.warehouse import utc_now

__all__ = ["AuditLog", "RequestAudit", "request_audit"]


@dataclass
class RequestAudit:
    """What one request did, for its audit line. Filled in by the dependencies and routes.

    * ``user`` — the signed-in user (``CurrentUser``), or the name tried at sign-in / sign-out;
    * ``role`` — the signed-in user's role (pages show admin links from it; not written);
    * ``event`` — ``login``, ``login_failed`` or ``logout``; ``None`` means a page ``view``;
    * ``person_id`` — whose page was viewed (an ID, never a name);
    * ``month`` — the snapshot month the page showed (``YYYY-MM``).
    """

    user: str | None = None
    role: str | None = None
    event: str | None = None
    person_id: str | None = None
    month: str | None = None
    #: The path to record instead of the request's (when the path holds a value that failed validation).
    path: str | None = None
    #: More fields for the line (an export's ``format`` and ``rows``): aggregates and IDs only.
    extra: dict[str, Any] = field(default_factory=dict)

    def line(self, path: str, status: int | None) -> dict[str, Any] | None:
        """The fields for :meth:`AuditLog.write`, or ``None`` for an anonymous page view (not logged)."""
        if not (self.event or self.user):
            return None
        return {
            "user": self.user,
            "event": self.event or "view",
            "path": path,
            "status": status,
            "person_id": self.person_id,
            "month": self.month,
            **self.extra,
        }


def request_audit(request: Any) -> RequestAudit:
    """The request's :class:`RequestAudit` (made on first use; the app's middleware makes it first)."""
    audit = getattr(request.state, "audit", None)
    if not isinstance(audit, RequestAudit):
        audit = request.state.audit = RequestAudit()
    return audit


class AuditLog:
    def __init__(self, path: str | Path, mode: int | None = None) -> None:
        self.path = Path(path)
        self.mode = file_mode() if mode is None else mode
        self._lock = threading.Lock()

    def write(
        self,
        *,
        user: str | None,
        event: str,
        path: str,
        status: int | None = None,
        person_id: str | None = None,
        month: str | None = None,
        **extra: Any,
    ) -> None:
        """Append one record; ``extra`` fields (e.g. an export's ``format`` and ``rows``) follow the usual ones."""
        record = {
            "time": utc_now().isoformat(timespec="seconds") + "Z",
            "user": user,
            "event": event,
            "path": path,
            "status": status,
            "person_id": person_id,
            "month": month,
            **extra,
        }
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self._lock:
            make_private_dir(self.path.parent, self.mode)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, self.mode)
            if os.fstat(fd).st_mode & 0o777 != self.mode:
                os.fchmod(fd, self.mode)  # a file made earlier (or under another umask) is tightened too
            with os.fdopen(fd, "a", encoding="utf-8") as fh:
                fh.write(line)

    def tail(self, n: int = 200) -> list[dict]:
        """The last ``n`` records, newest first (for the admin page)."""
        if not self.path.is_file():
            return []
        with open(self.path, encoding="utf-8") as fh:
            lines = fh.readlines()[-n:]
        out = []
        for line in reversed(lines):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out
