"""Send an already-validated response model as JSON without FastAPI validating it a second time."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


def json_response(model: BaseModel, *, status_code: int = 200) -> Response:
    """``model`` serialised once (the route's ``response_model`` still documents it in OpenAPI)."""
    return Response(model.model_dump_json(), status_code=status_code, media_type="application/json")
