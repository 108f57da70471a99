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


def _error(name: str, status: int, code: str) -> type[ServiceError]:
    return type(name, (ServiceError,), {"status_code": status, "code": code})


NotFound = _error("NotFound", 404, "not_found")
Unauthorized = _error("Unauthorized", 401, "unauthorized")
Forbidden = _error("Forbidden", 403, "forbidden")
ValidationFailed = _error("ValidationFailed", 422, "validation_error")
SlotUnavailable = _error("SlotUnavailable", 409, "slot_unavailable")
LeadTimeViolation = _error("LeadTimeViolation", 422, "lead_time_violation")
InvalidTransition = _error("InvalidTransition", 409, "invalid_transition")
Conflict = _error("Conflict", 409, "conflict")
IdempotencyKeyReused = _error("IdempotencyKeyReused", 422, "idempotency_key_reused")
RequestInProgress = _error("RequestInProgress", 409, "request_in_progress")
RateLimited = _error("RateLimited", 429, "rate_limited")
CancellationNotAllowed = _error("CancellationNotAllowed", 403, "cancellation_not_allowed")
RescheduleNotAllowed = _error("RescheduleNotAllowed", 403, "reschedule_not_allowed")
RescheduleTokenExpired = _error("RescheduleTokenExpired", 410, "reschedule_token_expired")
InvalidRescheduleToken = _error("InvalidRescheduleToken", 403, "invalid_reschedule_token")
AlreadyCheckedIn = _error("AlreadyCheckedIn", 409, "already_checked_in")
CheckInNotOpen = _error("CheckInNotOpen", 409, "check_in_not_open")
UrlNotAllowed = _error("UrlNotAllowed", 422, "url_not_allowed")
