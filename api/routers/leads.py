"""Leads: create, search, read, edit (optimistic versioning), delete, convert, import."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile, status

from api.deps import CurrentActor
from api.errors import responses
from api.responses import json_response
from api.schemas import (
    ConvertedLead,
    ImportProblem,
    ImportReportOut,
    LeadOut,
    LeadPageOut,
    LeadPatch,
    OpportunityOut,
)
from core.db import transaction
from crm import leads as lead_service
from crm import opportunities as opportunity_service
from crm.errors import ValidationFailed
from crm.importing import import_csv
from models.schemas import LeadConversion, LeadCreate, LeadQuery, LeadUpdate
from models.tables import lead_full_name

router = APIRouter(prefix="/api/v1/leads", tags=["leads"])


@router.post(
    "",
    response_model=LeadOut,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 404, 409, 422),
)
def create_lead(data: LeadCreate, actor: CurrentActor) -> Response:
    """Create a lead (status ``new`` unless given); a duplicate email gets 409 naming the existing lead."""
    with transaction() as session:
        lead = lead_service.create_lead(session=session, data=data, actor=actor)
        return json_response(LeadOut.model_validate(lead), status_code=status.HTTP_201_CREATED)


@router.get("", response_model=LeadPageOut, responses=responses(401, 403, 422))
def search_leads(query: Annotated[LeadQuery, Query()], actor: CurrentActor) -> Response:
    """Leads you may see, filtered, searched (``q``: name, email or company), sorted and paged."""
    with transaction() as session:
        page = lead_service.search_leads(session=session, query=query, actor=actor, as_rows=True)
    # One validation of the whole page from plain rows (no ORM objects, no model per row by hand).
    body = LeadPageOut.model_validate(
        {
            "data": [
                {**row, "full_name": lead_full_name(row["first_name"], row["last_name"], row["email"])}
                for row in page.rows
            ],
            "pagination": {
                "total": page.total,
                "limit": page.limit,
                "offset": page.offset,
                "has_more": page.has_more,
                "total_is_exact": page.total_is_exact,
            },
        }
    )
    return json_response(body)


@router.post("/import", response_model=ImportReportOut, responses=responses(401, 403, 422))
def import_leads(
    actor: CurrentActor,
    file: Annotated[UploadFile, File(description="CSV file (UTF-8 or a legacy encoding; header row first)")],
    mapping: Annotated[
        str | None, Form(description='JSON mapping as for the CLI: {"columns": {...}, "values": {...}, ...}')
    ] = None,
    dry_run: Annotated[bool, Form(description="Validate and report; change nothing")] = False,
    skip_bad_rows: Annotated[bool, Form(description="Import the good rows, report the bad ones")] = False,
) -> ImportReportOut:
    """Import leads from a CSV with the CLI's engine; returns the report with each bad row's field and reason.

    Without ``skip_bad_rows`` any bad row keeps the whole file out (``committed`` is false).
    """
    parsed = None
    if mapping:
        try:
            parsed = json.loads(mapping)
        except json.JSONDecodeError as exc:
            raise ValidationFailed([("mapping", f"is not valid JSON ({exc.msg})")]) from None
        if not isinstance(parsed, dict):
            raise ValidationFailed([("mapping", "must be a JSON object")])
    with transaction() as session:
        report = import_csv(
            session=session,
            actor=actor,
            entity="leads",
            source=file.file,
            mapping=parsed,
            dry_run=dry_run,
            skip_bad_rows=skip_bad_rows,
        )
    return ImportReportOut(
        entity=report.entity,
        summary=report.summary(),
        rows_read=report.rows_read,
        inserted=report.inserted,
        updated=report.updated,
        unchanged=report.unchanged,
        rows_rejected=report.rows_rejected,
        error_count=report.error_count,
        committed=report.committed,
        dry_run=report.dry_run,
        skip_bad_rows=report.skip_bad_rows,
        notes=report.notes,
        errors=[
            ImportProblem(row_number=e.row_number, field=e.field, value=e.value, reason=e.reason) for e in report.errors
        ],
    )


@router.get("/{lead_id}", response_model=LeadOut, responses=responses(401, 403, 404, 422))
def get_lead(lead_id: uuid.UUID, actor: CurrentActor) -> LeadOut:
    """One lead."""
    with transaction() as session:
        return LeadOut.model_validate(lead_service.get_lead(session=session, lead_id=lead_id, actor=actor))


@router.patch("/{lead_id}", response_model=LeadOut, responses=responses(401, 403, 404, 409, 422))
def update_lead(lead_id: uuid.UUID, data: LeadPatch, actor: CurrentActor) -> LeadOut:
    """Change the fields sent; ``version`` must be the one you read, or the edit is refused with 409."""
    changes = LeadUpdate.model_validate(data.model_dump(exclude_unset=True, exclude={"version"}))
    with transaction() as session:
        lead = lead_service.update_lead(
            session=session, lead_id=lead_id, data=changes, expected_version=data.version, actor=actor
        )
        return LeadOut.model_validate(lead)


@router.delete(
    "/{lead_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=responses(401, 403, 404, 422),
)
def delete_lead(
    lead_id: uuid.UUID,
    actor: CurrentActor,
    version: Annotated[int | None, Query(ge=1, description="If given, refuse (409) unless still at it")] = None,
) -> Response:
    """Delete a lead that is not converted."""
    with transaction() as session:
        lead_service.delete_lead(session=session, lead_id=lead_id, actor=actor, expected_version=version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{lead_id}/convert",
    response_model=ConvertedLead,
    status_code=status.HTTP_201_CREATED,
    responses=responses(401, 403, 404, 409, 422),
)
def convert_lead(lead_id: uuid.UUID, data: LeadConversion, actor: CurrentActor) -> ConvertedLead:
    """Convert a qualified lead into an opportunity (and its account) in one step."""
    with transaction() as session:
        opportunity = opportunity_service.convert_lead(session=session, lead_id=lead_id, data=data, actor=actor)
        lead = lead_service.get_lead(session=session, lead_id=lead_id, actor=actor)
        return ConvertedLead(lead=LeadOut.model_validate(lead), opportunity=OpportunityOut.model_validate(opportunity))
