"""Running code against a question's tests: comparing, recording, and who sees what.

A tests run is an ordinary run (a row in ``runs``, admitted and rate-limited like any) whose
per-test results sit beside it in ``run_tests``. Visible tests run first and hidden ones last,
so a program cannot carry a hidden input (through /tmp, say) into a visible test's output
that the candidate sees. Results reach a candidate only through :func:`results_for`: a
hidden test is ``{name, hidden: true, passed}`` and nothing else; on the events socket
everyone gets ``run.finished`` with that view, and interviewers' sockets alone get
``run.tests`` with every detail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from codepair.db.engine import transaction
from codepair.db.models.interviews import Run
from codepair.db.models.questions import RoomQuestion, RunTests
from codepair.domain.errors import Conflict
from codepair.domain.questions import junit
from codepair.runner.executor import Executor, RunRequest, RunResult, Ticket
from codepair.runner.suite import CaseOutcome, SuiteRequest, SuiteResult, run_suite

log = structlog.get_logger("codepair.questions")

#: What a visible test's result shows of the program's output and the expected output.
SHOW_CHARS = 4096

Send = Callable[[str, dict[str, Any], bool], Awaitable[None]]


def outputs_match(expected: str, actual: str, compare: str) -> bool:
    """``exact``, or ``trailing_whitespace``: each line's trailing blanks and trailing empty
    lines do not count (what most judges do)."""
    if compare == "exact":
        return expected == actual

    def norm(text: str) -> list[str]:
        lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
        while lines and not lines[-1]:
            lines.pop()
        return lines

    return norm(expected) == norm(actual)


def run_order(tests: list[dict[str, Any]]) -> list[int]:
    """Indexes of ``tests`` in the order they run: visible first, then hidden."""
    return [i for i, t in enumerate(tests) if not t.get("hidden")] + [
        i for i, t in enumerate(tests) if t.get("hidden")
    ]


def grade(tests: list[dict[str, Any]], result: SuiteResult) -> list[dict[str, Any]]:
    """One full result per test, in the question's order (interviewers' view)."""
    order = run_order(tests)
    by_test: dict[int, CaseOutcome] = {}
    for position, index in enumerate(order):
        if position < len(result.cases):
            by_test[index] = result.cases[position]
    out = []
    for index, test in enumerate(tests):
        case = by_test.get(index)
        status = case.status if case is not None else result.status
        actual = case.stdout if case is not None else ""
        passed = case is not None and case.status == "ok" and outputs_match(
            str(test.get("expected_stdout", "")), actual, str(test.get("compare", "exact"))
        )
        out.append(
            {
                "name": test["name"],
                "hidden": bool(test.get("hidden")),
                "passed": passed,
                "status": status,
                "wall_ms": case.wall_ms if case is not None else None,
                "cpu_ms": case.cpu_ms if case is not None else None,
                "stdin": str(test.get("stdin", ""))[:SHOW_CHARS],
                "expected_stdout": str(test.get("expected_stdout", ""))[:SHOW_CHARS],
                "actual_stdout": actual[:SHOW_CHARS],
                "stderr": (case.stderr if case is not None else "")[-SHOW_CHARS:],
            }
        )
    return out


def results_for(results: list[dict[str, Any]], *, candidate: bool) -> list[dict[str, Any]]:
    """What one viewer may see: a candidate sees a hidden test's name and outcome only."""
    if not candidate:
        return [dict(r) for r in results]
    return [
        {"name": r["name"], "hidden": True, "passed": bool(r["passed"])} if r["hidden"]
        else dict(r)
        for r in results
    ]


def summary(row: RunTests, *, candidate: bool) -> dict[str, Any]:
    """The fields a tests run adds to a run: ``tests``, ``passed``, ``total``."""
    return {
        "tests": results_for(list(row.results), candidate=candidate),
        "passed": row.passed,
        "total": row.total,
        "room_question_id": row.room_question_id,
    }


async def tests_of_runs(db: AsyncSession, run_ids: list[str]) -> dict[str, RunTests]:
    if not run_ids:
        return {}
    rows = await db.scalars(select(RunTests).where(RunTests.run_id.in_(run_ids)))
    return {row.run_id: row for row in rows}


def _stored_status(result: SuiteResult, graded: list[dict[str, Any]]) -> str:
    """The run's own status: compile and internal errors as such; else the first failing
    test's status when it is not a plain wrong answer, else ``ok``."""
    if result.status != "ok":
        return result.status
    for item in graded:
        if item["status"] not in ("ok", "not_run"):
            return str(item["status"])
    return "ok"


