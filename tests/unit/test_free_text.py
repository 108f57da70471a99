"""The free-text rule (services/free_text.py) and its use by every request schema."""
from __future__ import annotations

import pydantic
import pytest

from booking_app.api import schemas
from booking_app.errors import ValidationFailed
from booking_app.services import free_text

C0 = [chr(c) for c in range(0x20)]
C1_AND_DEL = [chr(c) for c in range(0x7F, 0xA0)]
LINE_BREAKS = ["\n", "\r", "\r\n"]
FINE = ["Ann Example", "Zoë Müller-Lüdenscheidt", "O'Brien & Sons <GmbH>", "李小龙", "محمد", "🙂 x", "a\u00a0b", ""]


@pytest.mark.parametrize("char", C0 + C1_AND_DEL + ["\u2028", "\u2029"], ids=lambda c: f"U+{ord(c):04X}")
def test_single_line_text_refuses_every_control_character_and_line_separator(char):
    assert free_text.problem(f"Ann{char}Example") == free_text.SINGLE_LINE_PROBLEM
    assert free_text.problem(char) == free_text.SINGLE_LINE_PROBLEM


@pytest.mark.parametrize("char", [c for c in C0 if c not in "\t\n\r"] + C1_AND_DEL, ids=lambda c: f"U+{ord(c):04X}")
def test_multi_line_text_refuses_controls_other_than_tab_and_line_breaks(char):
    assert free_text.problem(f"line{char}more", multi_line=True) == free_text.MULTI_LINE_PROBLEM


@pytest.mark.parametrize("text", FINE + [f"one{b}two\tthree" for b in LINE_BREAKS] + ["para\u2028graph\u2029"])
def test_multi_line_text_keeps_tabs_line_breaks_and_any_printable_script(text):
    assert free_text.problem(text, multi_line=True) is None


@pytest.mark.parametrize("text", FINE)
def test_single_line_text_keeps_any_printable_script(text):
    assert free_text.problem(text) is None


def test_strings_inside_lists_and_dicts_count_and_other_values_pass():
    assert free_text.problem({"mon": [["09:00", "17:00"]]}) is None
    assert free_text.problem({"mo\nn": []}) == free_text.SINGLE_LINE_PROBLEM  # keys too
    assert free_text.problem({"mon": [["09:00", "17:00\x00"]]}) == free_text.SINGLE_LINE_PROBLEM
    assert free_text.problem(("a", "b\x7f")) == free_text.SINGLE_LINE_PROBLEM
    for value in (None, 3, 2.5, True, b"\n"):
        assert free_text.problem(value) is None


def test_check_names_each_bad_field_and_honours_multi_line_fields():
    free_text.check({"name": "Ann", "notes": "a\nb", "phone": None, "count": 3}, multi_line=("notes",))
    with pytest.raises(ValidationFailed) as refused:
        free_text.check({"customer_name": "Ann\nBcc: x@example.com", "notes": "fine\n", "email": "a\x1b@b.c"},
                        multi_line=("notes",))
    error = refused.value
    assert error.status_code == 422 and error.code == "validation_error"
    assert [d["field"] for d in error.extra["details"]] == ["customer_name", "email"]
    assert all(d["type"] == "control_character" for d in error.extra["details"])
    assert error.message.startswith("Customer name must be one line")


def _request_models() -> list[type[pydantic.BaseModel]]:
    found, pending = [], [schemas.In]
    while pending:
        cls = pending.pop()
        found += [cls] if cls.model_fields else []
        pending += cls.__subclasses__()
    return found


MODELS = _request_models()
FIELDS = [(model, name) for model in MODELS for name in model.model_fields]


def _messages(model, name: str, value) -> list[str]:
    try:
        model.model_validate({name: value})
    except pydantic.ValidationError as exc:
        return [e["msg"] for e in exc.errors() if e["loc"][:1] == (name,)]
    return []


def test_every_request_model_is_covered():
    assert {m.__name__ for m in MODELS} >= {"BookingIn", "CalendarCreate", "CalendarPatch", "AppointmentTypeCreate",
                                            "CancelIn", "RescheduleIn", "StatusIn", "CheckInIn", "PushSubscriptionIn",
                                            "RescheduleConfirmIn", "ProposalAnswerIn", "PaymentIn"}


@pytest.mark.parametrize("model, name", FIELDS, ids=[f"{m.__name__}.{n}" for m, n in FIELDS])
def test_every_request_field_refuses_control_characters_by_default(model, name):
    """A field added later is covered without editing this test: any field refuses a BEL, and a line
    break unless it is declared multi-line."""
    rule = f"Value error, {free_text.SINGLE_LINE_PROBLEM}"
    multi = free_text.MULTI_LINE in model.model_fields[name].metadata
    assert _messages(model, name, "a\x07b") == [f"Value error, {free_text.MULTI_LINE_PROBLEM}" if multi else rule]
    assert (rule in _messages(model, name, "a\nb")) is not multi


def test_only_notes_reasons_descriptions_and_addresses_are_multi_line():
    multi = {name for model, name in FIELDS if free_text.MULTI_LINE in model.model_fields[name].metadata}
    assert multi == {"notes", "reason", "description", "location_address"}
