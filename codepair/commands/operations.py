"""The operator's commands: ``codepair backup``, ``restore`` and ``purge`` (docs/operations.md)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from codepair.config import Settings


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = sub.add_parser("backup", help="write a backup of the database to FILE (online)")
    backup.add_argument("file", type=Path)
    restore = sub.add_parser(
        "restore", help="load a backup into the configured (empty) database; server stopped"
    )
    restore.add_argument("file", type=Path)
    restore.add_argument(
        "--force", action="store_true", help="replace a database that already holds data"
    )
    purge = sub.add_parser(
        "purge", help="delete ended interviews older than the retention, and expired audit rows"
    )
    purge.add_argument(
        "--dry-run", action="store_true", help="list what would be deleted; delete nothing"
    )


def run(settings: Settings, args: argparse.Namespace) -> int | None:
    """Run one of these commands, or ``None`` when ``args`` is another command."""
    if args.command == "backup":
        return _backup(settings, args.file)
    if args.command == "restore":
        return _restore(settings, args.file, force=args.force)
    if args.command == "purge":
        return asyncio.run(_purge(settings, dry_run=args.dry_run))
    return None


def _backup(settings: Settings, file: Path) -> int:
    from codepair.domain.operations.backup import BackupError, backup

    try:
        backup(settings, file)
    except BackupError as exc:
        print(f"codepair: {exc}", file=sys.stderr)
        return 1
    print(f"backup written to {file} ({file.stat().st_size} bytes)")
    return 0


def _restore(settings: Settings, file: Path, *, force: bool) -> int:
    from codepair.db.migrate import upgrade
    from codepair.domain.operations.backup import BackupError, restore

    try:
        restore(settings, file, force=force)
    except BackupError as exc:
        print(f"codepair: {exc}", file=sys.stderr)
        return 1
    upgrade(settings)  # a backup from an older version gets this version's tables
    print(f"restored {file}; database is up to date")
    return 0


async def _purge(settings: Settings, *, dry_run: bool) -> int:
    from codepair.db.engine import create_engine, session_factory, transaction
    from codepair.domain.operations import retention

    engine = create_engine(settings)
    try:
        factory = session_factory(engine)
        async with transaction(factory) as db:
            days = (await retention.get_retention(db, settings)).days
            if dry_run:
                out = await retention.purge(db, settings, dry_run=True)
        if not dry_run:
            out = await retention.purge_in_batches(factory, settings)
    finally:
        await engine.dispose()
    verb = "would delete" if dry_run else "deleted"
    if days <= 0:
        print("retention is off (0 days): no interview is deleted")
    print(f"{verb} {len(out.rooms)} ended interview(s) older than {days} days")
    for room in out.rooms:
        ended = room["ended_at"].isoformat() if room["ended_at"] else "-"
        print(f"  {room['id']}  ended {ended}  {room['title'] or '(untitled)'}")
    for table, n in sorted(out.rows.items()):
        print(f"  {table}: {n} row(s)")
    if not dry_run:
        print(f"deleted {out.audit_rows} audit row(s) past {settings.audit_retention_days} days")
    return 0
