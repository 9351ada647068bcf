"""The users file: who may sign in, with which role, their argon2 password hash and session version.

JSON, written by ``fsu user add`` (and ``reset-password``, ``set-role``, ``disable``, ``enable``)::

    {"users": {"alice": {"role": "lpa", "lpas": ["COVENTRY", "SOLIHULL"], "password_hash": "$argon2id$...",
                         "created_at": "...", "session_version": 3, "disabled": false}}}

**Roles** (:data:`ROLES`): ``admin`` (every LPA, the audit log, the users page, the data-quality
page), ``force`` (every LPA and the data-quality page) and ``lpa`` (only the people whose home LPA
is one of the user's ``lpas``; see :mod:`fsu_dagster.dashboard.scope`). An ``lpa`` user has at
least one LPA; the other roles have none. A users file from before roles existed says
``viewer``: it reads as ``force`` (the old viewer saw every LPA), and ``add_user`` /
``set_role`` accept ``viewer`` as another name for ``force`` and store ``force``. The LPA names
are upper case; the CLI checks them against the configured ``lpas`` (:func:`check_lpas`).

Only argon2 hashes are stored (argon2-cffi's ``PasswordHasher`` defaults, argon2id). The file is
re-read on every request, so adding or removing a user needs no restart.

**Session version.** A signed-in session carries the user's ``session_version`` in its signed
cookie; the dashboard compares it with the file on every request. Signing out, a password
reset, a role change and disabling the account all add one to it, which ends every session of
that user at once (a captured cookie is refused from then on). Every change is a locked
read-modify-write (``fcntl.flock`` on a lock file beside it) followed by an atomic replace, so the
dashboard (sign-out) and ``fsu user`` (the CLI) can change the file at the same time safely.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from fsu_dagster.filemodes import file_mode, make_private_dir
from fsu_dagster.warehouse import utc_now

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "OLD_ROLES",
    "ROLES",
    "Role",
    "UnknownUser",
    "User",
    "UserInfo",
    "add_user",
    "authenticate",
    "check_lpas",
    "disable_user",
    "enable_user",
    "end_sessions",
    "list_users",
    "load_users",
    "lookup",
    "remove_user",
    "reset_password",
    "set_role",
    "sign_in",
    "unlock_user",
]

Role = Literal["admin", "force", "lpa"]
ROLES: tuple[str, ...] = ("admin", "force", "lpa")
#: Role names of older users files, and what they read as.
OLD_ROLES: dict[str, str] = {"viewer": "force"}
MIN_PASSWORD_LENGTH = 12
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_hasher = PasswordHasher()
#: Verified against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0000")


@dataclass(frozen=True)
class User:
    name: str
    role: str
    #: The user's current session version (a session signed with another one is refused).
    session_version: int = 0
    #: An ``lpa`` user's LPAs (upper case, sorted); empty for ``admin`` and ``force``.
    lpas: tuple[str, ...] = ()

    @property
    def version(self) -> int:
        return self.session_version

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def all_lpas(self) -> bool:
        """Sees every LPA (``admin`` or ``force``)."""
        return self.role in ("admin", "force")


@dataclass(frozen=True)
class UserInfo:
    """One line of ``fsu user list`` and the users page: never a hash."""

    name: str
    role: str
    lpas: tuple[str, ...]
    disabled: bool
    #: Whatever makes the entry unusable (an unknown role, an lpa user with no LPA), else None.
    problem: str | None
    created_at: str | None
    updated_at: str | None
    #: Locked out after repeated wrong passwords (an admin unlocks it).
    locked: bool = False


def load_users(path: str | Path) -> dict[str, dict]:
    p = Path(path)
    if not p.is_file():
        return {}
    data = json.loads(p.read_text(encoding="utf-8") or "{}")
    users = data.get("users", {})
    if not isinstance(users, dict):
        raise TypeError(f"{p}: 'users' must be an object")
    return users


class UnknownUser(LookupError):
    """No such user in the users file."""


def _save(path: Path, users: dict[str, dict]) -> None:
    make_private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    mode = file_mode()
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        os.fchmod(fd, mode)  # whatever the umask, and for a left-over temporary file
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"users": users}, fh, indent=2, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock for a read-modify-write of the users file (the CLI and the dashboard both write)."""
    make_private_dir(path.parent)
    lock = path.with_name(f".{path.name}.lock")
    mode = file_mode()
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, mode)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _version(entry: dict) -> int:
    value = entry.get("session_version", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _change(path: str | Path, name: str, change: Callable[[dict], None]) -> dict:
    """Apply ``change`` to ``name``'s entry and add one to their session version (ending their sessions)."""
    p = Path(path)
    with _locked(p):
        users = load_users(p)
        entry = users.get(name)
        if not isinstance(entry, dict):
            raise UnknownUser(name)
        change(entry)
        entry["session_version"] = _version(entry) + 1
        entry["updated_at"] = utc_now().isoformat(timespec="seconds")
        _save(p, users)
        return entry


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")


def _normal_lpas(lpas: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted({str(x).strip().upper() for x in lpas if str(x).strip()}))


def _check_role(role: str, lpas: Iterable[str] = ()) -> tuple[str, tuple[str, ...]]:
    """The role as stored (``viewer`` -> ``force``) and its LPAs; ValueError for a role / LPAs that do not fit."""
    role = OLD_ROLES.get(role, role)
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    names = _normal_lpas(lpas)
    if role == "lpa" and not names:
        raise ValueError("an lpa user needs at least one LPA (--lpa NAME)")
    if role != "lpa" and names:
        raise ValueError(f"a {role} user sees every LPA: give --lpa only with --role lpa")
    return role, names


def check_lpas(lpas: Iterable[str], configured: Iterable[str]) -> tuple[str, ...]:
    """``lpas`` upper-cased, when each is one of the ``configured`` LPAs; ValueError naming any that is not."""
    known = {x.upper() for x in configured}
    names = _normal_lpas(lpas)
    unknown = [x for x in names if x not in known]
    if unknown:
        raise ValueError(
            f"unknown LPA {', '.join(unknown)}; the configured LPAs are {', '.join(sorted(known)) or '(none)'}"
        )
    return names


def _entry_user(name: str, entry: Any) -> User | None:
    """The entry as a :class:`User`; None when it cannot sign in (disabled, unknown role, lpa without LPAs)."""
    if not isinstance(entry, dict) or entry.get("disabled"):
        return None
    role = OLD_ROLES.get(entry.get("role"), entry.get("role"))  # type: ignore[arg-type]
    raw = entry.get("lpas") or []
    if role not in ROLES or not isinstance(raw, list):
        return None
    lpas = _normal_lpas(raw) if role == "lpa" else ()
    if role == "lpa" and not lpas:
        return None  # an lpa user with no LPA sees nothing: refused rather than shown an empty list
    return User(name, str(role), _version(entry), lpas)


def add_user(path: str | Path, name: str, password: str, role: str = "force", lpas: Iterable[str] = ()) -> User:
    """Add ``name`` (or replace their password, role and LPAs, ending their sessions) in the users file."""
    if not _NAME.match(name):
        raise ValueError("user name: letters, digits, '.', '_' or '-', at most 64 characters")
    role, names = _check_role(role, lpas)
    _check_password(password)
    p = Path(path)
    with _locked(p):
        users = load_users(p)
        old = users.get(name)
        version = _version(old) + 1 if isinstance(old, dict) else 0
        users[name] = {
            "role": role,
            "lpas": list(names),
            "password_hash": _hasher.hash(password),
            "created_at": utc_now().isoformat(timespec="seconds"),
            "session_version": version,
            "disabled": False,
        }
        _save(p, users)
    return User(name, role, version, names)


def reset_password(path: str | Path, name: str, password: str) -> None:
    """Give ``name`` a new password; every session they have ends. UnknownUser / ValueError."""
    _check_password(password)
    new_hash = _hasher.hash(password)
    _change(path, name, lambda e: e.update(password_hash=new_hash))


def set_role(path: str | Path, name: str, role: str, lpas: Iterable[str] = ()) -> None:
    """Change ``name``'s role and LPAs; every session they have ends (they sign in again with the new scope)."""
    role, names = _check_role(role, lpas)
    _change(path, name, lambda e: e.update(role=role, lpas=list(names)))


def disable_user(path: str | Path, name: str) -> None:
    """Stop ``name`` signing in; every session they have ends. The entry is kept (``enable_user`` undoes it)."""
    _change(path, name, lambda e: e.update(disabled=True))


def enable_user(path: str | Path, name: str) -> None:
    """Let a disabled user sign in again (with their existing password)."""
    _change(path, name, lambda e: e.update(disabled=False))


def end_sessions(path: str | Path, name: str) -> bool:
    """End every session of ``name`` (sign-out does this). False when there is no such user."""
    try:
        _change(path, name, lambda e: None)
    except UnknownUser:
        return False
    return True


def remove_user(path: str | Path, name: str) -> bool:
    p = Path(path)
    with _locked(p):
        users = load_users(p)
        if name not in users:
            return False
        del users[name]
        _save(p, users)
    return True


def authenticate(path: str | Path, name: str, password: str) -> User | None:
    """The user when ``password`` matches their stored hash; None otherwise (same cost either way)."""
    entry = load_users(path).get(name) if _NAME.match(name or "") else None
    stored = entry.get("password_hash") if isinstance(entry, dict) else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if not stored:
        return None
    if not isinstance(entry, dict) or is_locked(entry):  # locked out (issue 13): refused even with the right password
        return None
    return _entry_user(name, entry)


def lookup(path: str | Path, name: str) -> User | None:
    """The user as currently in the file; None when removed or disabled (their sessions stop working)."""
    return _entry_user(name, load_users(path).get(name))


def list_users(path: str | Path) -> list[UserInfo]:
    """Every user in the file, by name: role, LPAs, disabled, and what is wrong with an unusable entry."""
    out = []
    for name, entry in sorted(load_users(path).items()):
        if not isinstance(entry, dict):
            out.append(UserInfo(name, "?", (), False, "not an object", None, None))
            continue
        raw_role = entry.get("role")
        role = OLD_ROLES.get(raw_role, raw_role)  # type: ignore[arg-type]
        raw = entry.get("lpas") or []
        lpas = _normal_lpas(raw) if isinstance(raw, list) else ()
        problem = None
        if role not in ROLES:
            problem = f"unknown role {raw_role!r}"
        elif role == "lpa" and not lpas:
            problem = "lpa user with no LPA"
        out.append(
            UserInfo(
                name,
                str(role),
                lpas,
                bool(entry.get("disabled")),
                problem,
                entry.get("created_at"),
                entry.get("updated_at"),
                is_locked(entry),
            )
        )
    return out


# --- Lock-out after repeated failures (issue 13) ------------------------------------------------
# Two more fields per entry: ``failed_logins`` (consecutive wrong passwords since the last success
# or unlock) and ``locked_at`` (UTC, ISO 8601; set when ``failed_logins`` reaches the limit). A
# locked account cannot sign in even with the right password until an admin unlocks it
# (``fsu user unlock NAME`` or the users page). Locking does not end sessions already open.

#: Consecutive wrong passwords that lock an account (``FSU_LOCKOUT_FAILURES``).
DEFAULT_LOCKOUT_FAILURES = 10


@dataclass(frozen=True)
class SignIn:
    """The outcome of :func:`sign_in`: the user when it succeeded; else why not (never shown to the client)."""

    user: User | None
    #: The account is locked (this attempt was refused whatever the password).
    locked: bool = False
    #: This attempt's wrong password locked the account.
    just_locked: bool = False


def failed_logins(entry: dict) -> int:
    value = entry.get("failed_logins", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def is_locked(entry: dict) -> bool:
    """Whether a users-file entry is locked out."""
    return bool(entry.get("locked_at"))


def _update_entry(path: Path, name: str, change: Callable[[dict], bool]) -> dict | None:
    """A locked read-modify-write of ``name``'s entry without touching the session version.

    ``change`` returns whether it changed anything (then the file is written). None: no such user.
    """
    with _locked(path):
        users = load_users(path)
        entry = users.get(name)
        if not isinstance(entry, dict):
            return None
        if change(entry):
            _save(path, users)
        return entry


def sign_in(path: str | Path, name: str, password: str, *, max_failures: int = DEFAULT_LOCKOUT_FAILURES) -> SignIn:
    """Check a password and keep the lock-out count: the dashboard's sign-in.

    The password is verified first, with the same cost for a wrong name, a wrong password and a
    locked account. A wrong password for an existing user adds one to ``failed_logins``; reaching
    ``max_failures`` sets ``locked_at``. A right password resets the count (unless locked). A
    users file that cannot be written keeps the sign-in working (and logs nothing about the user).
    """
    p = Path(path)
    entry = load_users(p).get(name) if _NAME.match(name or "") else None
    stored = entry.get("password_hash") if isinstance(entry, dict) else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
        right = bool(stored)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        right = False
    if not isinstance(entry, dict):
        return SignIn(None)
    if is_locked(entry):
        return SignIn(None, locked=True)
    if right:
        if failed_logins(entry):
            with contextlib.suppress(OSError):
                _update_entry(p, name, lambda e: e.pop("failed_logins", None) is not None)
        return SignIn(lookup(p, name))
    locked_now = False

    def count(e: dict) -> bool:
        nonlocal locked_now
        e["failed_logins"] = failed_logins(e) + 1
        if e["failed_logins"] >= max_failures and not is_locked(e):
            e["locked_at"] = utc_now().isoformat(timespec="seconds")
            locked_now = True
        return True

    with contextlib.suppress(OSError):
        _update_entry(p, name, count)
    return SignIn(None, locked=locked_now, just_locked=locked_now)


def unlock_user(path: str | Path, name: str) -> bool:
    """Unlock ``name`` and clear their failure count. True when they were locked; UnknownUser when no such user."""
    was_locked = False

    def unlock(e: dict) -> bool:
        nonlocal was_locked
        was_locked = is_locked(e)
        changed = was_locked or failed_logins(e) > 0
        e.pop("locked_at", None)
        e.pop("failed_logins", None)
        return changed

    if _update_entry(Path(path), name, unlock) is None:
        raise UnknownUser(name)
    return was_locked
