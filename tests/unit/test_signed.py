"""Signed tokens: a round trip, and every malformed token is BadToken (the API's 403), never another error."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from booking_app.services.access import signed

NOW = datetime(2026, 6, 1, 12, tzinfo=timezone.utc)
APPOINTMENT = uuid.UUID("0b7e1a52-3c55-4d3e-9a55-3f2b9a0c1d11")


def signed_body(body: bytes) -> str:
    """A token with a valid MAC over any body: what only a holder of SECRET_KEY could make."""
    encoded = signed._b64(body)
    return f"{encoded}.{signed._mac(encoded)}"


def claims(**overrides) -> bytes:
    values = {"p": "reschedule", "a": str(APPOINTMENT), "e": int((NOW + timedelta(minutes=5)).timestamp()), **overrides}
    return json.dumps({k: v for k, v in values.items() if v is not ...}).encode()


def test_a_token_verifies_for_its_purpose_and_appointment_until_it_expires():
    token = signed.sign("reschedule", APPOINTMENT, NOW + timedelta(minutes=5))
    assert signed.verify(token, "reschedule", APPOINTMENT, NOW)["a"] == str(APPOINTMENT)
    with pytest.raises(signed.ExpiredToken):
        signed.verify(token, "reschedule", APPOINTMENT, NOW + timedelta(minutes=5))
    with pytest.raises(signed.BadToken):
        signed.verify(token, "proposal", APPOINTMENT, NOW)
    with pytest.raises(signed.BadToken):
        signed.verify(token, "reschedule", uuid.uuid4(), NOW)


def test_a_huge_expiry_is_compared_without_overflowing():
    with pytest.raises(signed.ExpiredToken):
        signed.verify(signed_body(claims(e=-10 ** 40)), "reschedule", APPOINTMENT, NOW)
    assert signed.verify(signed_body(claims(e=10 ** 400)), "reschedule", APPOINTMENT, NOW)


GOOD = signed.sign("reschedule", APPOINTMENT, NOW + timedelta(minutes=5))
MALFORMED = {
    "empty": "", "no dot": "abc", "only a dot": ".", "no mac": GOOD.split(".")[0] + ".",
    "no body": "." + GOOD.split(".")[1],
    "bad mac": GOOD[:-2] + ("AA" if not GOOD.endswith("AA") else "BB"), "extra part": GOOD + ".x",
    "non-ascii mac": GOOD.split(".")[0] + ".é" + GOOD.split(".")[1][1:], "non-ascii body": "é" + GOOD,
    "nul": GOOD + "\x00", "not base64": "!!!." + signed._mac("!!!"), "bad padding": signed_body(b"x")[1:],
    "not json": signed_body(b"not json"), "not utf-8": signed_body(b"\xff\xfe\xfd"),
    "json list": signed_body(b"[1, 2]"), "json string": signed_body(b'"reschedule"'), "json null": signed_body(b"null"),
    "json number": signed_body(b"1e999"), "empty object": signed_body(b"{}"),
    "deep nesting": signed_body(b"[" * 100_000 + b"]" * 100_000),
    "missing e": signed_body(claims(e=...)), "missing a": signed_body(claims(a=...)),
    "missing p": signed_body(claims(p=...)),
    "e as text": signed_body(claims(e="tomorrow")), "e as float": signed_body(claims(e=1.5e12)),
    "e infinite": signed_body(b'{"p":"reschedule","a":"%s","e":1e999}' % str(APPOINTMENT).encode()),
    "e as bool": signed_body(claims(e=True)), "e as null": signed_body(claims(e=None)),
    "a as number": signed_body(claims(a=1)), "p as list": signed_body(claims(p=["reschedule"])),
    "huge digits": signed_body(b'{"p":"reschedule","a":"%s","e":%s}' % (str(APPOINTMENT).encode(), b"9" * 5000)),
}


@pytest.mark.parametrize("token", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_tokens_are_bad_tokens(token):
    with pytest.raises(signed.BadToken):
        signed.verify(token, "reschedule", APPOINTMENT, NOW)


@pytest.mark.parametrize("token", [None, 12, b"a.b", ["a", "b"]])
def test_tokens_that_are_not_text_are_bad_tokens(token):
    with pytest.raises(signed.BadToken):
        signed.verify(token, "reschedule", APPOINTMENT, NOW)
