"""GET /appointments/analytics (staff). Registered before routes_appointments so that
`/appointments/analytics` is never taken for `/appointments/{id}`."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query

from booking_app.api import deps
from booking_app.api.responses import Analytics
from booking_app.api.schemas import errors
from booking_app.db import session_scope
from booking_app.principal import Principal
from booking_app.services.reports import analytics

router = APIRouter(prefix="/api/v1/appointments", tags=["appointments"])

DESCRIPTION = """Counts, rates, lead time, revenue per appointment type and a time series, all
aggregated by the database.

**Range and periods.** An appointment belongs to the local date of its `start_time` in its
calendar's timezone (DST-correct). `start_date` and `end_date` are inclusive local dates; both are
optional (open-ended). Without `calendar_id` every calendar is included and each appointment is
placed by its own calendar's timezone. Weeks start on Monday (ISO); a period's `date` is its first
day. The series (`by_day`, `by_week` or `by_month`, named after `group_by`) has one row per period
from the range's first to its last period, empty ones as zeros (without dates: from the first to
the last period holding an appointment); at most 3700 rows.

**Which appointments count.** One per booking: an appointment replaced by a reschedule (it has
`rescheduled_to_id`) gives way to its replacement and is reported only in `rescheduled`; a
staff-proposed new time the customer never accepted is an offer, not a booking, and is left out.

**Fields.**
- `total_appointments`: counted appointments; `pending`, `confirmed`, `cancelled`, `completed`,
  `no_show`, `late_cancel` count them by current status and add up to the total.
- `rescheduled`: appointments in the range that were replaced by a reschedule (not in the total).
- `cancellation_rate` = (`cancelled` + `late_cancel`) / `total_appointments`; 0 when the total is 0.
- `no_show_rate` = `no_show` / (`completed` + `no_show`): missed among those whose outcome is known;
  0 when there are none.
- Rates are fractions in [0, 1] rounded to 4 decimals.
- `average_lead_time_hours`: mean of `start_time - created_at` in hours (2 decimals) over counted
  appointments, whatever their status; a rescheduled booking is measured from the reschedule.
  `null` when nothing is counted.
- `lead_time_distribution`: counted appointments by `start_time - created_at` in five buckets
  (under 1 day, 1–3 days, 3–7 days, 1–2 weeks, 2 weeks or more; upper bounds exclusive).
- `by_type`: per appointment type slug, `count` of counted appointments and `revenue`: the
  processed payments of each booking's whole reschedule chain, charges + late-cancel fees -
  refunds, attributed to the booking's date. Fees still owed are not revenue. `currency` is the
  money's currency (the type's own when nothing was paid); amounts in different currencies are
  never added: then `revenue` and `currency` are `null` and `revenue_by_currency` has each sum.
- Series rows: `date`, `count` and the same six status counts for that period.

**Errors.** Unknown `calendar_id` → 404 `not_found`; a malformed date, `start_date` after
`end_date`, or a `group_by` other than day/week/month → 422 `validation_error`."""


@router.get("/analytics", summary="Appointment analytics (staff)", description=DESCRIPTION,
            response_model=Analytics, response_model_exclude_unset=True,  # one series: by_day, by_week or by_month
            responses=errors(401, 404, 422, s404="not_found: unknown calendar_id",
                             s422="validation_error: bad date, start after end, bad group_by"))
def appointment_analytics(
    _: Principal = Depends(deps.staff),
    calendar_id: uuid.UUID | None = Query(None, description="One calendar; all calendars when omitted"),
    start_date: str | None = Query(None, max_length=40, description="First local date, inclusive (2026-02-01)"),
    end_date: str | None = Query(None, max_length=40, description="Last local date, inclusive (2026-02-28)"),
    group_by: str | None = Query("day", max_length=20, description="day, week (Monday first) or month",
                                    json_schema_extra={"enum": list(analytics.GROUPS)}),
) -> dict:
    query = analytics.parse_query(calendar_id=calendar_id, start_date=start_date, end_date=end_date,
                                  group_by=group_by)
    with session_scope() as session:
        return analytics.appointment_analytics(session, query)
