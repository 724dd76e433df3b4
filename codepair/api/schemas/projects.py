"""What the projects' own endpoints answer (``files.zip``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ImportOut(BaseModel):
    """A zip put into the room's tree: the files it wrote (an unchanged file is not one)."""

    written: list[str] = Field(description="Paths written, in order")
    files: int = Field(description="Files in the zip")
