"""Is a landing month complete? Month arithmetic for the schedule, the sensor and backfills.

No Dagster import: the schedule and the landing sensor (``fsu_dagster.defs.automation``) and
``fsu backfill`` call these functions.

A landing month folder ``landing/YYYY-MM/`` is **complete** when

* it holds the ready marker (``_READY`` by default, ``landing_ready_marker``): the extract job
  writes it last, and it says "complete" at once; or
* every required extract (``landing_required_extracts``, default all nine) is present as
  ``<extract>.csv`` or ``.parquet`` and the files have stopped growing: the sensor compares the
  folder's fingerprint (file names, sizes, modification times) with the one it saw on its
  previous tick; the schedule, which has no previous tick, needs every file unchanged for
  ``landing_settle_seconds``.

Only file names, sizes and times are read, never file contents.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from fsu_dagster.window import WINDOW_MONTHS

__all__ = [
    "LandingFolder",
    "add_months",
    "inspect_folder",
    "landing_months",
    "month_key",
    "months_between",
    "previous_complete_month",
    "window_of",
    "windows_including",
]

_FOLDER = re.compile(r"^(\d{4})-(\d{2})$")
SUFFIXES = (".csv", ".parquet")


def add_months(month: dt.date, n: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_key(month: dt.date) -> str:
    """The partition key of ``month``: ``YYYY-MM-01``."""
    return month.replace(day=1).isoformat()


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """``first`` .. ``last`` inclusive, first days of months."""
    out, m = [], first.replace(day=1)
    while m <= last:
        out.append(m)
        m = add_months(m, 1)
    return out


def window_of(month: dt.date) -> list[dt.date]:
    """The twelve landing months of window month ``month``: ``M-11 .. M``."""
    return months_between(add_months(month, -(WINDOW_MONTHS - 1)), month)


def windows_including(month: dt.date) -> list[dt.date]:
    """The window months whose twelve months include landing month ``month``: ``M .. M+11``."""
    return months_between(month, add_months(month, WINDOW_MONTHS - 1))


def previous_complete_month(when: dt.datetime | dt.date, cadence: str = "monthly") -> dt.date | None:
    """The newest calendar month that has ended by ``when`` (``cadence='quarterly'``: only when it
    ends a quarter — March, June, September, December — else ``None``)."""
    day = when.date() if isinstance(when, dt.datetime) else when
    month = add_months(day.replace(day=1), -1)
    if cadence == "quarterly" and month.month % 3 != 0:
        return None
    return month


def landing_months(landing_dir: Path | str) -> list[dt.date]:
    """The month folders (``YYYY-MM``) present in the landing area, oldest first."""
    root = Path(landing_dir)
    if not root.is_dir():
        return []
    found = []
    for path in root.iterdir():
        m = _FOLDER.match(path.name)
        if m and path.is_dir() and 1 <= int(m.group(2)) <= 12:
            found.append(dt.date(int(m.group(1)), int(m.group(2)), 1))
    return sorted(found)


@dataclass(frozen=True)
class LandingFolder:
    """What one look at ``landing/YYYY-MM/`` found (names, sizes and times only)."""

    month: dt.date
    exists: bool
    marker: bool
    missing: tuple[str, ...]
    #: (file name, size in bytes, modification time in ns), sorted by name.
    files: tuple[tuple[str, int, int], ...]

    @property
    def fingerprint(self) -> str:
        """A digest of the folder's files: it changes when any file is added, grows or is touched."""
        payload = json.dumps([self.marker, list(self.files)], separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    @property
    def newest_change_ns(self) -> int:
        return max((f[2] for f in self.files), default=0)

    def ready(
        self, *, previous_fingerprint: str | None = None, now: dt.datetime | None = None, settle_seconds: int = 0
    ) -> tuple[bool, str]:
        """``(complete, reason)``. Complete when the marker is present, or every required extract is
        present and either unchanged since ``previous_fingerprint`` (sensor) or unchanged for
        ``settle_seconds`` before ``now`` (schedule)."""
        label = f"landing/{self.month:%Y-%m}"
        if not self.exists:
            return False, f"{label} does not exist yet"
        if self.marker:
            return True, f"{label} has its ready marker"
        if self.missing:
            return False, f"{label} is incomplete: no {', '.join(self.missing)} yet"
        if now is not None:
            age = now.timestamp() - self.newest_change_ns / 1e9
            if age < settle_seconds:
                return (
                    False,
                    f"{label} changed {max(age, 0):.0f} s ago "
                    f"(waiting until files are unchanged for {settle_seconds} s)",
                )
            return True, f"{label} has every required extract, unchanged for {age:.0f} s"
        if previous_fingerprint != self.fingerprint:
            return False, f"{label} has every required extract; waiting one more tick to see the files stop growing"
        return True, f"{label} has every required extract, unchanged since the previous tick"


def inspect_folder(
    landing_dir: Path | str, month: dt.date, required: list[str] | tuple[str, ...], marker: str = "_READY"
) -> LandingFolder:
    """Look at ``landing_dir/YYYY-MM/``: which required extracts are missing, the marker, file sizes."""
    folder = Path(landing_dir) / f"{month:%Y-%m}"
    if not folder.is_dir():
        return LandingFolder(month, False, False, tuple(required), ())
    files = []
    present = set()
    for path in folder.iterdir():
        if not path.is_file():
            continue
        if path.suffix in SUFFIXES:
            present.add(path.stem)
        elif path.name != marker:
            continue
        stat = path.stat()
        files.append((path.name, stat.st_size, stat.st_mtime_ns))
    missing = tuple(name for name in required if name not in present)
    return LandingFolder(month, True, (folder / marker).is_file(), missing, tuple(sorted(files)))
