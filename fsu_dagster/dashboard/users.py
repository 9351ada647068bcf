"""The users file: who may sign in, with which role, and their argon2 password hash.

JSON, written by ``fsu user add``::

    {"users": {"alice": {"role": "viewer", "password_hash": "$argon2id$...", "created_at": "..."}}}

Only argon2 hashes are stored (argon2-cffi's ``PasswordHasher`` defaults, argon2id). The file is
re-read on every sign-in, so adding or removing a user needs no restart.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from fsu_dagster.warehouse import utc_now

__all__ = ["MIN_PASSWORD_LENGTH", "ROLES", "Role", "User", "add_user", "authenticate", "load_users", "remove_user"]

Role = Literal["viewer", "admin"]
ROLES: tuple[str, ...] = ("viewer", "admin")
MIN_PASSWORD_LENGTH = 12
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_hasher = PasswordHasher()
#: Verified against when the user does not exist, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0000")


@dataclass(frozen=True)
class User:
    name: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def load_users(path: str | Path) -> dict[str, dict]:
    p = Path(path)
    if not p.is_file():
        return {}
    data = json.loads(p.read_text(encoding="utf-8") or "{}")
    users = data.get("users", {})
    if not isinstance(users, dict):
        raise TypeError(f"{p}: 'users' must be an object")
    return users


def _save(path: Path, users: dict[str, dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"users": users}, fh, indent=2, sort_keys=True)
            fh.write("\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def add_user(path: str | Path, name: str, password: str, role: str = "viewer") -> User:
    """Add ``name`` (or replace their password and role) in the users file."""
    if not _NAME.match(name):
        raise ValueError("user name: letters, digits, '.', '_' or '-', at most 64 characters")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    users = load_users(path)
    users[name] = {"role": role, "password_hash": _hasher.hash(password), "created_at": utc_now().isoformat(timespec="seconds")}
    _save(Path(path), users)
    return User(name, role)


def remove_user(path: str | Path, name: str) -> bool:
    users = load_users(path)
    if name not in users:
        return False
    del users[name]
    _save(Path(path), users)
    return True


def authenticate(path: str | Path, name: str, password: str) -> User | None:
    """The user when ``password`` matches their stored hash; None otherwise (same cost either way)."""
    entry = load_users(path).get(name) if _NAME.match(name or "") else None
    stored = entry.get("password_hash") if isinstance(entry, dict) else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if not stored or not isinstance(entry, dict) or entry.get("role") not in ROLES:
        return None
    return User(name, entry["role"])


def lookup(path: str | Path, name: str) -> User | None:
    """The user as currently in the file (a removed user's session stops working)."""
    entry = load_users(path).get(name)
    if not isinstance(entry, dict) or entry.get("role") not in ROLES:
        return None
    return User(name, entry["role"])
