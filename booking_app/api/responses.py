"""Response bodies: every success body the API sends, as the routes declare it (`response_model`), so
/api/v1/openapi.json describes it and schemathesis checks each response against it.

A body holds exactly the keys declared here (`extra="forbid"`): a key a read model adds without
declaring it fails the response instead of going out undocumented. Read models (booking_app/readmodels)
build most bodies as dicts; use-case results (cancellation, a reschedule hold or proposal, a check-in)
become bodies here. Times are ISO 8601 in UTC with a `Z`, ids are UUID strings, and money is `Money`:
a `Decimal` inside, a JSON number rounded to cents on the wire (domain/money.py), the only way amounts
leave the API."""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from booking_app.domain.money import as_number
from booking_app.domain.status import Status
from booking_app.models import AppointmentCheckIn
from booking_app.services.appointments.cancellation import CancellationResult
from booking_app.services.appointments.rescheduling import Proposal, RescheduleHold
from booking_app.services.calendars.slots import slot_dict
from booking_app.timefmt import iso

Money = Annotated[Decimal, PlainSerializer(as_number, return_type=float, when_used="json"),
                  WithJsonSchema({"type": "number", "description": "An amount in `currency`, rounded to cents"})]
Id = Annotated[str, WithJsonSchema({"type": "string", "format": "uuid"})]
Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time",
                                           "description": "ISO 8601 in UTC, e.g. 2026-06-01T13:00:00Z"})]
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]
# A number stored in a JSON settings column: kept as sent (24 stays 24, 1.5 stays 1.5).
Number = Annotated[int | float, WithJsonSchema({"type": "number"})]
Windows = dict[str, list[list[str]]]


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- calendars and appointment types -----------------------------------------------------------------

class CancellationPolicyOut(Out):
    lead_time_hours: Number
    late_cancellation: Literal["block", "fee"]
    late_cancel_fee: Money
    refund_percent: int


class RemindersOut(Out):
    """Minutes before the start, per channel."""
    email: list[int]
    sms: list[int]
    push: list[int]


class PublicCalendarOut(Out):
    """What anyone may read of a calendar (booking pages)."""
    id: Id
    slug: str
    name: str
    business_name: str
    timezone: str
    language: str
    contact_email: str | None
    contact_phone: str | None
    weekly_hours: Windows
    date_overrides: Windows
    slot_interval_minutes: int
    min_notice_minutes: int
    max_advance_days: int
    cancellation_policy: CancellationPolicyOut
    reschedule_window_hours: float = Field(description="The calendar's own window, else the policy's lead time")
    hold_minutes: int


class CalendarOut(PublicCalendarOut):
    """The whole calendar (staff)."""
    owner_name: str | None
    owner_email: str | None
    owner_phone: str | None
    support_email: str | None
    buffer_before_minutes: int
    buffer_after_minutes: int
    no_show_grace_minutes: int
    reminders: RemindersOut
    created_at: Timestamp
    updated_at: Timestamp


class CalendarList(Out):
    items: list[CalendarOut]


class AppointmentTypeOut(Out):
    id: Id
    calendar_id: Id
    slug: str
    name: str
    description: str | None
    duration_minutes: int
    price: Money
    currency: str
    payment_required: bool
    location_type: Literal["in_person", "virtual", "phone"]
    location_address: str | None
    meeting_provider: str | None
    meeting_link: str | None
    email_template: str
    active: bool
    created_at: Timestamp
    updated_at: Timestamp


class AppointmentTypeList(Out):
    items: list[AppointmentTypeOut]


class SlotOut(Out):
    slot_id: Id
    start_time: Timestamp
    end_time: Timestamp
    calendar_id: Id


class SlotList(Out):
    calendar_id: Id
    appointment_type: str
    timezone: str
    slots: list[SlotOut]


# -- appointments ---------------------------------------------------------------------------------

class CalendarSummary(Out):
    id: Id
    slug: str
    name: str
    business_name: str
    timezone: str


class CustomerOut(Out):
    id: Id
    name: str
    email: str
    phone: str | None
    timezone: str


