"""safe_next: after sign-in, only the app's own staff pages; anything else goes to the console."""
from __future__ import annotations

import pytest

from booking_app.services.access.staff_paths import DEFAULT, STAFF_PAGES, safe_next

ACCEPTED = [*STAFF_PAGES, "/console?day=2026-12-08", "/appointments?q=ann%40example.com&status=confirmed",
            "/analytics?start=2026-01-01&end=2026-01-31&group_by=week", "/settings?", "/console?a=/b?c=d"]

REFUSED = [
    # other hosts and schemes
    "//evil.example", "//evil.example/console", "///evil.example", "/\\evil.example", "\\\\evil.example",
    "/\\/evil.example", "https://evil.example/console", "http://localhost:3000/console", "javascript:alert(1)",
    "JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "evil.example",
    # encoded and look-alike paths
    "/%63onsole", "/console%2F..%2F..%2Fevil", "/%2F%2Fevil.example", "/%5Cevil.example", "%2F%2Fevil.example",
    "/console/", "/console/../login", "/console/..", "/./console", "/Console", "/CONSOLE", "/console.evil",
    "/consoles", "/console;x", "/console#x", "/console?x#frag", "/console?next=<script>", "/console?a='b'",
    "/console?a=\"b\"", "/console?a b", "/console?a\\b", "/console?\r\nSet-Cookie:x=1", "/console?a=\x00",
    # whitespace and controls around a good path
    " /console", "/console ", "\t/console", "/console\n", "\n/console", "/con\x00sole", "\u2028/console",
    "／console", "/соnsole",  # full-width slash, Cyrillic 'о'
    # not staff pages
    "", "/", "/login", "/book/harbor-physio", "/manage/abc", "/api/v1/appointments", "console", "?/console",
    "/console" + "?a" * 1500,
]


@pytest.mark.parametrize("value", ACCEPTED)
def test_staff_pages_are_kept_as_given(value):
    assert safe_next(value) == value


@pytest.mark.parametrize("value", REFUSED)
def test_anything_else_goes_to_the_console(value):
    assert safe_next(value) == DEFAULT == "/console"


@pytest.mark.parametrize("value", [None, 1, b"/console", ["/console"]])
def test_values_that_are_not_text_go_to_the_console(value):
    assert safe_next(value) == DEFAULT
