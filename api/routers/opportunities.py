"""Opportunities: list, read, edit and move through stages; the open pipeline summary."""

from __future__ import annotations

import uuid
from functools import lru_cache
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from api.deps import CurrentActor
from api.errors import responses
from api.schemas import (
    OpportunityOut,
    OpportunityPageOut,
    OpportunityPatch,
    Pagination,
    PipelineOut,
    PipelineSummary,
    StageSummary,
)
from api.snapshot import Snapshot, current_snapshot, open_pipeline_rows, warehouse_as_of
from core.db import transaction
from crm import opportunities as opportunity_service
from crm.errors import DomainError, PermissionDenied
from crm.opportunities import OPPORTUNITY_FIELDS
from crm.permissions import visible_owner_ids
from crm.records import check_version
from models.domain import STAGES
from models.schemas import MAX_PAGE_SIZE, OPPORTUNITY_SORTS, OpportunityUpdate

router = APIRouter(prefix="/api/v1/opportunities", tags=["opportunities"])


@router.get("", response_model=OpportunityPageOut, responses=responses(401, 403, 422))
def list_opportunities(
    actor: CurrentActor,
    stage: Annotated[Literal[STAGES] | None, Query()] = None,  # type: ignore[valid-type]
    owner_id: uuid.UUID | None = None,
    account_id: uuid.UUID | None = None,
    open_only: bool = False,
    q: Annotated[str | None, Query(max_length=200, description="Part of the name")] = None,
    sort: Annotated[Literal[OPPORTUNITY_SORTS], Query()] = "close_date",  # type: ignore[valid-type]
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> OpportunityPageOut:
    """Opportunities you may see, optionally by stage and owner, sorted and paged."""
    with transaction() as session:
        page = opportunity_service.list_opportunities(
            session=session,
            actor=actor,
            stage=stage,
            owner_id=owner_id,
            account_id=account_id,
            open_only=open_only,
            q=q,
            sort=sort,
            limit=limit,
            offset=offset,
        )
        return OpportunityPageOut(
            data=[OpportunityOut.model_validate(row) for row in page.rows],
            pagination=Pagination(total=page.total, limit=page.limit, offset=page.offset, has_more=page.has_more),
        )


@router.get("/pipeline", response_model=PipelineOut, responses=responses(401, 403, 422, 503))
def pipeline_summary(actor: CurrentActor, owner_id: uuid.UUID | None = None) -> Response:
    """Open pipeline (count, amount, weighted amount, by stage) from the warehouse, with its as-of time."""
    with transaction() as session:
        visible = visible_owner_ids(session=session, actor=actor)
    if owner_id is not None and visible is not None and owner_id not in visible:
        raise PermissionDenied("You may not see this owner's pipeline", field="owner_id")
    visible_key = tuple(sorted(str(o) for o in visible)) if visible is not None else None
    body = _pipeline_body(current_snapshot(), owner_id, visible_key)
    return Response(body, media_type="application/json")


@lru_cache(maxsize=4096)
def _pipeline_body(snapshot: Snapshot, owner_id: uuid.UUID | None, visible: tuple[str, ...] | None) -> bytes:
    """The response body, made once per served warehouse file, owner and visible set (see api.snapshot)."""
    rows = open_pipeline_rows(
        owner_ids=(str(owner_id),) if owner_id is not None else (), visible=visible, snapshot=snapshot
    )
    by_stage = [
        StageSummary(stage=stage, open_count=count, open_amount=amount, weighted_amount=weighted)
        for stage, count, amount, weighted in rows
    ]
    summary = PipelineSummary(
        open_count=sum(s.open_count for s in by_stage),
        open_amount=round(sum(s.open_amount for s in by_stage), 2),
        weighted_amount=round(sum(s.weighted_amount for s in by_stage), 2),
        by_stage=by_stage,
    )
    out = PipelineOut(summary=summary, owner_id=owner_id, as_of=warehouse_as_of(snapshot))
    return out.model_dump_json().encode()


@router.get("/{opportunity_id}", response_model=OpportunityOut, responses=responses(401, 403, 404, 422))
def get_opportunity(opportunity_id: uuid.UUID, actor: CurrentActor) -> OpportunityOut:
    """One opportunity."""
    with transaction() as session:
        opp = opportunity_service.get_opportunity(session=session, opportunity_id=opportunity_id, actor=actor)
        return OpportunityOut.model_validate(opp)


@router.patch("/{opportunity_id}", response_model=OpportunityOut, responses=responses(401, 403, 404, 409, 422))
def update_opportunity(opportunity_id: uuid.UUID, data: OpportunityPatch, actor: CurrentActor) -> OpportunityOut:
    """Edit fields and/or move the stage (same rules as the forms); a stale ``version`` gets 409."""
    fields = data.model_dump(exclude_unset=True, exclude={"version", "stage", "reason", "lost_reason"})
    with transaction() as session:
        opp = opportunity_service.get_opportunity(session=session, opportunity_id=opportunity_id, actor=actor)
        if fields:
            opp = opportunity_service.update_opportunity(
                session=session,
                opportunity_id=opportunity_id,
                data=OpportunityUpdate.model_validate(fields),
                expected_version=data.version,
                actor=actor,
                reason=data.reason,
            )
        else:
            check_version(
                session=session,
                entity_type="opportunity",
                record=opp,
                expected_version=data.version,
                fields=OPPORTUNITY_FIELDS,
            )
        if data.stage is not None:
            try:
                opp = opportunity_service.change_stage(
                    session=session,
                    opportunity_id=opportunity_id,
                    to_stage=data.stage,
                    expected_version=opp.version,
                    reason=data.reason,
                    lost_reason=data.lost_reason,
                    actor=actor,
                )
            except DomainError as exc:
                if exc.field == "to_stage":  # the API calls the field `stage`
                    exc.field = "stage"
                raise
        return OpportunityOut.model_validate(opp)
