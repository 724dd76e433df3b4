"""Settings: secrets in development and production, list parsing, database default."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from codepair.config import Settings
from tests.support.api import bootstrap_lead, create_room
from tests.support.server import VENV_BIN, Server


def test_development_secret_is_generated_once(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).signing_key()
    assert len(first) >= 48
    assert Settings(data_dir=tmp_path).signing_key() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_missing_or_weak_secret(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        Settings(env="production", data_dir=tmp_path).check()
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        Settings(env="production", data_dir=tmp_path, secret_key="changeme").check()
    good = Settings(env="production", data_dir=tmp_path, secret_key="k" * 40)
    good.check()
    assert good.signing_key() == "k" * 40
    assert not (tmp_path / "secret_key").exists()


def test_production_server_does_not_start_without_secret(tmp_path: Path) -> None:
    env = {"CODEPAIR_ENV": "production", "CODEPAIR_DATA_DIR": str(tmp_path), "PATH": "/usr/bin"}
    result = subprocess.run(
        [str(VENV_BIN / "codepair"), "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "CODEPAIR_SECRET_KEY" in result.stderr


def test_lists_from_comma_separated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CODEPAIR_STUN_URLS", "stun:a.example:3478, stun:b.example:3478")
    monkeypatch.setenv("CODEPAIR_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert settings.stun_urls == ["stun:a.example:3478", "stun:b.example:3478"]
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'codepair.db'}"


def test_invite_links_follow_the_served_port_in_development(tmp_path: Path) -> None:
    """Without CODEPAIR_PUBLIC_URL, `serve --port P` makes links to port P, not 8000."""
    srv = Server(data_dir=tmp_path)
    srv.env_overrides = {}
    env = srv.env()
    del env["CODEPAIR_PUBLIC_URL"]
    srv.env = lambda: env  # type: ignore[method-assign]
    srv.start()
    try:
        lead = bootstrap_lead(srv)
        room = create_room(srv, lead)
        assert room["invite_url"].startswith(f"http://127.0.0.1:{srv.port}/join/")
    finally:
        srv.kill()
