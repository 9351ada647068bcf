"""Identity: the Connect identity index and linking ControlWorks people to Connect persons.

``normalise`` holds the name and PNC ID normalisation of the data contract (section 3),
``exact`` the method's exact linking rule (``link_exact``). Fuzzy linking plugs in
beside it with the same signature.
"""

from fsu_dagster.identity.clustering import cluster_unlinked
from fsu_dagster.identity.exact import link_exact
from fsu_dagster.identity.linker import DEFAULT_THRESHOLD, link_controlworks, link_quality, link_records
from fsu_dagster.identity.variants import identity_variants

__all__ = [
    "DEFAULT_THRESHOLD",
    "cluster_unlinked",
    "identity_variants",
    "link_controlworks",
    "link_exact",
    "link_quality",
    "link_records",
]
