"""The settings page's plain-text forms of hours, exceptions and reminders: round trips and the
messages a manager sees for what cannot be read."""
from __future__ import annotations

import pytest

from booking_app.errors import ValidationFailed
from booking_app.viewmodels import hours_text


def test_a_week_round_trips_and_closed_days_are_left_out():
    week = {"mon": [["09:00", "12:30"], ["13:30", "17:00"]], "sat": [["10:00", "14:00"]]}
    texts = {day: hours_text.format_windows(week.get(day)) for day in hours_text.DAY_NAMES}
    assert texts["mon"] == "09:00-12:30, 13:30-17:00" and texts["sun"] == ""
    assert hours_text.parse_week(texts) == week


@pytest.mark.parametrize("typed", ["9:00 - 17:00", "09:00–17:00", "09:00 to 17:00", " 09:00-17:00 "])
def test_common_ways_of_writing_a_window(typed):
    assert hours_text.parse_windows(typed, field="hours_mon", label="Monday") == [["09:00", "17:00"]]


@pytest.mark.parametrize("typed", ["", "closed", "Closed", "-"])
def test_closed_days(typed):
    assert hours_text.parse_windows(typed, field="hours_mon", label="Monday") == []


def test_unreadable_hours_name_the_day_and_the_part():
    with pytest.raises(ValidationFailed) as error:
        hours_text.parse_week({"tue": "09:00-12:00, lunch"})
    assert "Tuesday" in error.value.message and "'lunch'" in error.value.message
    assert error.value.extra["details"][0]["field"] == "hours_tue"


def test_date_exceptions_round_trip_and_report_the_line():
    overrides = {"2026-12-24": [], "2026-12-31": [["09:00", "13:00"]]}
    text = hours_text.format_overrides(overrides)
    assert text == "2026-12-24 closed\n2026-12-31 09:00-13:00"
    assert hours_text.parse_overrides(text + "\n\n") == overrides
    with pytest.raises(ValidationFailed) as error:
        hours_text.parse_overrides("2026-12-24 closed\nXmas closed")
    assert "line 2" in error.value.message and "'Xmas'" in error.value.message


def test_reminder_minutes():
    assert hours_text.parse_minutes("60, 1440; 60", field="reminders_email", label="Email reminders") == [1440, 60]
    assert hours_text.parse_minutes(" ", field="reminders_sms", label="SMS reminders") == []
    assert hours_text.format_minutes([1440, 60]) == "1440, 60"
    with pytest.raises(ValidationFailed, match="Email reminders: give whole minutes"):
        hours_text.parse_minutes("a day", field="reminders_email", label="Email reminders")
