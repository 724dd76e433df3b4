"""The ASGI entry point servers import: ``codepair.asgi:app``."""

from __future__ import annotations

import os

from codepair.app import create_app

app = create_app(only=os.environ.get("CODEPAIR_ONLY") or None)
