"""Structured logs: JSON lines in production, readable lines in development."""

from __future__ import annotations

import logging
import sys

import structlog

from codepair.config import Settings


def configure_logging(settings: Settings) -> None:
    as_json = settings.log_json if settings.log_json is not None else settings.is_production
    level = logging.getLevelName(settings.log_level.upper())
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    # Server access logs would print query strings, and WebSocket tokens travel there.
    for name in ("uvicorn.access", "granian.access"):
        logging.getLogger(name).disabled = True