class LinksOut(Out):
    google: str
    outlook: str
    ics: str
    manage: str | None = Field(description="The manage page; only in bodies that carry the manage token")


class ReminderOut(Out):
    id: Id
    reminder_type: Literal["email", "sms", "push"]
    scheduled_for: Timestamp
    sent_at: Timestamp | None
    status: str


class AppointmentFields(Out):
    """The appointment fields staff and the customer both read."""
    id: Id
    calendar_id: Id
    slot_id: Id
    customer_id: Id
    customer_email: str
    customer_phone: str | None
    customer_name: str
    start_time: Timestamp
    end_time: Timestamp
    duration_minutes: int
    timezone: str
    status: Status
    cancelled_by: Literal["customer", "owner", "system"] | None
    cancelled_at: Timestamp | None
    rescheduled_from_id: Id | None
    rescheduled_to_id: Id | None
    appointment_type: str
    notes: str | None = Field(description="The customer's own, from booking")
    location_type: Literal["in_person", "virtual", "phone"]
    location_address: str | None
    meeting_link: str | None
    meeting_provider: str | None
    payment_required: bool
    payment_amount: Money | None
    currency: str | None
    payment_status: str | None
    payment_id: str | None
    reminders_sent: list[Timestamp]
    created_at: Timestamp
    updated_at: Timestamp
    confirmed_at: Timestamp | None
    completed_at: Timestamp | None
    confirmation_status: str
    version: int
    language: str
    hold_expires_at: Timestamp | None
    customer: CustomerOut
    calendar: CalendarSummary
    links: LinksOut


class AppointmentOut(AppointmentFields):
    """An appointment as staff list it."""
    cancellation_reason: str | None
    staff_notes: str | None


