"""Questions as files: one YAML file per question, so a team keeps its bank in git.

``codepair questions export DIR`` writes ``DIR/<slug>.yaml`` for every question of the bank
(archived ones too, with ``archived: true``); ``codepair questions import DIR`` reads every
``*.yaml`` there and creates or updates the question with that ``slug``: importing the same
files twice changes nothing. The format is in docs/questions.md.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from codepair.api.schemas.questions import QuestionIn
from codepair.db.models.questions import Question
from codepair.domain.questions import bank as questions

STARTER_DIR = Path(questions.__file__).resolve().parent / "starter"
#: The order of keys in a file: what a reviewer reads first comes first.
FIELD_ORDER = (
    "slug", "title", "difficulty", "tags", "prompt", "starters", "tests", "solution_language",
    "solution", "guidance", "rubric",
)
#: A project question's fields, written only when set (a one-file question's file is as before).
PROJECT_FIELDS = ("entry", "files", "hidden_files", "run_command", "test_command")
MAX_FILE_BYTES = 2 * 1024 * 1024
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,99}$")


class _Dumper(yaml.SafeDumper):
    """Multi-line strings as ``|`` blocks, so code and prompts read as they are."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def slugify(title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:80]
    return slug or "question"


def to_file(question: Question) -> str:
    """The YAML text of one question."""
    data: dict[str, Any] = {"slug": question.slug}
    for key in FIELD_ORDER[1:]:
        data[key] = getattr(question, key)
    data["tests"] = [
        {k: t[k] for k in ("name", "stdin", "expected_stdout", "hidden", "compare") if k in t}
        for t in question.tests
    ]
    for key in PROJECT_FIELDS:
        if getattr(question, key):
            data[key] = getattr(question, key)
    if question.archived_at is not None:
        data["archived"] = True
    text: str = yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100
    )
    return text


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_file(path: Path) -> tuple[str, dict[str, Any], bool]:
    """``(slug, content, archived)`` of one file; raises ValueError with the reason."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ValueError(f"over {MAX_FILE_BYTES} bytes")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ValueError("not a mapping of fields")
    slug = str(raw.pop("slug", None) or path.stem)
    if not _SLUG.match(slug):
        raise ValueError(f"slug {slug!r}: lower-case letters, digits and dashes only")
    archived = bool(raw.pop("archived", False))
    try:
        content = QuestionIn.model_validate(raw).model_dump()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ValueError(f"{where}: {first['msg']}") from exc
    return slug, content, archived


def _content(question: Question) -> dict[str, Any]:
    return QuestionIn.model_validate(
        {key: getattr(question, key) for key in questions.CONTENT_FIELDS}
    ).model_dump()


def read_dir(directory: Path) -> list[tuple[str, tuple[str, dict[str, Any], bool] | str]]:
    """Every ``*.yaml`` of ``directory``, by name: what it holds, or why it was refused."""
    out: list[tuple[str, tuple[str, dict[str, Any], bool] | str]] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            out.append((path.name, read_file(path)))
        except (OSError, ValueError) as exc:
            out.append((path.name, str(exc)))
    return out


async def import_dir(db: AsyncSession, directory: Path) -> ImportReport:
    """Create or update one question per ``*.yaml`` file, matched by slug."""
    report = ImportReport()
    for name, parsed in await asyncio.to_thread(read_dir, directory):
        if isinstance(parsed, str):
            report.errors.append(f"{name}: {parsed}")
            continue
        slug, content, archived = parsed
        found = await db.scalar(select(Question).where(Question.slug == slug))
        if found is None:
            made = await questions.create_question(db, None, content, slug=slug)
            if archived:
                made.archived_at = datetime.now(UTC)
            report.created.append(slug)
            continue
        if _content(found) == content and (found.archived_at is not None) == archived:
            report.unchanged.append(slug)
            continue
        for key, value in content.items():
            setattr(found, key, value)
        found.tag_index = questions.tag_index(content["tags"])
        found.archived_at = (found.archived_at or datetime.now(UTC)) if archived else None
        found.updated_at = datetime.now(UTC)
        report.updated.append(slug)
    await db.flush()
    return report


async def export_dir(db: AsyncSession, directory: Path) -> list[str]:
    """Write every question to ``directory``; a question without a slug gets one."""
    rows = list(await db.scalars(select(Question).order_by(Question.created_at, Question.id)))
    taken = {q.slug for q in rows if q.slug}
    written = []
    files: dict[str, str] = {}
    for q in rows:
        if not q.slug:
            base = slugify(q.title)
            slug, n = base, 2
            while slug in taken:
                slug, n = f"{base}-{n}", n + 1
            q.slug = slug
            taken.add(slug)
        files[f"{q.slug}.yaml"] = to_file(q)
        written.append(q.slug)
    await db.flush()
    await asyncio.to_thread(_write_all, directory, files)
    return written


def _write_all(directory: Path, files: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (directory / name).write_text(text, encoding="utf-8")
