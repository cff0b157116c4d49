"""Sign-in (OAuth2 password form → bearer token), sign-out (revoke) and integration API keys."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from api.credentials import ACCESS_TOKEN_MINUTES, issue_token
from api.credentials import revoke_token as revoke_token_claims
from api.deps import CurrentActor, credential_cache
from api.errors import responses
from api.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyOut, Me, TokenResponse
from core.db import transaction
from crm.api_keys import create_api_key, list_api_keys, revoke_api_key
from crm.errors import DomainError, ValidationFailed
from crm.users import authenticate

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post("/auth/token", response_model=TokenResponse, responses=responses(401, 422, 429))
def sign_in(form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenResponse:
    """Exchange email (``username``) and password for a short-lived bearer token."""
    if "\x00" in form.username or "\x00" in form.password:
        raise ValidationFailed([("username" if "\x00" in form.username else "password", "contains a NUL character")])
    with transaction() as session:
        user = authenticate(session=session, email=form.username, password=form.password)
        token = issue_token(user_id=user.id)
    return TokenResponse(access_token=token.access_token, expires_in=ACCESS_TOKEN_MINUTES * 60)


@router.post("/auth/revoke", status_code=status.HTTP_204_NO_CONTENT, responses=responses(401))
def revoke_token(request: Request, actor: CurrentActor) -> None:
    """Revoke the bearer token this request carries (sign out); it is refused from now on."""
    claims = getattr(request.state, "token_claims", None)
    if claims is None:
        raise DomainError("Only a bearer token can be revoked here; API keys are revoked by an admin", field=None)
    with transaction() as session:
        revoke_token_claims(session=session, claims=claims)
    credential_cache.forget("token", getattr(request.state, "token", None))


@router.get("/auth/me", response_model=Me, responses=responses(401))
def who_am_i(actor: CurrentActor) -> Me:
    """The signed-in identity and role."""
    return Me(id=actor.id, email=actor.email, name=actor.name, role=actor.role, team_id=actor.team_id)


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 404, 422),
)
def create_key(data: ApiKeyCreate, actor: CurrentActor) -> ApiKeyCreated:
    """Create an integration key acting as a user (admins only); the secret is returned once."""
    with transaction() as session:
        key, secret = create_api_key(
            session=session, actor=actor, name=data.name, user_id=data.user_id, expires_at=data.expires_at
        )
        return ApiKeyCreated(**ApiKeyOut.model_validate(key).model_dump(), key=secret)


@router.get("/api-keys", response_model=list[ApiKeyOut], responses=responses(401, 403))
def list_keys(actor: CurrentActor) -> list[ApiKeyOut]:
    """Every API key without its secret (admins only)."""
    with transaction() as session:
        return [ApiKeyOut.model_validate(k) for k in list_api_keys(session=session, actor=actor)]


@router.delete("/api-keys/{key_id}", response_model=ApiKeyOut, responses=responses(401, 403, 404, 422))
def revoke_key(key_id: uuid.UUID, actor: CurrentActor) -> ApiKeyOut:
    """Revoke an API key at once (admins only)."""
    with transaction() as session:
        revoked = ApiKeyOut.model_validate(revoke_api_key(session=session, actor=actor, key_id=key_id))
    credential_cache.forget("api_key")  # the cache knows keys by secret, not id: forget them all
    return revoked
