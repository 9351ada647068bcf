"""Identity: the Connect identity index and linking people to Connect persons.

One module per layer of a linker (``docs/architecture.md`` gives each module's role):
``normal_forms`` -> ``blocking`` -> ``comparisons`` -> ``scoring`` -> ``estimation`` ->
``decision``, wired by ``linker.link_records`` with every tuning constant in
``config.LinkConfig``; ``exact`` is the contract's rule. ``index`` builds the identity
index, ``controlworks`` and ``context`` link the people on ControlWorks logs,
``clustering`` groups the unlinked, ``quality`` summarises, and ``modes`` maps a link
mode to its linking function.
"""

from fsu_dagster.identity.clustering import cluster_unlinked
from fsu_dagster.identity.config import LINK_CONFIG, LinkConfig
from fsu_dagster.identity.controlworks import controlworks_mentions, home_postcodes, link_controlworks
from fsu_dagster.identity.exact import link_exact
from fsu_dagster.identity.index import identity_index
from fsu_dagster.identity.linker import link_records
from fsu_dagster.identity.modes import LINK_MODES, LinkFunction, controlworks_linker, record_linker
from fsu_dagster.identity.quality import link_quality
from fsu_dagster.identity.variants import identity_variants

__all__ = [
    "LINK_CONFIG",
    "LINK_MODES",
    "LinkConfig",
    "LinkFunction",
    "cluster_unlinked",
    "controlworks_linker",
    "controlworks_mentions",
    "home_postcodes",
    "identity_index",
    "identity_variants",
    "link_controlworks",
    "link_exact",
    "link_quality",
    "link_records",
    "record_linker",
]
