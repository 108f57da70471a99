"""Which characters free text may hold. One rule for the API schemas and for the services (the
Reflex pages call services directly), so neither way in lets a control character through.

Single-line text (names, emails, phones, titles) ends up in mail headers, subjects and calendar
lines, where a line break splits or injects a header: no control characters at all, nor the
Unicode line and paragraph separators. Multi-line text (notes, reasons, descriptions) may hold
tabs and line breaks (LF, CR), nothing else below U+0020. DEL and the C1 controls
(U+007F-U+009F, which include NEL) are refused everywhere."""
from __future__ import annotations

import re
from collections.abc import Collection

from booking_app.errors import ValidationFailed

_SINGLE_LINE_BAD = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MULTI_LINE_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
SINGLE_LINE_PROBLEM = "must be one line without control characters"
MULTI_LINE_PROBLEM = "must not contain control characters (line breaks and tabs are fine)"


class _MultiLine:
    """Marks a schema field as multi-line text: `Annotated[str, MULTI_LINE]`."""

    def __repr__(self) -> str:
        return "MULTI_LINE"


MULTI_LINE = _MultiLine()


def problem(value: object, *, multi_line: bool = False) -> str | None:
    """Why `value` is refused, or None. Strings inside lists and dicts (keys too) are checked;
    anything that is not text passes."""
    if isinstance(value, str):
        bad = _MULTI_LINE_BAD if multi_line else _SINGLE_LINE_BAD
        return (MULTI_LINE_PROBLEM if multi_line else SINGLE_LINE_PROBLEM) if bad.search(value) else None
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple)):
        return next(filter(None, (problem(item, multi_line=multi_line) for item in value)), None)
    return None


def check(values: dict[str, object], *, multi_line: Collection[str] = ()) -> None:
    """For services: every text among `values` follows the rule, as multi-line text only the fields
    named in `multi_line`. Otherwise ValidationFailed (422) with a detail per bad field, as the API's
    schemas report them."""
    details = [{"field": name, "message": message, "type": "control_character"}
               for name, value in values.items() if (message := problem(value, multi_line=name in multi_line))]
    if details:
        sentence = "; ".join(f"{d['field'].replace('_', ' ').capitalize()} {d['message']}" for d in details)
        raise ValidationFailed(f"{sentence}.", details=details)
