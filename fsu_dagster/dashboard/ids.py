"""Person IDs from a request: checked against the contract's shape before any use or logging.

Two kinds of ID reach the dashboard (data contract, "Identity"):

* **Connect person IDs** — the source system's own key (``connect_persons.person_id``, a string;
  the synthetic data uses ``P`` and digits). The default shape, :data:`CONNECT_ID_PATTERN`, is
  a letter or digit followed by at most 31 letters, digits, ``-``, ``_``, ``/`` or ``.``; a force
  whose IDs look otherwise sets ``FSU_PERSON_ID_PATTERN``.
* **Provisional ControlWorks IDs** — ``CW:`` and the first 12 hex digits of a SHA-1
  (:data:`fsu_dagster.identity.clustering.CW_PREFIX`, made in ``cluster_unlinked``).

Anything else is refused (404) and logged as ``"invalid id"``, never as the value sent.
"""

from __future__ import annotations

import functools
import re

from fsu_dagster.identity.clustering import CW_PREFIX

__all__ = ["CONNECT_ID_PATTERN", "CW_ID_PATTERN", "INVALID_ID", "valid_person_id"]

CONNECT_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_./-]{0,31}"
CW_ID_PATTERN = re.escape(CW_PREFIX) + r"[0-9a-f]{12}"
#: What the audit line records instead of an ID that fails the check.
INVALID_ID = "invalid id"


@functools.lru_cache(maxsize=8)
def _compiled(connect_pattern: str) -> re.Pattern[str]:
    return re.compile(rf"(?:{CW_ID_PATTERN})|(?:{connect_pattern})")


def valid_person_id(value: str, connect_pattern: str | None = None) -> bool:
    """True when ``value`` has the shape of a Connect person ID or a ``CW:`` ID (whole string)."""
    if not isinstance(value, str) or len(value) > 64:
        return False
    return _compiled(connect_pattern or CONNECT_ID_PATTERN).fullmatch(value) is not None
