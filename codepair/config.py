"""Configuration: environment variables with the ``CODEPAIR_`` prefix (and a ``.env`` file)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

_SECRET_FILE = "secret_key"
_MIN_SECRET_LEN = 32

CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    """Every knob of the server. Defaults suit the embedded single-machine set-up."""

    model_config = SettingsConfigDict(env_prefix="CODEPAIR_", env_file=".env", extra="ignore")

    env: Literal["development", "production"] = "development"
    data_dir: Path = Path("./data")
    database_url: str = ""
    redis_url: str = ""
    redis_channel_prefix: str = "codepair:"  # namespaces bus channels on a shared Redis
    secret_key: SecretStr = SecretStr("")
    public_url: str = "http://127.0.0.1:8000"
    # Addresses of reverse proxies whose X-Forwarded-For may be believed (rate limits per
    # client address need the real one behind a proxy).
    trusted_proxies: CommaList = Field(default_factory=list)
    # The built web client; defaults to web/dist next to the package (an editable install).
    web_dist: Path | None = None
    stun_urls: CommaList = Field(default_factory=list)
    turn_urls: CommaList = Field(default_factory=list)
    turn_secret: SecretStr = SecretStr("")
    turn_ttl_seconds: int = 6 * 3600

    # Tokens.
    access_token_minutes: int = 15
    refresh_token_days: int = 30
    candidate_token_hours: int = 12

    # Request caps and rates.
    max_body_bytes: int = 1024 * 1024
    login_per_minute_per_ip: int = 10
    login_per_minute_per_account: int = 10
    rooms_per_minute_per_user: int = 100
    joins_per_minute_per_ip: int = 30

    # The room hub.
    max_sockets_per_doc: int = 32
    max_frame_bytes: int = 2 * 1024 * 1024
    yjs_messages_per_second: float = 100.0
    yjs_message_burst: int = 500
    chat_max_chars: int = 4000
    chat_messages_per_window: int = 20
    chat_window_seconds: float = 10.0
    # Activity signals (pastes, focus) per events socket: a real candidate sends a few a
    # minute; more is a script, refused with an error and never recorded.
    activity_messages_per_window: int = 30
    activity_window_seconds: float = 60.0
    outbox_max_messages: int = 1024
    group_commit_ms: int = 50
    room_unload_seconds: float = 30.0
    yjs_compact_after_updates: int = 10_000  # the log is replay's history: keep a session's
    max_event_frame_bytes: int = 64 * 1024
    # The documents' encoded states (codepair/hub/doccaps.py): an update that would pass its
    # document's cap is refused (4413). The code's is DESIGN.md's cap of a project's tree.
    code_max_bytes: int = 8 * 1024 * 1024
    project_max_files: int = 500  # files in a room's project tree (docs/projects.md)
    project_max_file_bytes: int = 1024 * 1024  # one file of the tree, the entry too
    notes_max_bytes: int = 2 * 1024 * 1024
    # The board document (codepair/hub/boardcap.py): its encoded state and its elements.
    board_max_bytes: int = 8 * 1024 * 1024
    board_max_elements: int = 5000
    # A Yjs socket silent this long is pinged; one silent (no pong either) for the second is
    # closed: a client gone without a FIN (laptop lid, dropped network).
    # Under uvicorn the Yjs socket runs on the hub's own protocol (ADR 6); false puts it back
    # on the ASGI route, as under any other server.
    hub_wire: bool = True
    ws_ping_after_seconds: float = 20.0
    ws_dead_after_seconds: float = 60.0

    # Code runs.
    runner_backend: Literal["local", "piston", "judge0"] = "local"
    runner_url: str = ""
    runner_api_key: SecretStr = SecretStr("")
    runner_allow_unsandboxed: bool = False
    runner_time_limit_seconds: float = 5.0
    runner_memory_limit_mb: int = 512
    # Every process of a run (or a compile) together, in a memory cgroup where the kernel
    # offers one: 64 processes of 512 MiB would otherwise add up to 32 GiB.
    runner_tree_memory_mb: int = Field(default=3072, ge=64)
    runner_output_limit_bytes: int = 64 * 1024
    runner_concurrency: int = Field(default_factory=lambda: os.cpu_count() or 1)
    runner_queue_size: int = 16
    runs_per_minute_per_person: int = 30
    runs_per_minute_per_room: int = 60
    max_code_bytes: int = 256 * 1024
    runner_compile_time_limit_seconds: float = 15.0
    runner_compile_memory_limit_mb: int = 2048
    runner_max_processes: int = 64
    runner_uid_base: int = 61000  # slot k runs as uid runner_uid_base + k (see docs/runner.md)
    runner_languages_file: Path | None = None
    runner_toolchains_dir: Path | None = None
    runner_work_dir: str | None = None
    runner_wait_seconds: float = 20.0

    # Language servers (docs/intellisense.md): one per room and language, sandboxed.
    lsp_enabled: bool = True
    lsp_idle_seconds: float = 120.0  # stopped this long after the room's last socket left
    lsp_memory_mb: int = 1024  # RLIMIT_DATA of one language server
    lsp_tree_memory_mb: int = Field(default=2048, ge=64)  # all its processes (a cgroup)
    lsp_max_servers: int = Field(default=32, ge=0)  # running at once on this instance
    lsp_max_frame_bytes: int = 64 * 1024
    lsp_messages_per_second: float = 30.0  # per socket, with bursts of lsp_message_burst
    lsp_message_burst: int = 100
    lsp_max_pending: int = 32  # requests in flight per socket
    lsp_toolchains_dir: Path | None = None  # npm servers (pyright...); default: the runner's
    # The room's terminal (docs/terminal.md): one shell a room, in bubblewrap.
    terminal_enabled: bool = True
    terminal_max_shells: int = 64  # live shells on this instance (one uid each)
    terminal_uid_base: int = 60000  # shell k runs as uid terminal_uid_base + k
    terminal_idle_seconds: float = 600.0  # no socket open this long: the shell stops
    # Several instances: the shell's instance renews the room's lease every third of this;
    # killed, its shell is taken over by another instance once this has passed.
    terminal_lease_seconds: float = Field(default=6.0, gt=0.2)
    terminal_ring_bytes: int = 128 * 1024  # recent output a new socket gets first
    terminal_output_bytes_per_second: int = 1024 * 1024
    terminal_output_burst_bytes: int = 2 * 1024 * 1024
    terminal_max_processes: int = 64
    terminal_memory_limit_mb: int = 1536  # address space of each process in the shell
    terminal_shell_memory_mb: int = Field(default=2048, ge=64)  # all of them (a cgroup)
    terminal_cpu_seconds: int = 600  # CPU time of each process in the shell
    terminal_disk_bytes: int = 128 * 1024 * 1024  # the shell's /workspace (a tmpfs)
    terminal_record_max_bytes: int = 32 * 1024 * 1024  # output kept in the record per room
    terminal_input_per_second: float = 200.0  # keystroke frames a socket, with bursts of
    terminal_input_burst: int = 1000

    # Integrations (docs/integrations.md): webhooks, mail, single sign-on, API tokens.
    webhook_allow_private: bool = False  # loopback and private targets; off in production
    # Seconds before each retry (Standard Webhooks' schedule); a delivery fails after the last.
    webhook_retry_seconds: CommaList = Field(
        default_factory=lambda: ["5", "300", "1800", "7200", "18000", "36000"]
    )
    webhook_timeout_seconds: float = 10.0
    webhook_max_endpoints: int = 50
    outbox_poll_seconds: float = 2.0
    smtp_url: SecretStr = SecretStr("")  # smtp://user:pass@host:port or smtps://...
    mail_from: str = "CodePair <codepair@localhost>"
    mail_retry_seconds: CommaList = Field(default_factory=lambda: ["30", "120", "600", "3600"])
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: SecretStr = SecretStr("")
    oidc_allowed_domains: CommaList = Field(default_factory=list)
    oidc_provider_name: str = "single sign-on"  # the button says "Sign in with <this>"
    api_tokens_per_user: int = 20

    # Retention (docs/operations.md): ended interviews older than this many days are deleted
    # whole, by a task in the server and by `codepair purge` (0: kept for ever). Leads can
    # override it in the app. Audit rows hold staff addresses, so they expire too.
    retention_days: int = Field(default=0, ge=0, le=36500)
    audit_retention_days: int = Field(default=730, ge=0, le=36500)
    purge_interval_seconds: float = Field(default=3600.0, gt=0)

    # Take-home assessments (docs/take-home.md): how often each core process looks for
    # attempts past their deadline, and how long a minute of a time limit lasts (60; tests
    # shorten it so that a "two-minute" take-home ends in seconds).
    take_home_sweep_seconds: float = Field(default=1.0, gt=0, le=60)
    take_home_minute_seconds: float = Field(default=60.0, gt=0, le=60)
    # The AI assistant (docs/ai.md): any OpenAI-compatible server (llama.cpp, Ollama, vLLM),
    # its URL ending in /v1. Without a base URL and a model the assistant is off.
    ai_base_url: str = ""
    ai_model: str = ""
    ai_api_key: SecretStr = SecretStr("")
    # The lead's default system prompt; a room may add its own (rooms.ai_prompt).
    ai_system_prompt: str = (
        "You are the coding assistant in a live technical interview. The candidate may ask "
        "you about programming languages, libraries, errors and ideas. Answer briefly and "
        "clearly, with Markdown and fenced code blocks. The interviewers read this "
        "conversation."
    )
    ai_max_tokens: int = Field(default=512, ge=1, le=32_768)  # one answer's length
    ai_summary_max_tokens: int = Field(default=400, ge=1, le=32_768)  # the drafted summary's
    ai_answer_seconds: float = Field(default=60.0, gt=0)  # one answer's whole time
    ai_connect_seconds: float = Field(default=5.0, gt=0)
    ai_prompt_max_chars: int = Field(default=4000, ge=1)
    ai_code_max_chars: int = Field(default=24_000, ge=0)  # of the code sent with a question
    ai_history_messages: int = Field(default=12, ge=0)  # earlier turns sent with a question
    ai_prompts_per_person: int = Field(default=40, ge=0)  # in one room, over its life
    ai_prompts_per_room: int = Field(default=120, ge=0)
    ai_tokens_per_person: int = Field(default=40_000, ge=0)
    ai_tokens_per_room: int = Field(default=120_000, ge=0)
    ai_streams_per_person: int = Field(default=1, ge=1)  # answers streaming at once
    ai_streams_per_room: int = Field(default=2, ge=1)
    ai_streams_total: int = Field(default=8, ge=1)  # in this process, every room together
    ai_summary_per_minute: int = Field(default=6, ge=1)  # drafts per interviewer

    log_json: bool | None = None
    log_level: str = "INFO"

    @field_validator(
        "webhook_retry_seconds", "mail_retry_seconds", "oidc_allowed_domains", mode="before"
    )
    @classmethod
    def _split_integration_lists(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("stun_urls", "turn_urls", "trusted_proxies", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        # Written to __dict__ so that model_fields_set still tells what the operator set.
        if not self.database_url:
            self.__dict__["database_url"] = f"sqlite+aiosqlite:///{self.data_dir / 'codepair.db'}"
        self.__dict__["public_url"] = self.public_url.rstrip("/")
        return self

    @property
    def ai_enabled(self) -> bool:
        """Whether a model is configured (rooms still turn the assistant on one by one)."""
        return bool(self.ai_base_url and self.ai_model)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def allowed_origins(self) -> set[str]:
        """Origins a browser WebSocket handshake may come from."""
        origin = self.public_url
        origins = {origin}
        # The same server is often opened as localhost and 127.0.0.1 in development.
        if not self.is_production:
            for a, b in (("127.0.0.1", "localhost"), ("localhost", "127.0.0.1")):
                if f"//{a}" in origin:
                    origins.add(origin.replace(f"//{a}", f"//{b}"))
        return origins

    def signing_key(self) -> str:
        """The JWT signing secret; generated once and kept in ``data_dir`` in development."""
        key = self.secret_key.get_secret_value()
        if key:
            return key
        if self.is_production:
            raise RuntimeError("CODEPAIR_SECRET_KEY must be set in production")
        return _dev_secret(self.data_dir)

    def check(self) -> None:
        """Refuse to start with a missing or weak secret outside development."""
        if self.is_production:
            key = self.secret_key.get_secret_value()
            if len(key) < _MIN_SECRET_LEN or key in {"changeme", "secret", "change-me"}:
                raise RuntimeError(
                    f"CODEPAIR_SECRET_KEY must be set to a random string of at least "
                    f"{_MIN_SECRET_LEN} characters in production"
                )


@lru_cache(maxsize=64)  # read on every token check otherwise
def _dev_secret(data_dir: Path) -> str:
    path = data_dir / _SECRET_FILE
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once agree on whichever secret was written first.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    settings = Settings()
    settings.check()
    return settings
