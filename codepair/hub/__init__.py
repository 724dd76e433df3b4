"""The room hub: Yjs document sync, awareness, presence, chat and WebRTC signaling.

:class:`Hub` holds the live rooms; :mod:`codepair.hub.routes` exposes them as WebSockets.
"""

from codepair.hub.hub import Hub, RoomFull

__all__ = ["Hub", "RoomFull"]
