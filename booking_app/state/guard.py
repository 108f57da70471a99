"""Authorization by construction for staff states.

Reflex dispatches any handler of any state, by its full name, to any browser, whatever page it shows:
a page's `on_load` check is navigation, not authorization. So `StaffState` wraps every handler a
subclass defines (`guard_handlers`): the handler body only runs when the browser's session token
belongs to an active staff user with the state's role (`access = "staff"` or `"admin"`). A refused
call changes nothing, forgets whatever the state held (rows of an earlier, now revoked session) and
sends the browser to sign-in. Functions whose names start with `_` are not handlers (Reflex never
dispatches them) and are left alone."""
from __future__ import annotations

import asyncio
import functools
import inspect
from collections.abc import Callable
from urllib.parse import quote

import reflex as rx

from booking_app.db import session_scope, utcnow
from booking_app.principal import Principal
from booking_app.services.access import staff_auth

ROLES = ("staff", "admin")


def principal_for_token(token: str) -> Principal | None:
    """The staff principal a session token stands for now, or None (unknown, expired, revoked, inactive)."""
    if not token:
        return None
    with session_scope() as session:
        user = staff_auth.user_for_token(session, token, utcnow())
        return staff_auth.principal_for(user) if user else None


def allowed(principal: Principal | None, role: str) -> bool:
    return principal is not None and principal.is_staff and (role != "admin" or principal.is_admin)


def refusal(state, principal: Principal | None):
    """What a refused caller gets: sign-in (keeping the page to come back to), or, for a signed-in
    staff member on an admin-only state, a message and the console."""
    if principal is not None:
        return [rx.toast.error("Only admins can do this."), rx.redirect("/console")]
    return rx.redirect(f"/login?next={quote(state.router.url.path.rstrip('/') or '/')}")


def _guard(fn: Callable, role: str) -> Callable:
    """The same kind of callable as `fn` (Reflex awaits coroutine functions and iterates whatever
    generator a handler returns), running `fn` only for an allowed caller."""
    if inspect.iscoroutinefunction(fn):
        background = getattr(fn, rx.event.BACKGROUND_TASK_MARKER, False)

        @functools.wraps(fn)
        async def coroutine(self, *args, **kwargs):
            principal = await asyncio.to_thread(principal_for_token, self.session_token)
            if not allowed(principal, role):
                if background:  # a background task changes its state only under the state's lock
                    async with self:
                        self._forget()
                else:
                    self._forget()
                return refusal(self, principal)
            if not background:
                self._show_identity(principal)
            return await fn(self, *args, **kwargs)
        return coroutine

    if inspect.isasyncgenfunction(fn):
        @functools.wraps(fn)
        async def async_generator(self, *args, **kwargs):
            principal = await asyncio.to_thread(principal_for_token, self.session_token)
            if not allowed(principal, role):
                self._forget()
                yield refusal(self, principal)
                return
            self._show_identity(principal)
            async for event in fn(self, *args, **kwargs):
                yield event
        return async_generator

    @functools.wraps(fn)
    def plain(self, *args, **kwargs):  # also generator functions: the generator is returned, not run
        principal = principal_for_token(self.session_token)
        if not allowed(principal, role):
            self._forget()
            return refusal(self, principal)
        self._show_identity(principal)
        return fn(self, *args, **kwargs)
    return plain


def guard_handlers(cls: type, role: str) -> None:
    """Wrap every handler `cls` itself defines, before Reflex turns them into event handlers."""
    if role not in ROLES:
        raise TypeError(f"{cls.__name__}.access must be one of {ROLES}, not {role!r}")
    for name, value in list(vars(cls).items()):
        if not name.startswith("_") and inspect.isfunction(value):
            guarded = _guard(value, role)
            # read by the handler enumeration test and the README table (a function attribute: Callable has none)
            guarded.__slotwise_role__ = role  # type: ignore[attr-defined]
            setattr(cls, name, guarded)
