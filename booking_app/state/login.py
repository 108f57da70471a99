"""State of /login: anyone may call it, so it holds nothing but the typed email and a message.

The password is never a state var: the form hands it to `submit` once, and it is not kept."""
from __future__ import annotations

import asyncio

import reflex as rx

from booking_app.db import session_scope, utcnow
from booking_app.errors import ServiceError
from booking_app.services.access import limits, staff_auth
from booking_app.services.access.staff_paths import safe_next
from booking_app.state.routing import query_param
from booking_app.state.staff import StaffState


class LoginState(rx.State):
    email: str = ""
    error: str = ""
    busy: bool = False

    @rx.event
    def set_email(self, value: str):
        self.email = str(value)[:255]

    @rx.event
    async def submit(self, form: dict | None = None):
        if self.busy:
            return
        form = form if isinstance(form, dict) else {}
        # The submitted field wins over the debounced on_change copy, which may still be in flight.
        self.email = str(form.get("email", self.email))[:255]
        password = str(form.get("password", ""))[:500]
        if not self.email.strip() or not password:
            self.error = "Enter your email and password."
            return
        self.busy = True
        yield
        client_ip = limits.client_ip_of_router(self.router)  # per-address and per-account limits (limits.login)
        try:
            token = await asyncio.to_thread(_login, self.email, password, client_ip)  # argon2: off the event loop
        except ServiceError as exc:
            self.error = exc.message  # a RateLimited reads "Too many attempts. Try again in 40 seconds."
            yield rx.set_value("login-password", "")
            return
        finally:
            self.busy = False
        staff = await self.get_state(StaffState)
        staff.session_token, self.error = token, ""
        yield rx.redirect(safe_next(query_param(self, "next")))  # only the app's own staff pages


def _login(email: str, password: str, client_ip: str) -> str:
    with session_scope() as session:
        return staff_auth.login(session, email=email, password=password, now=utcnow(), client_ip=client_ip)[0]
