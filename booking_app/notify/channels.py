"""Transports: SMTP (aiosmtplib) or the embedded mail catcher, SMS (twilio), web push (pywebpush).
Each raises DeliveryError with a readable reason when the peer refuses or cannot be reached."""
from __future__ import annotations

import asyncio
import json
import time
from email.message import EmailMessage
from pathlib import Path

from booking_app.settings import get_settings


class DeliveryError(Exception):
    pass


def send_email(message: EmailMessage) -> None:
    settings = get_settings()
    if not settings.smtp_host:
        _catch(message)
        return
    import aiosmtplib

    try:
        asyncio.run(aiosmtplib.send(
            message, hostname=settings.smtp_host, port=settings.smtp_port,
            username=settings.smtp_username or None, password=settings.smtp_password or None,
            start_tls=settings.smtp_starttls, timeout=settings.smtp_timeout_seconds))
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {settings.smtp_host}:{settings.smtp_port}: {exc}") from exc


def _catch(message: EmailMessage) -> None:
    """Embedded mode without SMTP: keep the message as an .eml file to read locally."""
    folder = Path(get_settings().mail_catcher_dir)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns()}-{message['To'].split('@')[0][:20]}.eml"
    (folder / name).write_bytes(bytes(message))


def send_sms(to: str, body: str) -> str:
    settings = get_settings()
    if not settings.twilio_account_sid:
        raise DeliveryError("SMS is not configured (TWILIO_ACCOUNT_SID is empty)")
    from twilio.base.exceptions import TwilioException
    from twilio.rest import Client

    client = Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=_twilio_http())
    try:
        return client.messages.create(to=to, from_=settings.twilio_from_number, body=body[:1600]).sid
    except (TwilioException, OSError) as exc:
        raise DeliveryError(f"Twilio: {exc}") from exc


def _twilio_http():
    """The twilio client with its API host optionally replaced (TWILIO_BASE_URL)."""
    from twilio.http.http_client import TwilioHttpClient

    base = get_settings().twilio_base_url.rstrip("/")

    class RebasedClient(TwilioHttpClient):
        def request(self, method, url, *args, **kwargs):
            if base:
                url = base + url.split(".twilio.com", 1)[1]
            return super().request(method, url, *args, **kwargs)

    return RebasedClient(timeout=10)


def send_push(subscription: dict, payload: dict) -> None:
    settings = get_settings()
    if not settings.vapid_private_key:
        raise DeliveryError("web push is not configured (VAPID_PRIVATE_KEY is empty)")
    from pywebpush import WebPushException, webpush

    try:
        webpush(subscription_info=subscription, data=json.dumps(payload), vapid_private_key=settings.vapid_private_key,
                vapid_claims={"sub": settings.vapid_subject}, timeout=10)
    except (WebPushException, OSError) as exc:
        raise DeliveryError(f"push: {exc}") from exc