async def execute_tests_run(
    *,
    executor: Executor,
    db: async_sessionmaker[AsyncSession],
    run: Run,
    rq: RoomQuestion,
    ticket: Ticket,
    send: Send,
    run_event: Callable[[Run], dict[str, Any]],
) -> None:
    """Run ``run.code`` against ``rq``'s tests, store the results, tell the room."""
    tests = list(rq.tests)
    order = run_order(tests)
    request = SuiteRequest(
        language=run.language, code=run.code,
        stdins=tuple(str(tests[i].get("stdin", "")) for i in order),
        barrier=sum(1 for t in tests if not t.get("hidden")),
    )

    async with transaction(db) as session:
        row = await session.get(Run, run.id)
        assert row is not None
        row.status = "running"
    started_view = run_event(row)
    started_view.update(tests=[], passed=0, total=len(tests), room_question_id=rq.id)
    await _safe(send, run.room_id, {"type": "run.started", "run": started_view}, False)
    try:
        result = await run_suite(executor, request, ticket)
    except Exception as exc:
        log.error("tests_run_crashed", run_id=run.id, error=repr(exc), exc_info=exc)
        result = SuiteResult(status="internal_error", message="The runner failed")
    finally:
        ticket.release()
    graded = grade(tests, result)
    passed = sum(1 for g in graded if g["passed"])
    note = f"[{result.message}]" if result.message else ""
    async with transaction(db) as session:
        row = await session.get(Run, run.id)
        assert row is not None
        row.status = _stored_status(result, graded)
        row.compile_output = "\n".join(filter(None, [result.compile_output, note])) if (
            result.status == "compile_error") else result.compile_output
        row.stderr = note if result.status == "internal_error" else ""
        # The run's own output is a summary anyone may see; each test has its own output.
        row.stdout = f"Tests: {passed} of {len(tests)} passed\n" if result.status == "ok" else ""
        row.wall_ms = result.wall_ms
        row.finished_at = datetime.now(UTC)
        tests_row = RunTests(run_id=run.id, room_id=run.room_id, room_question_id=rq.id,
                             passed=passed, total=len(tests), results=graded)
        session.add(tests_row)
    await _tell_finished(send, run_event(row), tests_row)
    log.info("tests_run_finished", run_id=run.id, language=run.language, passed=passed,
             total=len(tests), wall_ms=result.wall_ms)


#: Where a project's test command writes its JUnit XML report (in the project's folder, which
#: is ``/build`` in the sandbox; docs/projects.md).
JUNIT_PATH = ".codepair/junit.xml"


def project_tests_request(
    rq: RoomQuestion, language: str, entry: str, tree: dict[str, str]
) -> RunRequest:
    """A tests run of a project question: the room's tree with the hidden files beside it
    (they win a clash), its test command, and where the report goes."""
    files = {path: text for path, text in tree.items() if path != entry}
    files.update(rq.hidden_files or {})
    return RunRequest(
        language=language, code=tree.get(entry, ""), entry=entry, files=files,
        command=rq.test_command, env={"CODEPAIR_JUNIT_XML": f"/build/{JUNIT_PATH}"},
        collect=(JUNIT_PATH,),
    )


