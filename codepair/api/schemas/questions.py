"""Request and response bodies of the question bank and of rooms' questions."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from codepair.api.schemas.common import LANGUAGES, Language, Strict
from codepair.domain.projects.tree import TreeCaps, TreeError, check_files, check_path

Difficulty = Literal["easy", "medium", "hard"]
Compare = Literal["exact", "trailing_whitespace"]
QTitle = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Markdown = Annotated[str, Field(max_length=20_000)]
Program = Annotated[str, Field(max_length=64 * 1024)]
TestText = Annotated[str, Field(max_length=64 * 1024)]
_TAG = re.compile(r"^[a-z0-9+#._ -]+$")


def _tag(value: str) -> str:
    value = value.lower()
    if not _TAG.match(value):
        raise ValueError("a tag has letters, digits, spaces and + # . _ - only")
    return value


Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    AfterValidator(_tag),
]


def _starters(value: dict[str, str]) -> dict[str, str]:
    unknown = [key for key in value if key not in LANGUAGES]
    if unknown:
        raise ValueError(f"unknown language: {unknown[0][:32]}")
    return value


Starters = Annotated[
    dict[str, Program], Field(max_length=len(LANGUAGES)), AfterValidator(_starters)
]


def _project_files(value: dict[str, str]) -> dict[str, str]:
    try:
        check_files(value, TreeCaps())
    except TreeError as exc:
        raise ValueError(str(exc)) from exc
    return value


def _entry_path(value: str) -> str:
    if value:
        try:
            check_path(value)
        except TreeError as exc:
            raise ValueError(str(exc)) from exc
    return value


#: A project's files, path -> content (docs/projects.md: the path rules and caps).
ProjectFiles = Annotated[
    dict[str, str], Field(max_length=TreeCaps().max_files), AfterValidator(_project_files)
]
EntryPath = Annotated[str, Field(max_length=255), AfterValidator(_entry_path)]
Command = Annotated[str, Field(max_length=1000)]


class TestCase(Strict):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    stdin: TestText = ""
    expected_stdout: TestText = ""
    hidden: bool = False
    compare: Compare = "trailing_whitespace"


class Criterion(Strict):
    criterion: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
    ]
    description: Annotated[str, Field(max_length=1000)] = ""


class QuestionIn(Strict):
    title: QTitle
    prompt: Markdown = ""
    difficulty: Difficulty = "medium"
    tags: Annotated[list[Tag], Field(max_length=10)] = []
    starters: Starters = {}
    tests: Annotated[list[TestCase], Field(max_length=50)] = []
    solution: Program = ""
    solution_language: Language = "python"
    guidance: Markdown = ""
    rubric: Annotated[list[Criterion], Field(max_length=20)] = []
    # A project question: the starter tree, files only a tests run gets, the entry file, and
    # the command lines that run and test the project (the tests write JUnit XML).
    files: ProjectFiles = {}
    hidden_files: ProjectFiles = {}
    entry: EntryPath = ""
    run_command: Command = ""
    test_command: Command = ""


class QuestionPatch(Strict):
    title: QTitle | None = None
    prompt: Markdown | None = None
    difficulty: Difficulty | None = None
    tags: Annotated[list[Tag], Field(max_length=10)] | None = None
    starters: Starters | None = None
    tests: Annotated[list[TestCase], Field(max_length=50)] | None = None
    solution: Program | None = None
    solution_language: Language | None = None
    guidance: Markdown | None = None
    rubric: Annotated[list[Criterion], Field(max_length=20)] | None = None
    files: ProjectFiles | None = None
    hidden_files: ProjectFiles | None = None
    entry: EntryPath | None = None
    run_command: Command | None = None
    test_command: Command | None = None
    archived: bool | None = None


class AuthorOut(BaseModel):
    id: int
    name: str


class QuestionOut(BaseModel):
    id: str
    slug: str | None
    title: str
    prompt: str
    difficulty: Difficulty
    tags: list[str]
    starters: dict[str, str]
    tests: list[TestCase]
    solution: str
    solution_language: str
    guidance: str
    rubric: list[Criterion]
    files: dict[str, str] = {}
    hidden_files: dict[str, str] = {}
    entry: str = ""
    run_command: str = ""
    test_command: str = ""
    author: AuthorOut | None
    created_at: datetime
    updated_at: datetime
    archived: bool
    used: int


class QuestionList(BaseModel):
    items: list[QuestionOut]
    total: int


class QuestionDeleted(BaseModel):
    id: str
    outcome: Literal["deleted", "archived"]


class RoomQuestionAdd(Strict):
    question_id: Annotated[str, Field(min_length=1, max_length=24)]


class PresentIn(Strict):
    replace_code: bool = False


class VisibleTest(BaseModel):
    name: str
    stdin: str
    expected_stdout: str
    hidden: Literal[False] = False


class CandidateQuestionOut(BaseModel):
    """What a candidate may see of a presented question: never hidden tests' contents, the
    solution, the guidance or the rubric."""

    id: str
    title: str
    prompt: str
    starters: dict[str, str]
    tests: list[VisibleTest]


class CandidateProjectQuestionOut(CandidateQuestionOut):
    """A presented project question as a candidate sees it: also its starter tree and entry
    file (never its hidden files or commands)."""

    files: dict[str, str]
    entry: str


class RoomQuestionOut(BaseModel):
    id: str
    question_id: str | None
    position: int
    title: str
    prompt: str
    difficulty: Difficulty
    tags: list[str]
    starters: dict[str, str]
    tests: list[TestCase]
    solution: str
    solution_language: str
    guidance: str
    rubric: list[Criterion]
    files: dict[str, str] = {}
    hidden_files: dict[str, str] = {}
    entry: str = ""
    run_command: str = ""
    test_command: str = ""
    created_at: datetime
    presented_at: datetime | None


class RoomQuestionList(BaseModel):
    items: list[RoomQuestionOut | CandidateProjectQuestionOut | CandidateQuestionOut]


class PresentOut(BaseModel):
    question: RoomQuestionOut
    code_replaced: bool
    note: str = ""


class TryIn(Strict):
    language: Language | None = None
    code: Program | None = None


class TestResultOut(BaseModel):
    name: str
    hidden: bool
    passed: bool
    status: str | None = None
    wall_ms: int | None = None
    cpu_ms: int | None = None
    stdin: str | None = None
    expected_stdout: str | None = None
    actual_stdout: str | None = None
    stderr: str | None = None


class TryOut(BaseModel):
    status: str
    compile_output: str
    passed: int
    total: int
    wall_ms: int | None
    tests: list[TestResultOut]
