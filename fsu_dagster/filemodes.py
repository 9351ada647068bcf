"""File modes for everything that holds personal data: owner-only by default, or a configured group.

The warehouse, the published snapshots, exports, the dashboard's users file and its audit log
hold names, addresses or password hashes, so they are written mode ``0600`` (folders the
pipeline creates for them ``0700``). A force that runs the dashboard as another account in a
shared group sets ``FSU_FILE_MODE=0640`` (read for the group; folders then ``0750``). Only the
owner's read/write bits and the group's read/write bits are accepted: a mode that would let
"other" users read is refused.

No Dagster or dashboard import: the pipeline, ``publish`` and the dashboard all use this module.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path

__all__ = ["DEFAULT_FILE_MODE", "dir_mode", "file_mode", "make_private_dir", "parse_mode", "private_umask", "restrict"]

log = logging.getLogger("fsu_dagster")

DEFAULT_FILE_MODE = 0o600
_ALLOWED = 0o660  # owner rw, group rw: never "other", never execute


def parse_mode(value: str | int | None) -> int:
    """``"0600"``/``"600"``/``0o640`` -> the mode; ``None``/``""`` -> ``0600``. ValueError for an unsafe mode."""
    if value is None or value == "":
        return DEFAULT_FILE_MODE
    mode = value if isinstance(value, int) else int(str(value).strip().removeprefix("0o"), 8)
    if mode & ~_ALLOWED or (mode & 0o600) != 0o600:
        raise ValueError(
            f"file mode must give the owner read/write and others nothing (e.g. 0600, 0640), got {oct(mode)}"
        )
    return mode


def file_mode() -> int:
    """The mode for personal-data files: ``FSU_FILE_MODE`` (octal), default ``0600``."""
    return parse_mode(os.environ.get("FSU_FILE_MODE"))


def dir_mode(mode: int | None = None) -> int:
    """The folder mode matching a file mode: a search bit wherever there is a read bit (0600 -> 0700)."""
    mode = file_mode() if mode is None else mode
    return mode | ((mode & 0o444) >> 2)


def restrict(path: str | os.PathLike[str], mode: int | None = None) -> None:
    """Set ``path``'s mode (if it exists) to the personal-data file mode (a warning if we do not own it)."""
    try:
        os.chmod(path, file_mode() if mode is None else mode)
    except FileNotFoundError:
        pass
    except PermissionError:
        log.warning("cannot set the mode of %s (not its owner); check it is not readable by others", path)


def make_private_dir(path: str | os.PathLike[str], mode: int | None = None) -> Path:
    """Create ``path`` (and parents) if missing; a folder created here gets :func:`dir_mode`.

    An existing folder keeps its mode (it may be shared, e.g. ``/tmp``): only what we create is changed.
    """
    folder = Path(path)
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, dir_mode(mode))
    return folder


@contextlib.contextmanager
def private_umask(mode: int | None = None) -> Iterator[None]:
    """Within the block, files this process creates get at most ``mode`` (e.g. DuckDB's file and its WAL).

    The umask is process-wide: only a more restrictive one is ever set, and the previous one is
    restored afterwards.
    """
    wanted = 0o777 & ~dir_mode(mode)
    old = os.umask(wanted)
    try:
        yield
    finally:
        os.umask(old)
