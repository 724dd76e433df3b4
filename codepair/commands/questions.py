"""``codepair questions export DIR`` and ``codepair questions import DIR`` (docs/questions.md)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from codepair.config import Settings


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("questions", help="the question bank as files (one YAML each)")
    actions = parser.add_subparsers(dest="questions_command", required=True)
    export = actions.add_parser("export", help="write every question to DIR/<slug>.yaml")
    export.add_argument("dir", type=Path)
    load = actions.add_parser(
        "import", help="create or update a question per DIR/*.yaml (matched by slug)"
    )
    load.add_argument("dir", type=Path)
    actions.add_parser("starter", help="import the starter set shipped with CodePair")


def run(settings: Settings, args: argparse.Namespace) -> int | None:
    """Run a ``questions`` command, or ``None`` when ``args`` is another command."""
    if args.command != "questions":
        return None
    return asyncio.run(_run(settings, args))


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from codepair.commands import question_files
    from codepair.db.engine import create_engine, session_factory, transaction
    from codepair.db.migrate import upgrade

    if settings.is_sqlite:
        await asyncio.to_thread(upgrade, settings)
    engine = create_engine(settings)
    try:
        async with transaction(session_factory(engine)) as db:
            if args.questions_command == "export":
                written = await question_files.export_dir(db, args.dir)
                print(f"{len(written)} questions written to {args.dir}")
                return 0
            directory = question_files.STARTER_DIR if args.questions_command == "starter" \
                else args.dir
            if not directory.is_dir():
                print(f"codepair: {directory} is not a directory", file=sys.stderr)
                return 2
            report = await question_files.import_dir(db, directory)
    finally:
        await engine.dispose()
    for line in report.errors:
        print(f"codepair: {line}", file=sys.stderr)
    print(
        f"{len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.errors)} refused"
    )
    return 1 if report.errors else 0
