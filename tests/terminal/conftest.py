"""Fixtures for the terminal tests: Node y-websocket clients and a fresh room per test."""

from tests.hub.conftest import node, room

__all__ = ["node", "room"]
