"""What the customer pages show, as frozen dataclasses of display-ready values (flags are booleans).

The Reflex states call these (never the database) and hold what they return as typed state vars;
the pages read their fields (`BookingState.booked.when`). Each call opens its own short transaction
and raises the same ServiceErrors as the API, so the pages and the API can never disagree."""
from __future__ import annotations

import calendar as month_grid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_currency

from booking_app import links
from booking_app.db import session_scope, utcnow
from booking_app.domain.availability import Slot
from booking_app.domain.policy import CancellationPolicy
from booking_app.domain.status import Status
from booking_app.domain.tz import is_valid_timezone
from booking_app.links import location_text
from booking_app.models import AppointmentType, Calendar
from booking_app.principal import ANONYMOUS
from booking_app.readmodels.appointments import appointment_dict
from booking_app.services.access import limits
from booking_app.services.appointments.booking import BookingRequest, book
from booking_app.services.calendars import catalog as calendars
from booking_app.services.calendars.slots import free_slots
from booking_app.services.ids import parse_id
from booking_app.timefmt import iso

LOCATION_WORDS = {"in_person": "In person", "virtual": "Video call", "phone": "Phone call"}
LOCATION_ICONS = {"in_person": "map-pin", "virtual": "video", "phone": "phone"}


@dataclass(frozen=True)
class TypeOption:
    """A bookable appointment type, as the booking page's type cards show it."""

    slug: str
    name: str
    description: str
    duration: str  # '30 min'
    price: str  # 'Free' or '$80.00'
    location: str
    location_icon: str  # a Lucide icon name
    pay_first: str  # '' when no payment is needed up front


@dataclass(frozen=True)
class CalendarPage:
    """The booking page's header: business, timezone, policy in words, and the bookable types."""

    id: str
    slug: str
    name: str
    business: str
    timezone: str
    language: str
    policy: str
    reminder_hint: str
    types: list[TypeOption]


@dataclass(frozen=True)
class SlotOption:
    """A free time to choose: its slot id, ISO start and end, and the button's words."""

    slot_id: str  # '' when the time came without one
    start_time: str
    end_time: str
    label: str


@dataclass(frozen=True)
class DayCell:
    """One cell of the month grid (Monday first); blank outside the month (`date` is '')."""

    date: str
    number: str
    label: str  # 'Tuesday, December 8, 2026'
    available: bool
    selected: bool


@dataclass(frozen=True)
class AppointmentSummary:
    """The appointment as the booking confirmation (and the manage page, `ManageView`) show it."""

    id: str
    status: str
    type_name: str
    business: str
    calendar_slug: str
    when: str
    when_business: str  # the business's local time when the customer's zone differs, else ''
    duration: str
    where: str
    location_word: str
    customer_name: str
    customer_email: str
    google: str
    outlook: str
    ics: str
    manage_url: str
    manage_path: str
    payment_due: bool
    start_time: str
    end_time: str


def safe_zone(name: str, fallback: str) -> str:
    return name if is_valid_timezone(name) else fallback


def time_label(moment: datetime, tz: str, locale: str = "en") -> str:
    return format_time(moment.astimezone(ZoneInfo(tz)), "short", locale=locale)


def when_label(moment: datetime, tz: str, locale: str = "en") -> str:
    """'Tuesday, December 8, 2026 at 9:30 AM (EST)'."""
    local = moment.astimezone(ZoneInfo(tz))
    day, clock = format_date(local, "full", locale=locale), format_time(local, "short", locale=locale)
    return f"{day}, {clock} ({local.tzname()})"


def short_when_label(moment: datetime, tz: str, locale: str = "en") -> str:
    """'Tue, Dec 8 · 9:30 AM EST': fits a button in a grid of choices."""
    local = moment.astimezone(ZoneInfo(tz))
    day, clock = format_date(local, "EEE, MMM d", locale=locale), format_time(local, "short", locale=locale)
    return f"{day} · {clock} {local.tzname()}"


def price_label(appointment_type: AppointmentType, locale: str = "en") -> str:
    if not appointment_type.price:
        return "Free"
    return format_currency(appointment_type.price, appointment_type.currency, locale=locale)


def type_option(t: AppointmentType, locale: str = "en") -> TypeOption:
    return TypeOption(slug=t.slug, name=t.name, description=t.description or "",
                      duration=f"{t.duration_minutes} min", price=price_label(t, locale),
                      location=LOCATION_WORDS.get(t.location_type, t.location_type),
                      location_icon=LOCATION_ICONS.get(t.location_type, "map-pin"),
                      pay_first="Payment secures the slot" if t.payment_required else "")


def calendar_page(slug: str) -> CalendarPage:
    """The booking page's header: business, timezone, bookable types, policy in words."""
    with session_scope() as session:
        calendar = calendars.get_calendar(session, slug)
        types = calendars.list_types(session, calendar_id=calendar.id, include_inactive=False)
        policy = CancellationPolicy.from_dict(calendar.cancellation_policy)
        return CalendarPage(id=str(calendar.id), slug=calendar.slug, name=calendar.name,
                            business=calendar.business_name, timezone=calendar.timezone,
                            language=calendar.language, policy=policy.describe(fee_currency(types)),
                            reminder_hint=reminder_hint(calendar), types=[type_option(t) for t in types])


def fee_currency(types) -> str:
    """The currency a late-cancel fee is charged in: that of the priced types (free ones may carry
    the default), else the first type's."""
    priced = [t.currency for t in types if t.price and t.price > 0]
    return (priced or [t.currency for t in types] or [""])[0]


