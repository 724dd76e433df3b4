"""Fixtures for the project tests: the hub tests' Node y-websocket clients and fresh rooms."""

from tests.hub.conftest import node, room

__all__ = ["node", "room"]
