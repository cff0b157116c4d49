"""Possible duplicate leads (warnings before saving) and merging two leads into one.

A candidate is another lead with the same first name, last name and company, the same phone
number (digits compared), or a near-identical email (same address after removing dots and
``+tags`` in the local part, or a one- or two-character typo). ``match_score`` is 0–100.

Duplicates are scoped exactly like search (``crm.permissions.visible_owner_ids``): a caller is
shown only the candidates they may read; of the others they learn only that one exists
(``DuplicateCheck.others``), never its name, email, score or id.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, literal_column, or_, select, update
from sqlalchemy.orm import Session

from crm import audit
from crm.actors import Actor
from crm.errors import DomainError, ValidationFailed
from crm.leads import EDITABLE_FIELDS, SEARCH_EXPRESSION, lead_values, rescore
from crm.permissions import ensure_can_edit, ensure_can_write, visible_owner_ids
from models import Lead, Opportunity

# Expressions indexed by migration 0002 (keep the text identical).
PHONE_DIGITS_EXPRESSION = "regexp_replace(leads.phone, '[^0-9]', '', 'g')"
EMAIL_LOWER_EXPRESSION = "lower(leads.email)"
# Near-identical emails are found through the search trigram index: leads whose search text holds something
# like the email (word similarity at least this; the match score then compares the emails themselves).
EMAIL_WORD_SIMILARITY = 0.6
MERGEABLE_FIELDS: tuple[str, ...] = EDITABLE_FIELDS
EMAIL_SIMILARITY = 0.8


@dataclass(frozen=True)
class DuplicateCandidate:
    """A lead that may be the same person, with why and how sure (0–100)."""

    lead_id: uuid.UUID
    full_name: str
    email: str | None
    match_score: float
    reasons: list[str] = field(default_factory=list)
    company: str | None = None
    owner_id: uuid.UUID | None = None


OTHERS_MESSAGE = "A similar lead exists, owned by someone else — ask your manager."


@dataclass(frozen=True)
class DuplicateCheck:
    """Possible duplicates as the caller may see them: the visible ones, and how many others exist."""

    candidates: list[DuplicateCandidate]
    others: int = 0
    same_email: bool = False  # some candidate (visible or not) has exactly the email checked

    @property
    def any(self) -> bool:
        """True when any possible duplicate exists, visible or not."""
        return bool(self.candidates) or self.others > 0


def phone_digits(phone: str | None) -> str | None:
    """The digits of a phone number (None when fewer than 7)."""
    if not phone:
        return None
    digits = re.sub(r"[^0-9]", "", phone)
    return digits if len(digits) >= 7 else None


def canonical_email(email: str | None) -> str | None:
    """Lower-case address without dots and ``+tag`` in the local part."""
    if not email or "@" not in email:
        return None
    local, domain = email.strip().lower().rsplit("@", 1)
    local = local.split("+", 1)[0].replace(".", "")
    return f"{local}@{domain}"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _email_similarity(a: str, b: str) -> float:
    if canonical_email(a) == canonical_email(b):
        return 1.0
    return SequenceMatcher(None, a.lower(), b.lower()).ratio()


def check_duplicates(
    *,
    session: Session,
    data: Mapping[str, Any] | Any,
    actor: Actor,
    exclude_id: uuid.UUID | None = None,
    limit: int = 10,
) -> DuplicateCheck:
    """Possible duplicates of ``data`` that ``actor`` may see, plus the count of those they may not."""
    values = data.model_dump() if hasattr(data, "model_dump") else dict(data)
    found = _all_candidates(session=session, values=values, exclude_id=exclude_id, limit=limit * 5)
    owners = visible_owner_ids(session=session, actor=actor)
    visible = [c for c in found if owners is None or c.owner_id in owners]
    email = (_text(values.get("email")) or "").lower()
    same_email = bool(email) and any((c.email or "").lower() == email for c in found)
    return DuplicateCheck(visible[:limit], len(found) - len(visible), same_email)


def find_possible_duplicates(
    *,
    session: Session,
    data: Mapping[str, Any] | Any,
    actor: Actor,
    exclude_id: uuid.UUID | None = None,
    limit: int = 10,
) -> list[DuplicateCandidate]:
    """Leads ``actor`` may see that look like the same person as ``data`` (a mapping or schema), best first."""
    return check_duplicates(session=session, data=data, actor=actor, exclude_id=exclude_id, limit=limit).candidates


def _all_candidates(
    *, session: Session, values: Mapping[str, Any], exclude_id: uuid.UUID | None, limit: int
) -> list[DuplicateCandidate]:
    """Every possible duplicate, whoever owns it (never shown as such: see check_duplicates)."""
    first, last = _text(values.get("first_name")), _text(values.get("last_name"))
    company, email = _text(values.get("company")), _text(values.get("email"))
    phone = phone_digits(_text(values.get("phone")))

    conds: list[ColumnElement[bool]] = []
    if last and company:
        name_cond = (func.lower(Lead.last_name) == last.lower()) & (func.lower(Lead.company) == company.lower())
        if first:
            name_cond = name_cond & (func.lower(Lead.first_name) == first.lower())
        conds.append(name_cond)
    if phone:
        conds.append(literal_column(PHONE_DIGITS_EXPRESSION) == phone)
    if email and "@" in email:
        conds.append(literal_column(SEARCH_EXPRESSION).op("%>")(email.lower()))
    if not conds:
        return []
    stmt = select(Lead).where(or_(*conds))
    if exclude_id is not None:
        stmt = stmt.where(Lead.id != exclude_id)
    if email and "@" in email:  # closest emails first; pg_trgm's `%>` threshold, for this transaction only
        stmt = stmt.order_by(literal_column(EMAIL_LOWER_EXPRESSION).op("<->")(email.lower()))
        session.execute(select(func.set_config("pg_trgm.word_similarity_threshold", str(EMAIL_WORD_SIMILARITY), True)))
    rows = list(session.scalars(stmt.limit(limit * 5)))

    candidates: list[DuplicateCandidate] = []
    for lead in rows:
        reasons: list[str] = []
        scores: list[float] = []
        same_name = (
            last
            and company
            and (lead.last_name or "").lower() == last.lower()
            and (lead.company or "").lower() == company.lower()
            and (not first or (lead.first_name or "").lower() == first.lower())
        )
        if same_name:
            reasons.append(f"same name and company ({lead.full_name}, {lead.company})")
            scores.append(85.0 if first else 70.0)
        if phone and phone_digits(lead.phone) == phone:
            reasons.append(f"same phone ({lead.phone})")
            scores.append(80.0)
        if email and lead.email:
            similarity = _email_similarity(email, lead.email)
            if lead.email.lower() == email.lower():
                reasons.append(f"same email ({lead.email})")
                scores.append(100.0)
            elif similarity >= EMAIL_SIMILARITY:
                reasons.append(f"near-identical email ({lead.email})")
                scores.append(round(60 + 35 * similarity, 1))
        if not scores:
            continue
        score = min(100.0, max(scores) + 5.0 * (len(scores) - 1))
        candidates.append(
            DuplicateCandidate(
                lead.id, lead.full_name, lead.email, round(score, 1), reasons, lead.company, lead.owner_id
            )
        )
    candidates.sort(key=lambda c: (-c.match_score, c.full_name.lower(), str(c.lead_id)))
    return candidates[:limit]


def merge_leads(
    *,
    session: Session,
    keep_id: uuid.UUID,
    merge_id: uuid.UUID,
    chosen: Mapping[str, Literal["keep", "merge"]],
    actor: Actor,
) -> Lead:
    """Merge ``merge_id`` into ``keep_id``: chosen values win, opportunities move, the other lead goes."""
    ensure_can_write(actor)
    if keep_id == merge_id:
        raise ValidationFailed([("merge_id", "must be a different lead than keep_id")])
    bad = [(f"chosen.{k}", "must be 'keep' or 'merge'") for k, v in chosen.items() if v not in ("keep", "merge")]
    bad += [(f"chosen.{k}", "is not a mergeable field") for k in chosen if k not in MERGEABLE_FIELDS]
    if bad:
        raise ValidationFailed(bad)
    locked = {
        lead.id: lead
        for lead in session.scalars(
            select(Lead)
            .where(Lead.id.in_([keep_id, merge_id]))
            .order_by(Lead.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    keep, other = locked.get(keep_id), locked.get(merge_id)
    if keep is None or other is None:
        from crm.errors import NotFound

        missing = keep_id if keep is None else merge_id
        raise NotFound(f"No lead with id {missing}", field="keep_id" if keep is None else "merge_id")
    ensure_can_edit(actor, keep.owner_id, session=session)
    ensure_can_edit(actor, other.owner_id, session=session)
    if keep.status == "converted" and other.status == "converted":
        raise DomainError("Both leads are converted; merge their opportunities instead", field="merge_id")

    before = lead_values(keep)
    taken = {k: getattr(other, k) for k, side in chosen.items() if side == "merge"}
    # Fill what the kept lead lacks, unless the caller chose explicitly.
    for name in MERGEABLE_FIELDS:
        if name not in chosen and getattr(keep, name) is None and getattr(other, name) is not None:
            taken[name] = getattr(other, name)
    if "owner_id" in taken and taken["owner_id"] is not None:
        ensure_can_edit(actor, taken["owner_id"], session=session)
    if other.status == "converted":
        taken.update(
            status="converted",
            converted_opportunity_id=other.converted_opportunity_id,
            converted_at=other.converted_at,
        )
    if "status" in taken and keep.status == "converted":
        taken.pop("status")
    if keep.account_id is None and other.account_id is not None:
        taken["account_id"] = other.account_id

    moved = (
        session.execute(
            update(Opportunity).where(Opportunity.lead_id == other.id).values(lead_id=keep.id).returning(Opportunity.id)
        )
        .scalars()
        .all()
    )
    snapshot = {k: v for k, v in lead_values(other).items() if v is not None}
    audit.record(
        session,
        actor=actor,
        entity_type="lead",
        entity_id=other.id,
        action="merged_into",
        changes={"kept_lead_id": keep.id, "snapshot": snapshot},
    )
    other.converted_opportunity_id = None
    session.flush()
    session.delete(other)
    session.flush()  # the other lead's email is gone before the kept lead may take it

    for name, value in taken.items():
        setattr(keep, name, value)
    rescore(keep)
    session.flush()
    changes = audit.diff(before, lead_values(keep))
    changes["merged_lead_id"] = other.id
    changes["opportunities_moved"] = [str(i) for i in moved]
    audit.record(session, actor=actor, entity_type="lead", entity_id=keep.id, action="merge", changes=changes)
    session.refresh(keep)
    return keep
