"""Rendering messages: texts per template set (default, consultation, support) and language
(en, de) from TOML, laid out as HTML (autoescaped) and plain text.

`validate_all()` renders every kind in every set and language with StrictUndefined; the app
calls it at startup and a unit test does too, so a broken template never sends a blank email."""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

TEMPLATES = Path(__file__).parent / "templates"
SETS = ("default", "consultation", "support")
LANGUAGES = ("en", "de")
CUSTOMER_KINDS = ("confirmation", "payment_pending", "rescheduled", "cancelled", "cancelled_by_owner",
                  "reschedule_proposal", "payment_expired", "no_show_followup", "reminder")
OWNER_KINDS = ("owner_booked", "owner_cancelled", "owner_rescheduled", "owner_no_show", "support_confirmation_failed")
KINDS = CUSTOMER_KINDS + OWNER_KINDS

_html = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
_text = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, undefined=StrictUndefined)


@lru_cache(maxsize=2048)
def _template(autoescape: bool, source: str):
    """Compiled once per process: compiling dominates rendering a short text."""
    return (_html if autoescape else _text).from_string(source)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str


@cache
def _texts(template_set: str, lang: str) -> dict:
    """The set's texts over the default set's, for one language (falling back to English)."""
    lang = lang if lang in LANGUAGES else "en"
    merged = tomllib.loads((TEMPLATES / "default" / f"{lang}.toml").read_text())
    override = TEMPLATES / template_set / f"{lang}.toml"
    if template_set != "default" and override.exists():
        for kind, fields in tomllib.loads(override.read_text()).items():
            merged[kind] = {**merged.get(kind, {}), **fields}
    return merged


def _paragraphs(env: Environment, source: str, context: dict) -> list[str]:
    rendered = _template(env is _html, source).render(context)
    parts = [p.strip() for p in rendered.split("\n\n") if p.strip()]
    return [Markup(p) for p in parts] if env is _html else parts


def render(kind: str, *, template_set: str, lang: str, context: dict, details: list[tuple[str, str]],
           actions: list[tuple[str, str]], qr_image_url: str | None = None) -> Rendered:
    """`details` and `actions` carry label keys (from [labels]) or literal labels."""
    texts = _texts(template_set if template_set in SETS else "default", lang)
    kind_texts = texts[kind]
    labels = texts["labels"]
    subject = _template(False, kind_texts["subject"]).render(context).strip()
    named = lambda rows: [(labels.get(label, label), value) for label, value in rows]  # noqa: E731
    page = {"lang": lang, "subject": subject, "labels": labels, "details": named(details),
            "actions": named(actions), "qr_image_url": qr_image_url,
            "business": context["business"],
            "footer": _template(False, labels["footer"]).render(context)}
    html = _html.get_template("layout.html.j2").render(
        page, heading=Markup(_template(True, kind_texts["heading"]).render(context)),  # escaped once, here
        paragraphs=_paragraphs(_html, kind_texts["body"], context))
    text = _text.get_template("layout.txt.j2").render(
        page, heading=_template(False, kind_texts["heading"]).render(context),
        paragraphs=_paragraphs(_text, kind_texts["body"], context))
    sms = _template(False, kind_texts.get("sms", kind_texts["subject"])).render(context)
    return Rendered(subject=subject, text=text, html=html, sms=sms)


SAMPLE = {
    "business": "Harbor <Physio>", "customer_name": "<script>alert(1)</script>", "customer_email": "a@example.com",
    "customer_phone": "+1 555 0100", "type_name": "Consultation", "when_local": "Monday, 1 June 2026, 09:00 EDT",
    "when_short": "1 Jun, 09:00", "when_business": "Monday, 1 June 2026, 09:00 EDT",
    "when_business_short": "1 Jun, 09:00", "previous_local": "Friday", "previous_business": "Friday",
    "location": "https://meet.example.com/x", "manage_url": "https://x/manage/t", "rebook_url": "https://x/book/c",
    "accept_url": "https://x/a", "decline_url": "https://x/d", "reason": "Doctor away", "price": "90.00 USD",
    "refund_amount": "45.00 USD", "late_cancel_fee": "15.00 USD", "notes": "Bring X-rays", "last_error": "550",
}


def validate_all() -> int:
    """Render every kind × set × language; raises on the first template that cannot render."""
    count = 0
    for template_set in SETS:
        for lang in LANGUAGES:
            for kind in KINDS:
                render(kind, template_set=template_set, lang=lang, context=SAMPLE,
                       details=[("when", "x")], actions=[("manage", "https://x")])
                count += 1
    return count
