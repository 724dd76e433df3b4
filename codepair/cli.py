"""The ``codepair`` command: serve, migrate, create-user."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from codepair.commands import operations
from codepair.commands import questions as question_commands
from codepair.config import Settings, get_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="codepair", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the app (REST, sockets, web client) on one port")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--only",
        choices=["core", "peer"],
        default=None,
        help="run one service only (default: both)",
    )
    # uvicorn: about a fifth of granian's memory per WebSocket, same speed (docs/hub.md).
    serve.add_argument("--server", choices=["uvicorn", "granian"], default="uvicorn")
    serve.add_argument(
        "--no-migrate", action="store_true", help="do not apply pending migrations at start"
    )

    sub.add_parser("migrate", help="apply database migrations")
    operations.add_commands(sub)
    question_commands.add_commands(sub)

    create = sub.add_parser("create-user", help="create a user account")
    create.add_argument("email")
    create.add_argument("--name", required=True)
    create.add_argument("--role", choices=["lead", "interviewer"], required=True)
    create.add_argument(
        "--password", default=None, help="default: $CODEPAIR_PASSWORD, else a prompt"
    )

    args = parser.parse_args(argv)
    try:
        settings = get_settings()
    except Exception as exc:  # configuration errors are the operator's to fix: say what
        print(f"codepair: {exc}", file=sys.stderr)
        return 2
    if args.command == "migrate":
        from codepair.db.migrate import upgrade

        upgrade(settings)
        print("database is up to date")
        return 0
    if args.command == "create-user":
        return _create_user(settings, args)
    done = operations.run(settings, args)
    if done is not None:
        return done
    done = question_commands.run(settings, args)
    if done is not None:
        return done
    if not args.no_migrate and args.only != "peer" and settings.is_sqlite:
        from codepair.db.migrate import upgrade

        upgrade(settings)
    return _serve(settings, args)


def _create_user(settings: Settings, args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from codepair.api.schemas.accounts import UserCreate
    from codepair.db.engine import create_engine, session_factory, transaction
    from codepair.db.migrate import upgrade
    from codepair.db.models.accounts import Role
    from codepair.domain.accounts import users
    from codepair.domain.errors import DomainError

    password = args.password or os.environ.get("CODEPAIR_PASSWORD")
    if not password:
        password = getpass.getpass("Password: ")
    try:
        body = UserCreate(email=args.email, name=args.name, role=args.role, password=password)
    except ValidationError as exc:
        for err in exc.errors():
            print(f"codepair: {'.'.join(map(str, err['loc']))}: {err['msg']}", file=sys.stderr)
        return 2
    if settings.is_sqlite:
        upgrade(settings)

    async def create() -> int:
        engine = create_engine(settings)
        try:
            async with transaction(session_factory(engine)) as db:
                user = await users.create_user(
                    db,
                    email=body.email,
                    name=body.name,
                    role=Role(body.role),
                    password=body.password,
                )
            print(f"created {user.role.value} {user.email} (id {user.id})")
            return 0
        except DomainError as exc:
            print(f"codepair: {exc.detail}", file=sys.stderr)
            return 1
        finally:
            await engine.dispose()

    return asyncio.run(create())


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    print(f"CodePair serving on http://{args.host}:{args.port}", file=sys.stderr, flush=True)
    if args.only:
        os.environ["CODEPAIR_ONLY"] = args.only
    if "public_url" not in settings.model_fields_set and not settings.is_production:
        # In development the address we serve on is the one invite links must point to.
        host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host
        os.environ["CODEPAIR_PUBLIC_URL"] = f"http://{host}:{args.port}"
        get_settings.cache_clear()  # the server's workers may be forked from this process
    if args.server == "granian":
        try:
            from granian.constants import Interfaces
            from granian.server import Server
        except ImportError:
            args.server = "uvicorn"
        else:
            Server(
                "codepair.asgi:app",
                address=args.host,
                port=args.port,
                interface=Interfaces.ASGI,
                workers=1,
                log_access=False,
                websockets=True,
            ).serve()
            return 0
    import uvicorn

    uvicorn.run(
        "codepair.asgi:app",
        host=args.host,
        port=args.port,
        access_log=False,
        # At INFO, uvicorn.error writes two lines per socket opened (thousands in a rush of
        # reconnections), one with the URL and so the token; its warnings and errors show.
        log_level="warning",
        # The Yjs socket runs on its own protocol, straight on the transport (ADR 6); it hands
        # every other WebSocket to uvicorn's sans-I/O implementation (no tasks of its own).
        ws="codepair.hub.wire:HubWebSocketProtocol" if settings.hub_wire else "websockets-sansio",
        ws_max_size=settings.max_frame_bytes,
        # Browsers offer compression; Yjs frames are small and binary, and zlib contexts cost
        # memory: 500 sockets that offered it added 45 MiB with it on, 25 MiB with it off.
        ws_per_message_deflate=False,
        lifespan="on",
        proxy_headers=False,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
