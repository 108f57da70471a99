"""Admin settings: calendars, appointment types and API keys, as the settings page edits them."""
from __future__ import annotations

from dataclasses import dataclass

from booking_app.db import session_scope
from booking_app.errors import ValidationFailed
from booking_app.models import Calendar
from booking_app.principal import Principal
from booking_app.services.access import api_keys
from booking_app.services.calendars import catalog as calendars
from booking_app.services.ids import parse_id
from booking_app.viewmodels import hours_text

NUMBERS = ("slot_interval_minutes", "buffer_before_minutes", "buffer_after_minutes", "min_notice_minutes",
           "max_advance_days", "hold_minutes", "no_show_grace_minutes")
TEXTS = ("name", "business_name", "timezone", "owner_email", "support_email", "language")
CHANNELS = {"email": "Email", "sms": "SMS", "push": "Push"}


@dataclass(frozen=True)
class CalendarChoice:
    id: str
    label: str  # 'Harbor Physiotherapy · Dr. Rivera'


@dataclass(frozen=True)
class TypeRow:
    name: str
    slug: str
    duration: int  # minutes
    price: str  # '80.00 USD'
    active: bool


@dataclass(frozen=True)
class ApiKeyRow:
    id: str
    name: str
    role: str
    prefix: str  # the key's first characters, to recognise it
    active: bool  # False once revoked


@dataclass(frozen=True)
class SettingsOverview:
    calendars: list[CalendarChoice]
    form: dict[str, str]  # the chosen calendar as editable text (calendar_form); {} when there is none
    types: list[TypeRow]  # the chosen calendar's appointment types
    keys: list[ApiKeyRow]


def calendar_choice(calendar: Calendar) -> CalendarChoice:
    return CalendarChoice(id=str(calendar.id), label=f"{calendar.business_name} · {calendar.name}")


def calendar_form(calendar: Calendar) -> dict[str, str]:
    policy = calendar.cancellation_policy or {}
    form = {"id": str(calendar.id), "slug": calendar.slug}
    form.update({k: "" if getattr(calendar, k) is None else str(getattr(calendar, k)) for k in TEXTS + NUMBERS})
    form.update({f"hours_{day}": hours_text.format_windows((calendar.weekly_hours or {}).get(day))
                 for day in hours_text.DAY_NAMES})
    form["date_overrides"] = hours_text.format_overrides(calendar.date_overrides)
    form.update({f"reminders_{c}": hours_text.format_minutes((calendar.reminders or {}).get(c)) for c in CHANNELS})
    form.update(policy_hours=str(policy.get("lead_time_hours", 24)),
                policy_mode=policy.get("late_cancellation", "block"),
                policy_fee=str(policy.get("late_cancel_fee", 0)), policy_refund=str(policy.get("refund_percent", 100)))
    return form


def overview(calendar_id: str = "") -> SettingsOverview:
    """Every calendar to choose from; the one `calendar_id` names (else the first) as a form, with its types;
    and the API keys."""
    with session_scope() as session:
        rows = calendars.list_calendars(session)
        chosen = next((c for c in rows if str(c.id) == calendar_id), rows[0] if rows else None)
        types = calendars.list_types(session, calendar_id=chosen.id) if chosen else []
        return SettingsOverview(
            calendars=[calendar_choice(c) for c in rows],
            form=calendar_form(chosen) if chosen else {},
            types=[TypeRow(name=t.name, slug=t.slug, duration=t.duration_minutes, price=f"{t.price} {t.currency}",
                           active=t.active) for t in types],
            keys=[ApiKeyRow(id=str(k.id), name=k.name, role=k.role, prefix=k.key_prefix, active=not k.revoked_at)
                  for k in api_keys.list_api_keys(session)],
        )


def _number(form: dict, field: str) -> int | float:
    try:
        return float(form[field]) if "." in str(form[field]) else int(form[field])
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"{field.replace('_', ' ').capitalize()} must be a number.",
                               details=[{"field": field}]) from exc


def save_calendar(form: dict[str, str], actor: Principal) -> None:
    data: dict = {k: form[k].strip() or None for k in TEXTS if k in form}
    data.update({k: _number(form, k) for k in NUMBERS if k in form})
    data["weekly_hours"] = hours_text.parse_week({day: form.get(f"hours_{day}", "") for day in hours_text.DAY_NAMES})
    data["date_overrides"] = hours_text.parse_overrides(form.get("date_overrides", ""))
    data["reminders"] = {c: hours_text.parse_minutes(form.get(f"reminders_{c}", ""), field=f"reminders_{c}",
                                                     label=f"{name} reminders") for c, name in CHANNELS.items()}
    data["cancellation_policy"] = {"lead_time_hours": _number(form, "policy_hours"),
                                   "late_cancellation": form.get("policy_mode", "block"),
                                   "late_cancel_fee": _number(form, "policy_fee"),
                                   "refund_percent": int(_number(form, "policy_refund"))}
    with session_scope() as session:
        calendars.update_calendar(session, calendar_id=parse_id(form["id"], "calendar"), data=data, actor=actor)


def add_type(calendar_id: str, form: dict[str, str], actor: Principal) -> None:
    data = {"name": form.get("name", "").strip(), "slug": form.get("slug", "").strip(),
            "duration_minutes": int(_number(form, "duration")), "price": str(form.get("price") or "0"),
            "currency": (form.get("currency") or "USD").upper()}
    if not data["name"]:
        raise ValidationFailed("Give the appointment type a name.", details=[{"field": "name"}])
    with session_scope() as session:
        calendars.create_type(session, calendar_id=parse_id(calendar_id, "calendar"), data=data, actor=actor)


def create_key(name: str, role: str, actor: Principal) -> str:
    if not name.strip():
        raise ValidationFailed("Name the key after who will use it.", details=[{"field": "name"}])
    with session_scope() as session:
        return api_keys.create_api_key(session, name=name.strip(), role=role, actor=actor)[1]


def revoke_key(key_id: str, actor: Principal) -> None:
    with session_scope() as session:
        api_keys.revoke_api_key(session, key_id=parse_id(key_id, "API key"), actor=actor)
