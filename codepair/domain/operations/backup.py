"""``codepair backup`` and ``codepair restore``: one file, taken while the server runs.

SQLite: the online backup API copies the database in one step inside a read transaction; in
WAL mode writers go on meanwhile, and the copy is the database as it stood when the step began
(a consistent snapshot, never a torn file as ``cp`` of a live database can be). PostgreSQL:
``pg_dump --format=custom`` (a consistent snapshot too) and ``pg_restore``. The first bytes of
the file say which it is, so ``restore`` needs no flag.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from codepair.config import Settings

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_MAGIC = b"PGDMP"


class BackupError(Exception):
    """What went wrong, said for the operator."""


def sqlite_path(settings: Settings) -> Path:
    database = make_url(settings.database_url).database
    if not database or database == ":memory:":
        raise BackupError("the SQLite database has no file to back up")
    return Path(database)


def _pg_command(settings: Settings) -> tuple[str, dict[str, str]]:
    """A libpq URL for pg_dump and pg_restore, the password kept out of the process list."""
    url = make_url(settings.database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    dsn = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return dsn, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return found


def backup(settings: Settings, target: Path) -> None:
    """Write a backup of the configured database to ``target`` (replaced only when complete)."""
    target = target.resolve()
    if not target.parent.is_dir():
        raise BackupError(f"no directory {target.parent} to write the backup in")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        if settings.is_sqlite:
            _backup_sqlite(sqlite_path(settings), partial)
        else:
            dsn, env = _pg_command(settings)
            cmd = [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), dsn]
            _run(cmd, env)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def _backup_sqlite(source: Path, partial: Path) -> None:
    if not source.is_file():
        raise BackupError(f"no database at {source}")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)  # pages=-1: all in one step, one snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        ok = dst.execute("PRAGMA quick_check").fetchone()
        if ok is None or ok[0] != "ok":
            raise BackupError(f"the copy failed its check: {ok}")
    finally:
        dst.close()
        src.close()


def kind_of(path: Path) -> str:
    """``sqlite`` or ``postgres``, from the file's first bytes."""
    with path.open("rb") as fh:
        head = fh.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_MAGIC):
        return "postgres"
    raise BackupError(f"{path} is not a CodePair backup (neither SQLite nor pg_dump's format)")


def restore(settings: Settings, source: Path, *, force: bool = False) -> None:
    """Load a backup into the configured database, which must be empty unless ``force``.

    The server must not be running on that database: a restore replaces it underneath.
    """
    source = source.resolve()
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    kind = kind_of(source)
    wanted = "sqlite" if settings.is_sqlite else "postgres"
    if kind != wanted:
        raise BackupError(f"{source} is a {kind} backup; this server's database is {wanted}")
    if settings.is_sqlite:
        _restore_sqlite(source, sqlite_path(settings), force=force)
    else:
        _restore_pg(settings, source, force=force)


def _sqlite_has_tables(path: Path) -> bool:
    if not path.is_file() or path.stat().st_size == 0:
        return False
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
        return bool(row and row[0])
    finally:
        conn.close()


def _restore_sqlite(source: Path, target: Path, *, force: bool) -> None:
    if _sqlite_has_tables(target) and not force:
        raise BackupError(f"{target} already holds a database; pass --force to replace it")
    src = sqlite3.connect(source)
    try:
        ok = src.execute("PRAGMA quick_check").fetchone()
        if ok is None or ok[0] != "ok":
            raise BackupError(f"the backup failed its check: {ok}")
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target, timeout=30)
        try:
            src.backup(dst)  # through SQLite, so a -wal file of the old database goes too
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()


def _pg_has_tables(dsn: str, env: dict[str, str]) -> bool:
    out = _run(
        [
            _tool("psql"),
            "-XAtq",
            "-c",
            "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
            dsn,
        ],
        env,
    )
    return out.strip() not in ("", "0")


def _restore_pg(settings: Settings, source: Path, *, force: bool) -> None:
    dsn, env = _pg_command(settings)
    if _pg_has_tables(dsn, env) and not force:
        raise BackupError("the database already holds tables; pass --force to replace them")
    cmd = [_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction"]
    if force:
        cmd += ["--clean", "--if-exists"]
    _run([*cmd, "--dbname", dsn, str(source)], env)


def _run(cmd: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} failed: {done.stderr.strip()[-2000:]}")
    return done.stdout
