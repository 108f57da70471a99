"""Where sign-in may send a staff member next. `next` comes from the URL, so anyone can write it:
only the app's own staff pages are accepted (no other host, scheme or path), else the console."""
from __future__ import annotations

import re

# The staff pages, in navigation order, with their labels (the staff frame shows them).
STAFF_NAV = (("Console", "/console"), ("Appointments", "/appointments"), ("Analytics", "/analytics"),
             ("Settings", "/settings"))
STAFF_PAGES = tuple(path for _, path in STAFF_NAV)
DEFAULT = "/console"
MAX_LENGTH = 2000
# A query of plain URL characters: no fragment, space, backslash, quote, bracket or control character.
_QUERY = re.compile(r"[A-Za-z0-9\-._~!$&+,;=:@/?%]*")


def safe_next(value: str) -> str:
    """`value` when it is exactly a staff page, optionally with a query string; DEFAULT otherwise.
    Compared as written, never decoded: '/%63onsole', '//evil', '/\\evil' and absolute URLs all fail."""
    if not isinstance(value, str) or len(value) > MAX_LENGTH:
        return DEFAULT
    path, question, query = value.partition("?")
    if path not in STAFF_PAGES or (question and not _QUERY.fullmatch(query)):
        return DEFAULT
    return value
