"""RQ jobs for messages: thin wrappers that take ids and open their own sessions."""
from booking_app.services.messaging.dispatch import send_reminder as _send_reminder
from booking_app.services.messaging.dispatch import send_reminders as _send_reminders
from booking_app.services.messaging.notifications import send_notification as _send_notification


def send_notification(notification_id: str) -> str:
    return _send_notification(notification_id)


def send_reminder(reminder_id: str) -> str:
    return _send_reminder(reminder_id)


def send_reminders(reminder_ids: list[str]) -> dict[str, int]:
    return _send_reminders(reminder_ids)