def reminder_hint(calendar: Calendar) -> str:
    minutes = sorted((calendar.reminders or {}).get("email", []), reverse=True)
    if not minutes:
        return "You will get a confirmation email right away."
    first = minutes[0]
    span = f"{first // 1440} day{'s' if first // 1440 > 1 else ''}" if first % 1440 == 0 else (
        f"{first // 60} hour{'s' if first // 60 > 1 else ''}" if first % 60 == 0 else f"{first} minutes")
    return f"You will get a confirmation email now and a reminder {span} before."


def slot_option(slot: Slot, label: str) -> SlotOption:
    return SlotOption(slot_id=str(slot.slot_id), start_time=iso(slot.start), end_time=iso(slot.end), label=label)


def offered_times(available_slots: list[dict], tz: str, locale: str = "en") -> list[SlotOption]:
    """The nearest free times a refusal carries (`available_slots` of a 409 or 422), labelled in full."""
    return [SlotOption(slot_id=str(s.get("slot_id") or ""), start_time=s["start_time"], end_time=s["end_time"],
                       label=when_label(datetime.fromisoformat(s["start_time"]), tz, locale))
            for s in available_slots]


def month_slots(slug: str, type_slug: str, tz: str, year: int, month: int,
                locale: str = "en") -> dict[str, list[SlotOption]]:
    """Free slots of one month of the customer's calendar, grouped by their local day ('2026-12-08')."""
    zone = ZoneInfo(tz)
    first = datetime(year, month, 1, tzinfo=zone)
    last_day = month_grid.monthrange(year, month)[1]
    end = datetime(year, month, last_day, tzinfo=zone) + timedelta(days=1)
    now = utcnow()
    with session_scope() as session:
        calendar = calendars.get_calendar(session, slug)
        appointment_type = calendars.get_type(session, calendar_id=calendar.id, slug=type_slug, active_only=True)
        if end <= now:
            return {}
        slots = free_slots(session, calendar=calendar, appointment_type=appointment_type,
                           start=max(first, now), end=end, now=now)
    days: dict[str, list[SlotOption]] = {}
    for slot in slots:
        day = slot.start.astimezone(zone).date().isoformat()
        days.setdefault(day, []).append(slot_option(slot, time_label(slot.start, tz, locale)))
    return days


def month_grid_days(year: int, month: int, available: set[str], today: date, selected: str = "") -> list[DayCell]:
    """Monday-first weeks of the month; blanks have empty strings. `selected` is the chosen day ('2026-12-08')."""
    cells = []
    for week in month_grid.Calendar(firstweekday=0).monthdatescalendar(year, month):
        for day in week:
            iso_day = day.isoformat()
            in_month = day.month == month
            cells.append(DayCell(date=iso_day if in_month else "", number=str(day.day) if in_month else "",
                                 label=format_date(day, "full", locale="en") if in_month else "",
                                 available=in_month and iso_day in available and day >= today,
                                 selected=in_month and iso_day == selected))
    return cells


def book_from_page(*, calendar_id: str, type_slug: str, slot: SlotOption, name: str, email: str, phone: str,
                   notes: str, tz: str, client_ip: str = limits.UNKNOWN) -> AppointmentSummary:
    """The booking page's booking, within the same limits as `POST /appointments` (one budget per
    client address and per customer email, whichever way in): RateLimited carries `retry_after`."""
    limits.booking(client_ip, email)
    request = BookingRequest(
        calendar_id=parse_id(calendar_id, "calendar"), appointment_type=type_slug,
        start_time=datetime.fromisoformat(slot.start_time), end_time=datetime.fromisoformat(slot.end_time),
        slot_id=parse_id(slot.slot_id or None, "time"), customer_name=name.strip(), customer_email=email.strip(),
        customer_phone=phone.strip() or None, notes=notes.strip() or None, timezone=tz)
    with session_scope() as session:
        result = book(session, request=request, actor=ANONYMOUS, now=utcnow())
        calendar = session.get_one(Calendar, result.appointment.calendar_id)
        return summary(result.appointment, calendar, token=result.manage_token,
                       type_name=type_name(session, result.appointment))


def summary(appointment, calendar: Calendar, *, token: str, type_name: str) -> AppointmentSummary:
    """The appointment as the confirmation and manage pages show it."""
    data = appointment_dict(appointment, calendar, token=token)
    tz = safe_zone(appointment.timezone, calendar.timezone)
    both = tz != calendar.timezone
    return AppointmentSummary(
        id=str(data["id"]), status=appointment.status, type_name=type_name,
        business=calendar.business_name, calendar_slug=calendar.slug,
        when=when_label(appointment.start_time, tz),
        when_business=f"{when_label(appointment.start_time, calendar.timezone)} at the business" if both else "",
        duration=f"{appointment.duration_minutes} min", where=location_text(appointment),
        location_word=LOCATION_WORDS.get(appointment.location_type, ""),
        customer_name=appointment.customer_name, customer_email=appointment.customer_email,
        google=data["links"]["google"], outlook=data["links"]["outlook"], ics=data["links"]["ics"],
        manage_url=links.manage_url(token), manage_path=f"/manage/{token}",
        payment_due=appointment.status == Status.PENDING and appointment.hold_kind == "payment",
        start_time=data["start_time"], end_time=data["end_time"],
    )


def type_name(session, appointment) -> str:
    appointment_type = session.get(AppointmentType, appointment.appointment_type_id)
    return appointment_type.name if appointment_type else appointment.appointment_type

