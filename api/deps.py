"""Request dependencies: who is calling (bearer token or X-API-Key), as a crm Actor."""

from __future__ import annotations

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


def current_actor(
    request: Request,
    token: Annotated[str | None, Depends(bearer_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Actor:
    """The signed-in user: from a bearer token, else from an integration's API key; 401 otherwise."""
    with transaction() as session:
        if token:
            actor, claims = actor_for_token(session=session, token=token)
            request.state.token_claims = claims
            return actor
        if api_key:
            return actor_for_api_key(session=session, secret=api_key)
    raise AuthenticationFailed("Not signed in: send a bearer token (Authorization) or an X-API-Key header")


CurrentActor = Annotated[Actor, Depends(current_actor)]
