"""ICE servers for a peer: STUN as configured, TURN with coturn ``use-auth-secret`` credentials.

coturn's shared-secret scheme (the "TURN REST API"): the username is ``<expiry>:<peer>`` with
``expiry`` a Unix time, and the password is base64(HMAC-SHA1(secret, username)). coturn checks
both without any call to us, and refuses the credential once ``expiry`` has passed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from codepair.config import Settings
from codepair.hub.protocol import IceServer


def turn_credential(secret: str, username: str) -> str:
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def ice_servers(settings: Settings, peer_id: str, *, now: float | None = None) -> list[IceServer]:
    """The ``iceServers`` a browser should use; TURN only when URLs and a secret are set."""
    servers: list[IceServer] = []
    if settings.stun_urls:
        servers.append(IceServer(urls=list(settings.stun_urls)))
    secret = settings.turn_secret.get_secret_value()
    if settings.turn_urls and secret:
        expiry = int((time.time() if now is None else now) + settings.turn_ttl_seconds)
        username = f"{expiry}:{peer_id}"
        servers.append(
            IceServer(
                urls=list(settings.turn_urls),
                username=username,
                credential=turn_credential(secret, username),
            )
        )
    return servers
