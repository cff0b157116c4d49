"""Domain errors: each carries a message a person can act on, and the field it concerns."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose; ``str(err)`` is shown to the user."""

    status_code = 422

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationFailed(DomainError):
    """Input broke a rule; ``errors`` lists every (field, problem) found."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = errors
        text = "; ".join(f"{field}: {problem}" for field, problem in errors)
        super().__init__(text, field=errors[0][0] if errors else None)


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403

    def __init__(self, message: str = "Permission denied.", *, field: str | None = None) -> None:
        super().__init__(message, field=field)


class DuplicateEmail(DomainError):
    """The email is taken. ``existing_id`` is set only when the caller may see that record."""

    status_code = 409

    def __init__(
        self, email: str, existing_id: object = None, *, kind: str = "lead", owner_name: str | None = None
    ) -> None:
        self.existing_id = existing_id
        if existing_id is None:
            message = f"A {kind} with email {email} already exists, owned by someone else — ask your manager."
        elif owner_name:
            message = f"A {kind} with email {email} already exists, owned by {owner_name}."
        else:
            message = f"A {kind} with email {email} already exists."
        super().__init__(message, field="email")


class StaleRecord(DomainError):
    """The record changed since the version the caller read; says which fields and the version now stored."""

    status_code = 409

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        changed_fields: list[str] | None = None,
        current_version: int | None = None,
    ) -> None:
        super().__init__(message, field=field)
        self.changed_fields = list(changed_fields or [])
        self.current_version = current_version


class InvalidStageTransition(DomainError):
    status_code = 422


class AuthenticationFailed(DomainError):
    status_code = 401


class TooManyAttempts(DomainError):
    status_code = 429
