"""Every tuning constant of the linker, in one frozen, documented object.

``LINK_CONFIG`` is what production uses; ``link_records(..., config=...)`` and
``link_controlworks(..., config=...)`` take another ``LinkConfig`` (built with
``dataclasses.replace(LINK_CONFIG, ...)``) for experiments. The comparisons' own m and
u per level are part of their definitions (``comparisons``), not tuning constants.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

__all__ = ["LINK_CONFIG", "LinkConfig"]


def _household_defaults() -> Mapping[tuple[str, str], float]:
    return MappingProxyType({("surname", "postcode"): 0.5, ("surname", "phone"): 0.5, ("phone", "postcode"): 0.3})


@dataclass(frozen=True)
class LinkConfig:
    """The linker's tuning constants (see ``docs/identity.md`` for how each was chosen)."""

    # -- decision --------------------------------------------------------------------
    #: Default fuzzy threshold on the posterior probability that the query is the linked person.
    threshold: float = 0.8
    #: Prior probability that a query's person is somewhere in the index.
    prior_in_index: float = 0.5
    #: Upper bound of the estimated share of queries whose person is in the index.
    max_prior_in_index: float = 0.9
    #: The prior spreads that probability over at least this many people, so that a tiny
    #: index (a test, a small benchmark) does not make weak evidence look strong.
    population_floor: int = 10_000
    #: Candidate pairs whose log-odds (prior + weight) fall below this are not kept.
    prune_log_odds: float = -20.0
    #: A *sure* link: it counts towards a person's frequency prior and the share of queries
    #: in the index, teaches who appears with whom on a log (``log_context_links``), and
    #: may pass its person on to other calls from the same number (``propagate_by_phone``).
    sure_score: float = 0.99

    # -- scoring ---------------------------------------------------------------------
    #: P(forename and surname entered the wrong way round | same person).
    swap_m: float = 0.02
    #: Penalty (bits) when surname and DOB agree exactly but the forenames disagree: the
    #: pattern of twins, whose surname and DOB are not independent chance agreements.
    twin_bits: float = 5.0
    #: Pseudo-count of the term-frequency smoothing: a value's u is
    #: ``(people with the value + tf_pseudo * u0) / (people + tf_pseudo)``.
    tf_pseudo: int = 1000
    #: m below this is treated as this (a level never seen among anchors is rare, not impossible).
    m_floor: float = 1e-3
    #: Household dependence. People who share an address or a number are mostly family:
    #: given that two records share a home postcode (or a phone number), a shared surname
    #: (or number) is no longer a chance agreement. ``h`` is the share of pairs sharing
    #: the first field that are related through the second: P(second agrees | first
    #: agrees) = h + (1 − h) · u(second). Keys are (second field, first field). These are
    #: the defaults, used when the index has fewer than ``household_min_pairs`` pairs to
    #: estimate from: about every other pair of people at one address shares a surname; a
    #: household shares its landline less often.
    household_h: Mapping[tuple[str, str], float] = field(default_factory=_household_defaults)

    # -- estimation ------------------------------------------------------------------
    #: Below this many index pairs sharing the first field, ``household_h`` is used as it is.
    household_min_pairs: int = 10
    #: Pseudo-pairs pulling the household estimates towards ``household_h`` (weak: the
    #: estimates rest on at least ``household_min_pairs`` pairs).
    household_pseudo: int = 1
    #: Pseudo-counts pulling estimated m and u towards the documented defaults.
    m_pseudo: int = 200
    u_pseudo: int = 10_000
    #: A level's u is estimated only if the sample should show it this many times.
    u_min_expected: int = 50
    #: Random index pairs drawn to estimate u.
    u_sample: int = 50_000
    #: Below this many people in the index, u is not estimated (the defaults are used).
    min_people_to_estimate: int = 1_000
    #: Bounds of the expectation-maximisation estimate of the share of queries in the index.
    em_prior_bounds: tuple[float, float] = (0.05, 0.99)
    #: Pseudo-records at ``prior_in_index`` in that estimate: a handful of queries cannot
    #: move it far from ½ (one query with one good candidate is not evidence that every
    #: query's person is in the index).
    em_pseudo: int = 100

    # -- blocking --------------------------------------------------------------------
    #: Skip a blocking key value shared by more index rows than this (per rule).
    max_block: int = 1000
    #: A blocking rule with a fallback switches to it above this many pairs per query on average.
    max_pairs_per_query: float = 10.0
    #: Candidate pairs are built, and scored pairs reduced to each query's best versions,
    #: for this many query identities at a time: memory follows the chunk, not the window
    #: (the results do not depend on it).
    query_chunk: int = 100_000
    #: Candidate pairs are scored in blocks of about this many identity pairs (whole query
    #: chunks). With one block (a force's window: ~18 M) the pairs are built and scored once;
    #: with more (a Metropolitan-sized window: ~165 M, far too many to hold at once) a first
    #: pass over the blocks estimates m from their anchors and a second builds and scores each
    #: block again for the candidates, so memory follows the block, not the window. The
    #: results do not depend on it.
    scoring_block_pairs: int = 30_000_000

    # -- ControlWorks context rules --------------------------------------------------
    #: A bare phone number is linked only after this many links of that number, all to one person.
    phone_only_min_links: int = 3
    #: Pseudo-logs pulling a person's own "who is on my logs" shares towards the force-wide
    #: share of self-reports (``log_context_links``).
    context_pseudo: float = 5.0
    #: At most this share of a person's co-mentions is credited to known people: the rest
    #: stays with "someone else", so the context never becomes certainty on its own.
    context_max_share: float = 0.95
    #: Below this many logs with both people surely linked, the self-report share is not
    #: estimated and the context pass does nothing.
    context_min_logs: int = 50
    #: Provisional ``CW:`` groups larger than this (a junk DOB, a switchboard number)
    #: create no edges (``clustering.cluster_unlinked``).
    max_cluster_group: int = 200

    def check_threshold(self, threshold: float | None) -> float:
        """``threshold`` (default ``self.threshold``) as a float in [0, 1]."""
        value = self.threshold if threshold is None else float(threshold)
        if not 0.0 <= value <= 1.0:
            raise ValueError("threshold must lie in [0, 1]")
        return value


#: The configuration production uses.
LINK_CONFIG = LinkConfig()
