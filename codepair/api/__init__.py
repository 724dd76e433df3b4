"""The REST API (core service): thin routers over :mod:`codepair.domain`."""
