"""REST routers: a package per concept (as in codepair.domain), a module per resource."""
