"""Running the room's code: one :class:`Executor` interface, a local and two remote backends."""

from __future__ import annotations

from codepair.config import Settings
from codepair.runner.executor import (
    PENDING_STATUSES,
    Busy,
    Executor,
    LanguageInfo,
    RunRequest,
    RunResult,
    RunStatus,
    Ticket,
)


def create_executor(settings: Settings) -> Executor:
    """The backend that ``settings.runner_backend`` names (call ``await start()`` before use)."""
    if settings.runner_backend == "piston":
        from codepair.runner.remote import PistonExecutor

        return PistonExecutor(settings)
    if settings.runner_backend == "judge0":
        from codepair.runner.remote import Judge0Executor

        return Judge0Executor(settings)
    from codepair.runner.local import LocalExecutor

    return LocalExecutor(settings)


__all__ = [
    "PENDING_STATUSES",
    "Busy",
    "Executor",
    "LanguageInfo",
    "RunRequest",
    "RunResult",
    "RunStatus",
    "Ticket",
    "create_executor",
]
