"""An appointment status in words: the customer's (manage page) and staff's (console)."""
from __future__ import annotations

from booking_app.domain.status import Status

CUSTOMER_STATUS_WORDS: dict[str, str] = {
    Status.PENDING: "Awaiting payment", Status.CONFIRMED: "Confirmed", Status.CANCELLED: "Cancelled",
    Status.LATE_CANCEL: "Cancelled late", Status.COMPLETED: "Completed", Status.NO_SHOW: "Missed",
}
STAFF_STATUS_WORDS: dict[str, str] = {
    Status.PENDING: "Pending", Status.CONFIRMED: "Confirmed", Status.CANCELLED: "Cancelled",
    Status.LATE_CANCEL: "Late cancel", Status.COMPLETED: "Completed", Status.NO_SHOW: "No-show",
}