async def execute_project_tests_run(
    *,
    executor: Executor,
    db: async_sessionmaker[AsyncSession],
    run: Run,
    rq: RoomQuestion,
    request: RunRequest,
    ticket: Ticket,
    send: Send,
    run_event: Callable[[Run], dict[str, Any]],
) -> None:
    """Run a project question's test command over the tree, read its JUnit XML, store the
    per-test results, tell the room. The command's own output is not the run's: a hidden
    test's code or input could be in it. Interviewers get every result's message."""
    async with transaction(db) as session:
        row = await session.get(Run, run.id)
        assert row is not None
        row.status = "running"
    started_view = run_event(row)
    started_view.update(tests=[], passed=0, total=0, room_question_id=rq.id)
    await _safe(send, run.room_id, {"type": "run.started", "run": started_view}, False)
    try:
        result = await executor.run(request, ticket=ticket)
    except Exception as exc:
        log.error("tests_run_crashed", run_id=run.id, error=repr(exc), exc_info=exc)
        result = RunResult.internal_error("The runner failed")
    graded: list[dict[str, Any]] = []
    problem = ""
    if result.status not in ("compile_error", "internal_error"):
        try:
            graded = junit.parse(result.collected.get(JUNIT_PATH), (rq.hidden_files or {}).keys())
        except junit.ReportError as exc:
            problem = str(exc)
    passed = sum(1 for g in graded if g["passed"])
    status: str = result.status
    if graded and passed == len(graded) and result.status != "ok":
        problem = "the test command failed although its report says every test passed"
    elif graded and result.status == "runtime_error":
        status = "ok"  # a test command exits non-zero when a test fails: the results say which
    if problem:
        status = "runtime_error" if result.status == "ok" else result.status
    async with transaction(db) as session:
        row = await session.get(Run, run.id)
        assert row is not None
        row.status = status
        row.compile_output = result.compile_output if result.status == "compile_error" else ""
        row.stderr = f"[{problem}]" if problem else (
            f"[{result.message}]" if result.status == "internal_error" else ""
        )
        row.stdout = f"Tests: {passed} of {len(graded)} passed\n" if graded else ""
        row.wall_ms = result.wall_ms
        row.finished_at = datetime.now(UTC)
        tests_row = RunTests(run_id=run.id, room_id=run.room_id, room_question_id=rq.id,
                             passed=passed, total=len(graded), results=graded)
        session.add(tests_row)
    await _tell_finished(send, run_event(row), tests_row)
    log.info("project_tests_run_finished", run_id=run.id, language=run.language,
             passed=passed, total=len(graded), wall_ms=result.wall_ms)


async def _tell_finished(send: Send, view: dict[str, Any], tests_row: RunTests) -> None:
    """The finished tests run for everyone (hidden tests reduced), and whole to interviewers."""
    everyone = {**view, **summary(tests_row, candidate=True)}
    full = {**view, **summary(tests_row, candidate=False)}
    await _safe(send, tests_row.room_id, {"type": "run.finished", "run": everyone}, False)
    await _safe(send, tests_row.room_id, {"type": "run.tests", "run": full}, True)


async def _safe(send: Send, room_id: str, message: dict[str, Any], interviewers_only: bool) -> None:
    try:
        await send(room_id, message, interviewers_only)
    except Exception as exc:  # a room without listeners must not fail the run
        log.warning("tests_run_broadcast_failed", room_id=room_id, error=repr(exc))


async def try_question(
    executor: Executor, ticket: Ticket, *, language: str, code: str, tests: list[dict[str, Any]]
) -> tuple[SuiteResult, list[dict[str, Any]]]:
    """Run code (a bank question's solution) against its tests, recording nothing."""
    order = run_order(tests)
    request = SuiteRequest(language=language, code=code,
                           stdins=tuple(str(tests[i].get("stdin", "")) for i in order),
                           barrier=sum(1 for t in tests if not t.get("hidden")))
    try:
        result = await run_suite(executor, request, ticket)
    finally:
        ticket.release()
    return result, grade(tests, result)


__all__ = [
    "execute_project_tests_run",
    "execute_tests_run",
    "grade",
    "outputs_match",
    "project_tests_request",
    "results_for",
    "summary",
    "tests_execution",
    "tests_of_runs",
    "tests_question",
    "try_question",
]


async def tests_question(factory: async_sessionmaker[AsyncSession], room_id: str) -> RoomQuestion:
    """The presented question whose tests a ``{"tests": true}`` run uses, or 409."""
    from codepair.domain.questions.bank import presented

    async with factory() as db:
        rq = await presented(db, room_id)
    if rq is None:
        raise Conflict("No question has been presented in this room")
    if not rq.tests and not rq.test_command:
        raise Conflict("The presented question has no tests")
    return rq


def tests_execution(
    app: Any, run: Run, rq: RoomQuestion, ticket: Ticket, project: RunRequest | None = None
) -> Callable[[], Coroutine[Any, Any, None]]:
    """What runs a tests run in the background, for :meth:`RoomRuns.start` (``project``: a
    project question's, from :func:`project_tests_request`)."""
    from codepair.domain.interviews.runs import run_event

    async def send(room_id: str, message: dict[str, Any], interviewers_only: bool) -> None:
        await app.state.notices.room_message(room_id, message, interviewers_only)

    def execute() -> Coroutine[Any, Any, None]:
        if project is not None:
            return execute_project_tests_run(
                executor=app.state.runner, db=app.state.db, run=run, rq=rq, request=project,
                ticket=ticket, send=send, run_event=run_event,
            )
        return execute_tests_run(
            executor=app.state.runner, db=app.state.db, run=run, rq=rq, ticket=ticket,
            send=send, run_event=run_event,
        )

    return execute
