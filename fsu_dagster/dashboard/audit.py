"""The access log: one JSON line per page view — who looked at whom, when.

Fields: ``time`` (UTC, ISO 8601), ``user``, ``event`` (``view``, ``login``, ``login_failed``,
``logout``), ``path``, ``status``, ``person_id`` (when a person's page was viewed), ``month``.
Never a name, date of birth or other personal value of the people shown: the person is named by
``person_id`` only.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from fsu_dagster.warehouse import utc_now

__all__ = ["AuditLog"]


class AuditLog:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
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
    ) -> None:
        record = {
            "time": utc_now().isoformat(timespec="seconds") + "Z",
            "user": user,
            "event": event,
            "path": path,
            "status": status,
            "person_id": person_id,
            "month": month,
        }
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
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