class AppointmentList(Out):
    items: list[AppointmentOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last")


class CustomerCancellation(Out):
    """`reason`: the customer's own, or the system's words; never what staff wrote (null then)."""
    reason: str | None
    cancellation_type: Literal["customer", "owner", "system"]
    refund_amount: Money | None
    refund_status: str | None
    late_cancel_fee: Money | None
    created_at: Timestamp


class CancellationRecord(CustomerCancellation):
    """Staff read every reason."""
    reason: str


class CheckInRecord(Out):
    id: Id
    checked_in_at: Timestamp
    check_in_method: Literal["qr_code", "manual", "link"]
    checked_in_by_kind: str
    notes: str | None


class AuditEntry(Out):
    action: str
    at: Timestamp
    actor_type: str
    actor: str | None
    actor_id: str | None
    from_status: str | None
    to_status: str | None
    data: dict[str, Any]


class AppointmentDetail(AppointmentOut):
    """The staff record: every field, staff notes and the audit trail with who did what."""
    reminders: list[ReminderOut]
    cancellation: CancellationRecord | None
    check_in: CheckInRecord | None
    history: list[AuditEntry]


class CustomerCheckIn(Out):
    checked_in_at: Timestamp
    check_in_method: Literal["qr_code", "manual", "link"]


class CustomerEvent(Out):
    event: str
    at: Timestamp
    by: Literal["you", "business", "system"]
    description: str


class CustomerAppointment(AppointmentFields):
    """The customer's record (manage token or signed link): their own booking and a history in their words."""
    cancellation_reason: str | None
    reminders: list[ReminderOut]
    cancellation: CustomerCancellation | None
    check_in: CustomerCheckIn | None
    history: list[CustomerEvent]


class StaffBooking(AppointmentDetail):
    manage_token: str = Field(description="The customer's manage token (also inside `links`)")


class CustomerBooking(CustomerAppointment):
    manage_token: str = Field(description="Your manage token (also inside `links`): keep it to change the booking")


# -- lifecycle ------------------------------------------------------------------------------------

class CancellationOut(Out):
    id: Id
    status: Status
    cancelled_at: Timestamp
    refund_amount: Money
    refund_status: str | None
    late_cancel_fee: Money
    currency: str | None

    @classmethod
    def of(cls, result: CancellationResult) -> CancellationOut:
        return cls(id=str(result.appointment_id), status=result.status, cancelled_at=iso(result.cancelled_at),
                   refund_amount=result.refund_amount, refund_status=result.refund_status,
                   late_cancel_fee=result.late_cancel_fee, currency=result.currency)


class RescheduleHoldOut(Out):
    """A reschedule started: confirm a new time with `reschedule_token` before `expires_at`."""
    appointment_id: Id
    reschedule_token: str
    available_slots: list[SlotOut]
    expires_at: Timestamp

    @classmethod
    def of(cls, hold: RescheduleHold) -> RescheduleHoldOut:
        slots = [SlotOut(**slot_dict(s, hold.calendar_id)) for s in hold.available_slots]
        return cls(appointment_id=str(hold.appointment_id), reschedule_token=hold.reschedule_token,
                   available_slots=slots, expires_at=iso(hold.expires_at))


class ProposalOut(Out):
    """A time staff proposed: the customer accepts or declines it by the emailed link before `expires_at`."""
    appointment_id: Id
    proposal_id: Id
    reschedule_token: str = Field(description="The answer token the customer's links carry")
    available_slots: list[SlotOut] = Field(description="Always empty for a proposal")
    expires_at: Timestamp

    @classmethod
    def of(cls, proposal: Proposal) -> ProposalOut:
        return cls(appointment_id=str(proposal.appointment_id), proposal_id=str(proposal.proposal_id),
                   reschedule_token=proposal.answer_token, available_slots=[], expires_at=iso(proposal.expires_at))


def reschedule_body(started: RescheduleHold | Proposal) -> RescheduleHoldOut | ProposalOut:
    return ProposalOut.of(started) if isinstance(started, Proposal) else RescheduleHoldOut.of(started)


class CheckInOut(Out):
    id: Id
    appointment_id: Id
    checked_in_at: Timestamp
    check_in_method: Literal["qr_code", "manual", "link"]
    checked_in_by_kind: str
    notes: str | None

    @classmethod
    def of(cls, record: AppointmentCheckIn) -> CheckInOut:
        return cls(id=str(record.id), appointment_id=str(record.appointment_id),
                   checked_in_at=iso(record.checked_in_at), check_in_method=record.check_in_method,
                   checked_in_by_kind=record.checked_in_by_kind, notes=record.notes)


# -- analytics ------------------------------------------------------------------------------------

class AnalyticsScope(Out):
    calendar_id: Id | None
    timezone: str | None
    start_date: Day | None
    end_date: Day | None
    group_by: Literal["day", "week", "month"]
    total_appointments: int


class PeriodKey(Out):
    date: Day = Field(description="The period's first local day")
    count: int


class StatusCounts(Out):
    pending: int
    confirmed: int
    cancelled: int
    completed: int
    no_show: int
    late_cancel: int


class PeriodRow(StatusCounts, PeriodKey):  # fields in order: date, count, the six statuses
    pass


class TypeFigures(Out):
    count: int
    revenue: Money | None = Field(description="null when the type's money is in several currencies")
    currency: str | None
    revenue_by_currency: dict[str, Money]


class LeadTimeBucket(Out):
    bucket: str
    count: int


class Analytics(StatusCounts, AnalyticsScope):  # fields in order: the scope, the six statuses, these
    rescheduled: int
    cancellation_rate: float
    no_show_rate: float
    average_lead_time_hours: float | None
    by_type: dict[str, TypeFigures]
    lead_time_distribution: list[LeadTimeBucket]
    # Exactly one series, named after group_by (the route leaves the other two out).
    by_day: list[PeriodRow] | None = None
    by_week: list[PeriodRow] | None = None
    by_month: list[PeriodRow] | None = None


# -- customer conveniences and operations -----------------------------------------------------------

class PushSubscriptionOut(Out):
    id: Id
    endpoint: str


class VapidKey(Out):
    public_key: str | None = Field(description="null when push is not configured")


class Health(Out):
    status: Literal["ok", "degraded"]
    database: Literal["ok", "unavailable"]
    queue: Literal["ok", "embedded", "unavailable"]


def json_body(model: type[BaseModel], value: object) -> dict:
    """A body for a JSONResponse (idempotent routes store and replay it): checked against `model`, as JSON."""
    return model.model_validate(value).model_dump(mode="json")
