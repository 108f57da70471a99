"""Transports: SMTP (aiosmtplib) or the embedded mail catcher, SMS (twilio), web push (pywebpush).
Each raises DeliveryError with a readable reason when the peer refuses or cannot be reached, and
Undeliverable when the message can never be sent as it is."""
from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import time
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from booking_app import outbound
from booking_app.errors import UrlNotAllowed
from booking_app.settings import get_settings


class DeliveryError(Exception):
    """The send failed; a later attempt may succeed."""
    permanent = False


class Undeliverable(DeliveryError):
    """No attempt can succeed (the message cannot be composed, its address is refused): fail it now."""
    permanent = True


_open_batch: contextvars.ContextVar[SmtpBatch | None] = contextvars.ContextVar("smtp_batch", default=None)


def send_email(message: EmailMessage) -> None:
    settings = get_settings()
    if not settings.smtp_host:
        _catch(message)
        return
    batch = _open_batch.get()
    try:
        if batch is not None:
            batch.send(message)
        else:
            run_coroutine(aiosmtplib.send(message, **_smtp_options(settings)))
    except (aiosmtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP {settings.smtp_host}:{settings.smtp_port}: {exc}") from exc


def run_coroutine(coroutine):
    """asyncio.run, also from a thread whose event loop is already running (then in a helper thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _smtp_options(settings) -> dict:
    return {"hostname": settings.smtp_host, "port": settings.smtp_port,
            "username": settings.smtp_username or None,
            "password": settings.smtp_password.get_secret_value() or None,
            "start_tls": settings.smtp_starttls, "timeout": settings.smtp_timeout_seconds}


class SmtpBatch:
    """One SMTP connection for many messages (the sweep's reminder batches): inside `with SmtpBatch():`
    send_email reuses it, reconnecting after the server drops it. A refused message leaves it usable."""

    def __enter__(self) -> SmtpBatch:
        self.loop = asyncio.new_event_loop()
        self.client: aiosmtplib.SMTP | None = None
        try:  # under a running event loop this thread cannot drive ours: send one by one instead
            asyncio.get_running_loop()
            self._token = None
        except RuntimeError:
            self._token = _open_batch.set(self)
        return self

    def send(self, message: EmailMessage) -> None:
        if self.client is None or not self.client.is_connected:
            self.client = aiosmtplib.SMTP(**_smtp_options(get_settings()))
            self.loop.run_until_complete(self.client.connect())
        try:
            self.loop.run_until_complete(self.client.send_message(message))
        except aiosmtplib.SMTPServerDisconnected:
            self.client = None
            raise

    def __exit__(self, *exc) -> None:
        if self._token is not None:
            _open_batch.reset(self._token)
        if self.client is not None and self.client.is_connected:
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                self.loop.run_until_complete(self.client.quit())
        self.loop.close()


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

    client = Client(settings.twilio_account_sid, settings.twilio_auth_token.get_secret_value(),
                    http_client=_twilio_http())
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
    if not settings.vapid_private_key.get_secret_value():
        raise DeliveryError("web push is not configured (VAPID_PRIVATE_KEY is empty)")
    from pywebpush import WebPushException, webpush

    try:
        webpush(subscription_info=subscription, data=json.dumps(payload),
                vapid_private_key=settings.vapid_private_key.get_secret_value(),
                vapid_claims={"sub": settings.vapid_subject}, timeout=outbound.TIMEOUT_SECONDS,
                requests_session=outbound.session())  # the endpoint is the browser's: checked at each send
    except outbound.UnresolvedHost as exc:
        raise DeliveryError(f"push endpoint did not resolve: {exc.message}") from exc
    except UrlNotAllowed as exc:
        raise Undeliverable(f"push endpoint refused: {exc.message}") from exc
    except (WebPushException, OSError) as exc:
        raise DeliveryError(f"push: {exc}") from exc
