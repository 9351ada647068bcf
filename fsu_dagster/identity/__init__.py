"""Identity: the Connect identity index and linking ControlWorks people to Connect persons.

``normalise`` holds the name and PNC ID normalisation of the data contract (section 3),
``exact`` the method's exact linking rule (``link_exact``). Fuzzy linking plugs in
beside it with the same signature.
"""
