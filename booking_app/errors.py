"""Errors a use case can end with. The API turns each into its JSON error shape."""
from __future__ import annotations


class ServiceError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra

    def body(self) -> dict:
        return {"error": self.code, "message": self.message, **self.extra}


class NotFound(ServiceError):
    status_code = 404
    code = "not_found"


class Unauthorized(ServiceError):
    status_code = 401
    code = "unauthorized"


class Forbidden(ServiceError):
    status_code = 403
    code = "forbidden"


class ValidationFailed(ServiceError):
    status_code = 422
    code = "validation_error"


def invalid(field: str, message: str) -> ValidationFailed:
    """A ValidationFailed about one field, its message repeated in `details` beside the field's name."""
    return ValidationFailed(message, details=[{"field": field, "message": message}])


class SlotUnavailable(ServiceError):
    status_code = 409
    code = "slot_unavailable"


class LeadTimeViolation(ServiceError):
    status_code = 422
    code = "lead_time_violation"


class InvalidTransition(ServiceError):
    status_code = 409
    code = "invalid_transition"


class Conflict(ServiceError):
    status_code = 409
    code = "conflict"


class IdempotencyKeyReused(ServiceError):
    status_code = 422
    code = "idempotency_key_reused"


class RequestInProgress(ServiceError):
    status_code = 409
    code = "request_in_progress"


class RateLimited(ServiceError):
    status_code = 429
    code = "rate_limited"


class CancellationNotAllowed(ServiceError):
    status_code = 403
    code = "cancellation_not_allowed"


class RescheduleNotAllowed(ServiceError):
    status_code = 403
    code = "reschedule_not_allowed"


class RescheduleTokenExpired(ServiceError):
    status_code = 410
    code = "reschedule_token_expired"


class InvalidRescheduleToken(ServiceError):
    status_code = 403
    code = "invalid_reschedule_token"


class AlreadyCheckedIn(ServiceError):
    status_code = 409
    code = "already_checked_in"


class CheckInNotOpen(ServiceError):
    status_code = 409
    code = "check_in_not_open"


class UrlNotAllowed(ServiceError):
    status_code = 422
    code = "url_not_allowed"
