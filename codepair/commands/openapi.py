"""The app's OpenAPI schema as JSON, without a server: ``python -m codepair.commands.openapi FILE``.

``make api-types`` writes it to ``web/src/api/openapi.json`` and turns it into the web
client's TypeScript types (``web/src/api/schema.d.ts``, by openapi-typescript); ``make lint``
regenerates both into a scratch directory and fails when the committed ones differ.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any


def schema() -> dict[str, Any]:
    """The schema of the whole app (core and peer), independent of this machine's settings."""
    from codepair.app import create_app
    from codepair.config import Settings

    with tempfile.TemporaryDirectory(prefix="codepair-openapi-") as scratch:
        # Neither a .env file nor CODEPAIR_* variables may change the committed schema.
        settings = Settings(_env_file=None, data_dir=Path(scratch), log_json=False)
        app = create_app(settings)
        return app.openapi()


def render() -> str:
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m codepair.commands.openapi FILE", file=sys.stderr)
        return 2
    Path(args[0]).write_text(render())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
