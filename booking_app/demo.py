"""A believable demo business: two calendars in different timezones, three types (one paid),
and some weeks of appointments in every status. Safe to run twice."""
from __future__ import annotations

import random
import secrets
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from booking_app.db import session_scope, utcnow
from booking_app.domain.status import CANCELLED_STATUSES, Status
from booking_app.models import AppointmentCheckIn, Calendar, Notification, StaffSession, StaffUser
from booking_app.principal import SYSTEM, Principal
from booking_app.services import audit
from booking_app.services.access.users import create_user, hasher
from booking_app.services.appointments.booking import BookingRequest, book
from booking_app.services.calendars import catalog as calendars
from booking_app.services.messaging import reminders

SEEDER = Principal(kind="staff", role="admin", label="demo seed", actor_type="system")

CALENDARS = [
    {
        "calendar": dict(
            slug="harbor-physio", name="Dr. Maya Chen", business_name="Harbor Physiotherapy",
            timezone="America/New_York", owner_name="Maya Chen", owner_email="maya@harbor-physio.example",
            contact_email="hello@harbor-physio.example", contact_phone="+1 617 555 0142",
            support_email="support@harbor-physio.example", language="en",
            weekly_hours={d: [["09:00", "12:30"], ["13:30", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
            | {"sat": [["10:00", "14:00"]]},
            buffer_after_minutes=10, min_notice_minutes=60, max_advance_days=60,
            cancellation_policy={"lead_time_hours": 24, "late_cancellation": "block", "late_cancel_fee": 0,
                                 "refund_percent": 100},
            reminders={"email": [1440, 60], "sms": [120], "push": []},
        ),
        "types": [
            dict(slug="consultation", name="Video consultation", duration_minutes=30, location_type="virtual",
                 meeting_provider="google_meet", meeting_link="https://meet.example.com/harbor-consult",
                 email_template="consultation", description="A first conversation about your complaint."),
            dict(slug="treatment", name="Treatment session", duration_minutes=60, location_type="in_person",
                 location_address="12 Harbor St, Boston, MA 02110", price=90, currency="USD",
                 payment_required=True, description="Hands-on physiotherapy, paid in advance."),
        ],
    },
    {
        "calendar": dict(
            slug="lindenhof", name="Salon Lindenhof", business_name="Friseursalon Lindenhof",
            timezone="Europe/Berlin", owner_name="Jonas Weber", owner_email="jonas@lindenhof.example",
            contact_email="termine@lindenhof.example", contact_phone="+49 30 5550 1234",
            support_email="support@lindenhof.example", language="de",
            weekly_hours={d: [["10:00", "19:00"]] for d in ("tue", "wed", "thu", "fri")}
            | {"sat": [["09:00", "15:00"]]},
            slot_interval_minutes=15, buffer_before_minutes=5, buffer_after_minutes=10,
            cancellation_policy={"lead_time_hours": 12, "late_cancellation": "fee", "late_cancel_fee": 15,
                                 "refund_percent": 50},
        ),
        "types": [
            dict(slug="support", name="Haarberatung (Telefon)", duration_minutes=20, location_type="phone",
                 email_template="support", description="Kurze Beratung am Telefon.", currency="EUR"),
            dict(slug="haircut", name="Schnitt & Föhnen", duration_minutes=45, location_type="in_person",
                 location_address="Lindenstraße 4, 10969 Berlin", price=48, currency="EUR"),
        ],
    },
]

CUSTOMERS = ["Ava Thompson", "Liam Patel", "Sofia García", "Noah Kim", "Emma Müller", "Lucas Rossi",
             "Mia Johnson", "Ethan Nguyen", "Lea Schmidt", "Oliver Brown", "Hannah Fischer", "Mateo Silva"]
PAST_OUTCOMES = [Status.COMPLETED] * 6 + [Status.NO_SHOW, Status.CANCELLED, Status.LATE_CANCEL]
FUTURE_OUTCOMES = [Status.CONFIRMED] * 6 + [Status.CANCELLED]


def _settle(session: Session, appointment, status: str, when: datetime) -> None:
    """Give a seeded appointment its final state (as the lifecycle would have left it)."""
    appointment.status = status
    appointment.updated_at = when
    if status in CANCELLED_STATUSES:
        appointment.cancelled_at = when
        appointment.cancelled_by = "customer"
        appointment.cancellation_reason = "Schedule conflict"
    if status == Status.COMPLETED:
        appointment.completed_at = appointment.end_time
        session.add(AppointmentCheckIn(appointment_id=appointment.id, checked_in_at=appointment.start_time,
                                       check_in_method="manual", checked_in_by_kind="staff"))
    if status != Status.CONFIRMED:
        reminders.cancel_pending(session, appointment_id=appointment.id)


def _seed_calendar(spec: dict, rng: random.Random, today: date, weeks_back: int, weeks_ahead: int) -> int:
    with session_scope() as session:
        if session.exec(select(Calendar).where(Calendar.slug == spec["calendar"]["slug"])).first():
            return 0
        calendar = calendars.create_calendar(session, data=spec["calendar"], actor=SEEDER)
        types = [calendars.create_type(session, calendar_id=calendar.id, data=t, actor=SEEDER) for t in spec["types"]]
        calendar_id, zone = calendar.id, ZoneInfo(calendar.timezone)
    count = 0
    for offset in range(-7 * weeks_back, 7 * weeks_ahead):
        day = today + timedelta(days=offset)
        windows = spec["calendar"]["weekly_hours"].get(day.strftime("%a").lower(), [])
        for hour in range(int(windows[0][0][:2]), int(windows[-1][1][:2]) - 1, 2) if windows else []:
            if rng.random() < 0.35:
                continue
            appointment_type = rng.choice(types)
            start = datetime.combine(day, time(hour, 0), tzinfo=zone)
            count += _seed_one(calendar_id, appointment_type, start, rng)
    return count


def _seed_one(calendar_id, appointment_type, start: datetime, rng: random.Random) -> int:
    now = utcnow()
    past = start < now
    name = rng.choice(CUSTOMERS)
    created = min(now, start - timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 20)))
    request = BookingRequest(
        calendar_id=calendar_id, appointment_type=appointment_type.slug, start_time=start,
        end_time=start + timedelta(minutes=appointment_type.duration_minutes),
        customer_email=name.lower().replace(" ", ".").replace("ü", "ue").replace("í", "i") + "@example.com",
        customer_name=name, timezone=rng.choice(["America/New_York", "Europe/Berlin", "Europe/London"]),
        notes=rng.choice([None, "First visit", "Prefers the window seat", None]),
        override_availability=True,
    )
    from booking_app.errors import SlotUnavailable

    try:
        with session_scope() as session:
            appointment = book(session, request=request, actor=SEEDER, now=created).appointment
            if past:
                _settle(session, appointment, rng.choice(PAST_OUTCOMES), min(now, start + timedelta(hours=1)))
                # Demo history: its messages belong to the past, never send them now.
                session.flush()
                session.execute(sa.update(Notification).where(col(Notification.appointment_id) == appointment.id)
                                .values(status="dropped", last_error="demo seed: historical"))
            elif appointment.status == Status.CONFIRMED:
                outcome = rng.choice(FUTURE_OUTCOMES)
                if outcome != Status.CONFIRMED:
                    _settle(session, appointment, outcome, now)
    except SlotUnavailable:
        return 0
    return 1


DEMO_ADMIN_EMAIL = "admin@slotwise.demo"
PUBLISHED_PASSWORD = "slotwise-demo-password"  # what older versions gave the demo admin (and the README showed)


def seed_demo(*, weeks_back: int = 3, weeks_ahead: int = 3, seed: int = 7) -> int:
    """The demo calendars and their appointments (the login is `demo_admin`'s); returns how many were new."""
    rng = random.Random(seed)
    today = utcnow().date()
    return sum(_seed_calendar(spec, rng, today, weeks_back, weeks_ahead) for spec in CALENDARS)


def demo_admin(*, reset_password: bool = False) -> str | None:
    """The demo's admin login, with a random password that is returned once, never stored in clear nor
    published. An existing admin keeps its password (None is returned) unless `reset_password`, or unless
    it still has the password older versions published: then it gets a new one and its open sessions end."""
    password = secrets.token_urlsafe(15)  # 20 characters, 120 bits
    with session_scope() as session:
        user = session.exec(select(StaffUser).where(StaffUser.email == DEMO_ADMIN_EMAIL)).first()
        if user is None:
            create_user(session, email=DEMO_ADMIN_EMAIL, name="Demo Admin", password=password, role="admin")
            return password
        if not reset_password and not _verifies(user.password_hash, PUBLISHED_PASSWORD):
            return None
        now = utcnow()
        user.password_hash = hasher.hash(password)
        session.execute(sa.update(StaffSession).where(col(StaffSession.user_id) == user.id,
                                                      col(StaffSession.revoked_at).is_(None)).values(revoked_at=now))
        audit.record(session, action="user.password_reset", actor=SYSTEM, entity_type="user",
                     entity_id=str(user.id), data={"by": "seed-demo"})
        return password


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
