"""Add-to-calendar links: every field survives the query string, whatever it contains."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

from booking_app import links

FIELDS = {"title": "Café & Co: 50% off + free tea?", "details": "Manage: https://x.example/manage/a_b-c?d=1#e",
          "location": "12 Harbor St, Boston / Suite 3"}
START = datetime(2026, 3, 8, 6, 30, tzinfo=timezone.utc)
END = START + timedelta(minutes=45)


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, strict_parsing=True).items()}


def test_google_link_carries_every_field():
    q = query(links.google_url(start=START, end=END, **FIELDS))
    assert q == {"action": "TEMPLATE", "text": FIELDS["title"], "dates": "20260308T063000Z/20260308T071500Z",
                 "details": FIELDS["details"], "location": FIELDS["location"]}


def test_outlook_link_carries_every_field():
    q = query(links.outlook_url(start=START, end=END, **FIELDS))
    assert q == {"path": "/calendar/action/compose", "rru": "addevent", "subject": FIELDS["title"],
                 "startdt": "2026-03-08T06:30:00Z", "enddt": "2026-03-08T07:15:00Z", "body": FIELDS["details"],
                 "location": FIELDS["location"]}
