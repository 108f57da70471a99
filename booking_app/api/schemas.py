"""Request bodies. Pydantic checks shape and bounds; services check meaning."""
from __future__ import annotations

import re
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from booking_app.domain.tz import is_valid_timezone
from booking_app.services import free_text
from booking_app.services.free_text import MULTI_LINE

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE_RE = re.compile(r"^\+?[0-9 ()./-]{6,30}$")


def _email(value: str) -> str:
    value = value.strip()
    if not EMAIL_RE.match(value):
        raise ValueError("Enter an email address like name@example.com")
    return value


def _phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if not PHONE_RE.match(value.strip()):
        raise ValueError("Enter a phone number like +1 555 123 4567")
    return value.strip()


def _timezone(value: str) -> str:
    if not is_valid_timezone(value):
        raise ValueError(f"'{value}' is not an IANA timezone such as America/New_York")
    return value


Email = Annotated[str, Field(max_length=255), AfterValidator(_email)]
Phone = Annotated[str | None, Field(default=None, max_length=50), AfterValidator(_phone)]
TimeZone = Annotated[str, Field(max_length=64), AfterValidator(_timezone)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str | None, Field(default=None, max_length=5000), MULTI_LINE]
LocationType = Literal["in_person", "virtual", "phone"]
Windows = dict[str, list[list[str]]]


class In(BaseModel):
    """A request body. Every string in it, however nested, follows services/free_text.py: one line
    without control characters (NUL included, which PostgreSQL text cannot hold), unless its field
    is marked MULTI_LINE. By default, so a new field cannot forget it; refused per field as a 422."""

    @field_validator("*", mode="before")
    @classmethod
    def _plain_text(cls, value: object, info: ValidationInfo) -> object:
        assert info.field_name is not None  # always set for a field validator
        message = free_text.problem(value, multi_line=MULTI_LINE in cls.model_fields[info.field_name].metadata)
        if message:
            raise ValueError(message)
        return value


class Strict(In):
    model_config = ConfigDict(extra="forbid")


class CancellationPolicyIn(Strict):
    lead_time_hours: float = Field(24, ge=0, le=24 * 365)
    late_cancellation: Literal["block", "fee"] = "block"
    late_cancel_fee: Decimal = Field(Decimal("0"), ge=0, le=100000, decimal_places=2)
    refund_percent: int = Field(100, ge=0, le=100)


class RemindersIn(Strict):
    email: list[int] = Field(default_factory=lambda: [1440, 60], max_length=10)
    sms: list[int] = Field(default_factory=list, max_length=10)
    push: list[int] = Field(default_factory=list, max_length=10)


# In these models `X = OMITTED` (not Optional[X]) marks a field that may be left out but never sent as
# null: its column is NOT NULL, so a null would reach the database as a 500 instead of a 422. OMITTED is
# None typed as Any: a type checker has no way to say "absent by default, yet never None when given".
OMITTED: Any = None
class CalendarFields(Strict):
    slug: str = Field(OMITTED, max_length=80)
    business_name: ShortText = OMITTED
    owner_name: ShortText | None = None
    owner_email: Email | None = None
    owner_phone: Phone = None
    contact_email: Email | None = None
    contact_phone: Phone = None
    support_email: Email | None = None
    language: Literal["en", "de"] = OMITTED
    weekly_hours: Windows = OMITTED
    date_overrides: Windows | None = None
    slot_interval_minutes: int = Field(OMITTED, ge=5, le=480)
    buffer_before_minutes: int = Field(OMITTED, ge=0, le=480)
    buffer_after_minutes: int = Field(OMITTED, ge=0, le=480)
    min_notice_minutes: int = Field(OMITTED, ge=0, le=60 * 24 * 90)
    max_advance_days: int = Field(OMITTED, ge=1, le=730)
    cancellation_policy: CancellationPolicyIn = OMITTED
    reschedule_window_hours: float | None = Field(None, ge=0, le=24 * 365)
    hold_minutes: int = Field(OMITTED, ge=1, le=24 * 60)
    no_show_grace_minutes: int = Field(OMITTED, ge=0, le=24 * 60)
    reminders: RemindersIn | None = None


class CalendarCreate(CalendarFields):
    name: ShortText
    timezone: TimeZone


class CalendarPatch(CalendarFields):
    name: ShortText = OMITTED
    timezone: TimeZone = OMITTED


