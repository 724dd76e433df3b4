"""Request and response bodies of the REST API, a module per concept (as in codepair.domain)."""
