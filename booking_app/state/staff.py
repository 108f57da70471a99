"""The base of every staff state: who is signed in, and who may call the handlers.

The session token lives in the browser's local storage (a reload keeps you signed in) and is checked
against the database on every handler call (`guard.py`): a subclass declares `access = "staff"` (the
default) or `access = "admin"`, and every handler it defines is guarded by construction."""
from __future__ import annotations

import asyncio
from typing import ClassVar

import reflex as rx
from reflex.state import _override_base_method

from booking_app.db import session_scope, utcnow
from booking_app.errors import ServiceError
from booking_app.principal import Principal
from booking_app.services.access import staff_auth
from booking_app.state.guard import allowed, guard_handlers, principal_for_token, refusal


class StaffState(rx.State):
    access: ClassVar[str] = "staff"
    session_token: str = rx.LocalStorage("", name="slotwise_staff", sync=True)
    user_name: str = ""
    user_role: str = ""

    def __init_subclass__(cls, **kwargs):
        guard_handlers(cls, cls.access)
        super().__init_subclass__(**kwargs)

    def _principal(self) -> Principal | None:
        return principal_for_token(self.session_token)

    @_override_base_method  # Reflex's own mark for overriding a State method (reflex==0.10.1 is pinned)
    def _reset_client_storage(self) -> None:
        """Reflex calls this on every state of a tab when a browser (re)connects, just before it sends the
        tab's whole stored state as the first snapshot (`hydrate_and_load`). That snapshot runs no handler,
        so no guard: whoever presents the tab's token (a UUID in the websocket URL) would get the rows an
        earlier session loaded, even one that has ended. So each connection starts a staff state empty
        (backend-only vars, such as the console's listener flag, are kept); the page's on_load, a guarded
        handler, loads the rows again for a valid session."""
        super()._reset_client_storage()
        fields = self.get_fields()
        for name in self.base_vars:  # this state's own fields, the ones the browser is sent
            setattr(self, name, fields[name].default_value())

    def _forget(self) -> None:
        """Drop everything this state holds (its rows belong to a session that is no longer valid)."""
        self.reset()

    async def _still_allowed(self) -> bool:
        """For background handlers, which outlive the call the guard checked: is the session still
        good? If not, the state forgets its data."""
        principal = await asyncio.to_thread(principal_for_token, self.session_token)
        if allowed(principal, self.access):
            return True
        async with self:
            self._forget()
        return False

    def _show_identity(self, principal: Principal) -> None:
        if (self.user_name, self.user_role) != (principal.label or "", principal.role or ""):
            self.user_name, self.user_role = principal.label or "", principal.role or ""

    def _act(self, done: str, action):
        """Run `action(principal)` (a service call) for the signed-in staff member.
        Returns (error, event): error is None on success, the service's message when it refused, and ""
        when the session is gone (the event then redirects to sign-in instead of showing a toast).
        The guard already checked the caller; the service gets the principal as of now."""
        principal = self._principal()
        if not allowed(principal, self.access):
            self._forget()
            return "", refusal(self, principal)
        try:
            action(principal)
        except ServiceError as exc:
            return exc.message, rx.toast.error(exc.message)
        return None, rx.toast.success(done)

    @rx.event
    async def sign_out(self):
        """Revoke the session and forget every staff state's data, in memory and in the state store."""
        token = self.session_token
        if token:
            with session_scope() as session:
                staff_auth.logout(session, token, utcnow())
        for state_cls in _staff_state_classes():
            (await self.get_state(state_cls)).reset()
        self.reset()
        return rx.redirect("/login")


def _staff_state_classes() -> list[type[StaffState]]:
    found, pending = [], list(StaffState.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found
