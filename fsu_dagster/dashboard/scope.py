"""What a user may see: every LPA (``admin``, ``force``) or only their own (``lpa``).

An ``lpa`` user sees only the people whose home LPA (``person_home_lpa.home_lpa`` in the
snapshot, method 5.1.3) is one of theirs. A person with no home LPA is shown only to all-LPA
users: nobody can say which team they belong to. Ranks are never recomputed within a scope: a
person keeps their rank out of everyone.

Enforced on the server in three places: the main page and the list export ask
:func:`fsu_dagster.dashboard.queries.cohort_rows` for the scope's LPAs only (``lpas=``); the LPA
filter offers only the scope's LPAs (:meth:`Scope.filter_options`); and every route that shows one
person (details, print, person export) goes through
:func:`fsu_dagster.dashboard.routes.people.scoped_person`, which answers 403 and writes an audit
line with event ``refused`` and the person's ID for anyone out of scope.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from fsu_dagster.dashboard.users import User

__all__ = ["UNKNOWN_LPA", "Scope"]

#: The LPA filter's value for "no home LPA" (only offered to all-LPA users).
UNKNOWN_LPA = "UNKNOWN"


@dataclass(frozen=True)
class Scope:
    #: The LPAs the user may see; None = all of them (and people with no home LPA).
    lpas: frozenset[str] | None

    @classmethod
    def of(cls, user: User) -> Scope:
        if user.all_lpas:
            return cls(None)
        return cls(frozenset(x.upper() for x in user.lpas))

    @property
    def everything(self) -> bool:
        return self.lpas is None

    def allows(self, home_lpa: str | None) -> bool:
        """May the user see a person whose home LPA is ``home_lpa`` (None: no home LPA)?"""
        if self.lpas is None:
            return True
        return home_lpa is not None and home_lpa.upper() in self.lpas

    def filter_options(self, lpas: Iterable[str]) -> list[str]:
        """The LPA filter values to offer, in the configured order (``UNKNOWN`` only for all-LPA users)."""
        configured = list(lpas)
        if self.lpas is None:
            return [*configured, UNKNOWN_LPA]
        return [x for x in configured if x.upper() in self.lpas]

    def allows_filter(self, value: str | None) -> bool:
        """Is ``value`` an LPA filter this scope may ask for (None = no filter)?"""
        if value is None or self.lpas is None:
            return True
        return value.upper() in self.lpas