class AppointmentTypeFields(Strict):
    name: ShortText = OMITTED
    description: LongText = None
    duration_minutes: int = Field(OMITTED, ge=5, le=24 * 60)
    price: Decimal = Field(OMITTED, ge=0, le=1000000, decimal_places=2)
    currency: str = Field(OMITTED, pattern=r"^[A-Z]{3}$")
    payment_required: bool = OMITTED
    location_type: LocationType = OMITTED
    location_address: LongText = None
    meeting_provider: str | None = Field(None, max_length=50)
    meeting_link: str | None = Field(None, max_length=2000, pattern=r"^https?://")
    email_template: Literal["default", "consultation", "support"] = OMITTED
    active: bool = OMITTED


class AppointmentTypeCreate(AppointmentTypeFields):
    slug: str = Field(min_length=1, max_length=100)
    name: ShortText
    duration_minutes: int = Field(ge=5, le=24 * 60)


class BookingIn(Strict):
    calendar_id: uuid.UUID
    appointment_type: str = Field(min_length=1, max_length=100)
    start_time: AwareDatetime
    end_time: AwareDatetime
    customer_email: Email
    customer_name: ShortText
    timezone: TimeZone
    customer_phone: Phone = None
    customer_id: uuid.UUID | None = None
    slot_id: uuid.UUID | None = None
    notes: LongText = None
    location_type: LocationType | None = None
    language: Literal["en", "de"] | None = None
    override_availability: bool = False


def set_fields(model: BaseModel) -> dict:
    """Only the fields the client sent (PATCH semantics), nested models as plain dicts."""
    return model.model_dump(exclude_unset=True, mode="python")


class CancelIn(Strict):
    reason: Annotated[str, MULTI_LINE] = Field("No reason given", min_length=1, max_length=2000)
    cancelled_by: Literal["customer", "owner", "system"] = "customer"


class RescheduleIn(Strict):
    reason: LongText = None
    new_start_time: AwareDatetime | None = None


class RescheduleConfirmIn(Strict):
    reschedule_token: str = Field(min_length=1, max_length=500)
    new_start_time: AwareDatetime
    new_end_time: AwareDatetime
    new_slot_id: uuid.UUID | None = None


class ProposalAnswerIn(Strict):
    answer_token: str = Field(min_length=1, max_length=500)
    answer: Literal["accept", "decline"]


class StatusIn(Strict):
    status: Literal["pending", "confirmed", "cancelled", "completed", "no_show", "late_cancel"]
    notes: LongText = None


class CheckInIn(Strict):
    method: Literal["qr_code", "manual", "link"]
    notes: LongText = None


class PaymentIn(Strict):
    payment_id: str = Field(min_length=1, max_length=255)
    amount: Decimal = Field(ge=0, le=1000000, decimal_places=2)
    status: Literal["paid"]


class PushKeysIn(Strict):
    p256dh: str = Field(min_length=1, max_length=255)
    auth: str = Field(min_length=1, max_length=255)


class PushSubscriptionIn(In):
    model_config = ConfigDict(extra="ignore")  # browsers add expirationTime and friends
    endpoint: str = Field(min_length=1, max_length=2000, pattern=r"^https?://")
    keys: PushKeysIn


class ErrorOut(BaseModel):
    """Every error response: a snake_case code, a sentence for people, and code-specific extras
    (`details` for validation errors, `available_slots`, `cancellation_policy`, ...)."""
    model_config = ConfigDict(extra="allow")
    error: str
    message: str


ERROR_DESCRIPTIONS = {
    401: "unauthorized: the staff API key is missing, malformed, unknown or revoked",
    403: "forbidden: the key's role is too low, or the manage token does not fit this appointment",
    404: "not_found: unknown id or slug",
    409: "conflict, invalid_transition or request_in_progress (a retry while the first is running)",
    410: "gone: the token has expired",
    422: "validation_error with `details` naming each bad field, idempotency_key_reused, or url_not_allowed "
         "(a URL the app must not fetch from or post to)",
    429: "rate_limited: too many public requests; retry after `Retry-After` seconds",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds until the limit resets", "schema": {"type": "integer"}}}


def errors(*statuses: int, **notes: str) -> dict:
    """`responses=` for a route: each error status it can answer, all in the ErrorOut shape.
    `notes` (keyed `s409`, `s422`, ...) replace the generic description of that status."""
    responses = {}
    for status in statuses:
        response = {"model": ErrorOut, "description": notes.get(f"s{status}", ERROR_DESCRIPTIONS[status])}
        if status == 429:
            response["headers"] = RETRY_AFTER
        responses[status] = response
    return responses
