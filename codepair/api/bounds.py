"""The bounds of every integer the REST API reads, in one place (docs/api.md).

A number out of range never reaches the database. In a path it names no row: 404 (the error
handler answers so for a path number out of its bounds; a path that is no number at all stays
a 422, as any other malformed input). In a query or a body it is bad input: 422.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

from codepair.db.limits import ID_MAX

OFFSET_MAX = 1_000_000

IdPath = Annotated[int, Path(ge=1, le=ID_MAX)]
"""A row id in the path (a user's); out of range it answers 404, not a number 422."""

IdField = Annotated[int, Field(ge=1, le=ID_MAX)]
"""A row id in a request body."""

IdQuery = Annotated[int | None, Query(ge=1, le=ID_MAX)]
"""An optional row id in the query (``before_id``)."""

Offset = Annotated[int, Query(ge=0, le=OFFSET_MAX)]
"""How many rows a page skips."""

__all__ = ["ID_MAX", "OFFSET_MAX", "IdField", "IdPath", "IdQuery", "Offset"]
