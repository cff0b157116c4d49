"""Request dependencies: who is calling (bearer token or X-API-Key), as a crm Actor.

A credential checked against the database is remembered for CREDENTIAL_TTL_S seconds (never past
a token's expiry), so a client sending many requests costs one signature check and one query per
few seconds instead of per request. Revoking through this process (sign-out, an admin revoking a
key) forgets the credential at once; a revocation or deactivation made elsewhere (another API
worker, the app) takes effect within CREDENTIAL_TTL_S.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from api.credentials import actor_for_token
from core.db import transaction
from crm.actors import Actor
from crm.api_keys import actor_for_api_key
from crm.errors import AuthenticationFailed

bearer_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False)

CREDENTIAL_TTL_S = 5.0
CREDENTIAL_CACHE_SIZE = 10_000  # distinct credentials remembered at once; beyond it the cache starts over


@dataclass(frozen=True)
class _Checked:
    actor: Actor
    claims: dict[str, object] | None
    valid_until: float  # time.monotonic()


class CredentialCache:
    """Credentials recently found valid, by their exact text (thread-safe; handlers run on threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], _Checked] = {}

    def get(self, kind: str, credential: str) -> _Checked | None:
        """The remembered check of ``credential``, if still fresh."""
        entry = self._entries.get((kind, credential))
        if entry is None or entry.valid_until <= time.monotonic():
            return None
        return entry

    def put(self, kind: str, credential: str, actor: Actor, claims: dict[str, object] | None) -> None:
        """Remember a successful check for CREDENTIAL_TTL_S (or until the token expires, if sooner)."""
        until = time.monotonic() + CREDENTIAL_TTL_S
        if claims is not None:
            until = min(until, time.monotonic() + float(claims["exp"]) - time.time())  # type: ignore[arg-type]
        with self._lock:
            if len(self._entries) >= CREDENTIAL_CACHE_SIZE:
                self._entries.clear()
            self._entries[(kind, credential)] = _Checked(actor, claims, until)

    def forget(self, kind: str, credential: str | None = None) -> None:
        """Forget one credential, or every credential of ``kind`` when none is given."""
        with self._lock:
            if credential is not None:
                self._entries.pop((kind, credential), None)
            else:
                for key in [k for k in self._entries if k[0] == kind]:
                    del self._entries[key]


credential_cache = CredentialCache()


def current_actor(
    request: Request,
    token: Annotated[str | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Actor:
    """The signed-in user: from a bearer token, else from an integration's API key; 401 otherwise."""
    if token:
        claims: dict[str, object] | None
        hit = credential_cache.get("token", token)
        if hit is None:
            with transaction() as session:
                actor, claims = actor_for_token(session=session, token=token)
            credential_cache.put("token", token, actor, claims)
        else:
            actor, claims = hit.actor, hit.claims
        request.state.token_claims = claims
        request.state.token = token
        return actor
    if api_key:
        hit = credential_cache.get("api_key", api_key)
        if hit is not None:
            return hit.actor
        with transaction() as session:
            actor = actor_for_api_key(session=session, secret=api_key)
        credential_cache.put("api_key", api_key, actor, None)
        return actor
    raise AuthenticationFailed("Not signed in: send a bearer token (Authorization) or an X-API-Key header")


CurrentActor = Annotated[Actor, Depends(current_actor)]
