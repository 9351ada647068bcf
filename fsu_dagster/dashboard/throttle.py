"""Sign-in throttling: at most so many attempts per account and per client address (the ``limits`` library).

Two moving-window limits, both checked before a password is verified:

* per account (the user name tried, case-folded): default ``5/minute`` (``FSU_LOGIN_LIMIT_ACCOUNT``);
  slows guessing one account's password from many addresses;
* per client address: default ``20/minute`` (``FSU_LOGIN_LIMIT_ADDRESS``); slows one address trying
  many accounts (credential stuffing, password spraying).

Every attempt within the limits counts, right or wrong; a refused one does not (the moving window
reopens as the counted attempts age out of it). An attempt over either limit is answered 429 with
``Retry-After`` and the password is not checked at all (no argon2 work, no lock-out count). The counters live in memory
(``limits.storage.MemoryStorage``): per dashboard process, reset on restart — the persistent
defence is the lock-out (:mod:`fsu_dagster.dashboard.users`, ``failed_logins``).

The client address is the connection's peer (``request.client.host``). Behind a reverse proxy run
uvicorn with ``--proxy-headers --forwarded-allow-ips=<the proxy>`` so that is the real client,
otherwise every user shares the proxy's address and its limit.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

__all__ = ["DEFAULT_ACCOUNT_LIMIT", "DEFAULT_ADDRESS_LIMIT", "LoginThrottle", "Throttled", "parse_limit"]

DEFAULT_ACCOUNT_LIMIT = "5/minute"
DEFAULT_ADDRESS_LIMIT = "20/minute"


def parse_limit(text: str) -> RateLimitItem:
    """``"5/minute"``, ``"20 per hour"`` (the ``limits`` notation); ValueError when it is not one."""
    try:
        return parse(text)
    except ValueError as exc:
        raise ValueError(f"not a rate limit ({exc}); write e.g. 5/minute or 100/hour") from None


@dataclass(frozen=True)
class Throttled:
    """An attempt over a limit: which one (``account`` or ``address``) and seconds until another is allowed."""

    scope: str
    retry_after: int


class LoginThrottle:
    """The two sign-in limits, in memory (one per app)."""

    def __init__(self, account: str = DEFAULT_ACCOUNT_LIMIT, address: str = DEFAULT_ADDRESS_LIMIT) -> None:
        self.account = parse_limit(account)
        self.address = parse_limit(address)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def attempt(self, account: str, address: str) -> Throttled | None:
        """Count one sign-in attempt; a :class:`Throttled` when it is over either limit (then refuse it)."""
        checks = (("account", self.account, account.casefold()), ("address", self.address, address))
        over = None
        for scope, item, key in checks:
            # hit() counts the attempt and says whether it was within the limit; both are counted.
            if not self._limiter.hit(item, "login", scope, key) and over is None:
                over = (scope, item, key)
        if over is None:
            return None
        scope, item, key = over
        reset, _ = self._limiter.get_window_stats(item, "login", scope, key)
        return Throttled(scope, max(1, math.ceil(reset - time.time())))
