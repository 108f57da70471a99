"""Staff sign-in shared by every staff page: the session token lives in the browser's local
storage (so a reload keeps you signed in) and is re-checked against the database on each use."""
from __future__ import annotations

from urllib.parse import quote

import reflex as rx

from booking_app.db import session_scope, utcnow
from booking_app.services import staff_auth
from booking_app.services.errors import ServiceError
from booking_app.services.principal import Principal
from booking_app.state.routing import query_param


class StaffState(rx.State):
    session_token: str = rx.LocalStorage("", name="slotwise_staff", sync=True)
    user_name: str = ""
    user_role: str = ""

    def principal(self) -> Principal | None:
        with session_scope() as session:
            user = staff_auth.user_for_token(session, self.session_token, utcnow())
            return staff_auth.principal_for(user) if user else None

    def check_access(self, *, admin: bool = False):
        """None when the visitor may see the page, else the redirect to the sign-in page."""
        principal = self.principal()
        if principal is None or (admin and not principal.is_admin):
            self.user_name = self.user_role = ""
            return rx.redirect(f"/login?next={quote(self.router.url.path.rstrip('/') or '/')}")
        self.user_name, self.user_role = principal.label or "", principal.role or ""
        return None

    def act(self, done: str, action, *, admin: bool = False):
        """Run `action(principal)` (a service call) for the signed-in staff member.
        Returns (error, event): error is None on success, the service's message when it refused, and ""
        when the session is gone (the event then redirects to sign-in instead of showing a toast)."""
        principal = self.principal()
        if principal is None or (admin and not principal.is_admin):
            return "", self.check_access(admin=admin)
        try:
            action(principal)
        except ServiceError as exc:
            return exc.message, rx.toast.error(exc.message)
        return None, rx.toast.success(done)

    @rx.event
    def sign_out(self):
        with session_scope() as session:
            staff_auth.logout(session, self.session_token, utcnow())
        self.session_token, self.user_name, self.user_role = "", "", ""
        return rx.redirect("/login")


class LoginState(StaffState):
    email: str = ""
    password: str = ""
    error: str = ""
    busy: bool = False

    @rx.event
    def set_email(self, value: str):
        self.email = value[:255]

    @rx.event
    def set_password(self, value: str):
        self.password = value[:500]

    @rx.event
    def submit(self, form: dict | None = None):
        if self.busy:
            return
        # The submitted fields win over the debounced on_change copies, which may still be in flight.
        form = form or {}
        self.email, self.password = str(form.get("email", self.email)), str(form.get("password", self.password))
        if not self.email.strip() or not self.password:
            self.error = "Enter your email and password."
            return
        self.busy = True
        yield
        try:
            with session_scope() as session:
                token, _ = staff_auth.login(session, email=self.email, password=self.password, now=utcnow())
        except ServiceError as exc:
            self.error, self.password = exc.message, ""
            return
        finally:
            self.busy = False
        self.session_token, self.password, self.error = token, "", ""
        target = query_param(self, "next")
        yield rx.redirect(target if target.startswith("/") and not target.startswith("//") else "/console")
