"""Every Reflex event handler of every staff state is authorized, proven over the real websocket.

Reflex dispatches any handler of any state, by its full name, to any Socket.IO client, whatever page
it shows. This test finds the handlers by itself, as test_security.py finds the API's operations: it
imports every module under `booking_app/state/`, collects every `rx.State` subclass defined there, and
requires each to be either one of the reviewed public (customer / sign-in) states below or a
`StaffState`. Every entry of every staff state's `event_handlers` (plain, async, background, and
Reflex's built-in `setvar`) is then called, with arguments built from its signature, against
`reflex run --env prod` on a fresh PostgreSQL database and a private Redis (the Reflex state lives in
Redis, as in production), by a Socket.IO client speaking the compiled frontend's protocol. Proven:

- a client without a session, with a garbage token or with a revoked (admin) session token receives
  none of the seeded markers (customer name, email, phone and notes, a staff note and its author, the
  owner's email, an API key's name, revenue) in anything the server sends, changes nothing in the
  database (every table compared before and after), and is sent to sign-in;
- a signed-in staff user without the admin role gets the same from every handler of every admin state
  (the admin states are the ones declaring `access = "admin"`; SettingsState must be one of them) and
  is sent back to the console;
- the detection can fail: a staff user opening an appointment, loading the console or analytics, and
  an admin loading the settings do receive the markers; an admin creating a key changes the database;
- after `sign_out` the tab's Reflex state in Redis holds no marker, and the old token is refused;
- a new connection presenting a staff tab's Reflex token (the key of its stored state) without a valid
  session gets none of that tab's rows in the snapshot every connect starts with;
- the console's background `listen` stops streaming once the session is revoked or the user is
  deactivated.

A handler or staff state added later is covered without editing this file; a new state that is
neither reviewed-public nor a StaffState fails test_every_state_is_public_by_review_or_staff."""
from __future__ import annotations

import asyncio
import importlib
import inspect
import itertools
import json
import os
import pkgutil
import random
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import reflex as rx
import socketio
import sqlalchemy as sa
from reflex.state import OnLoadInternalState, UpdateVarsInternalState

import booking_app.state
from booking_app.state.login import LoginState
from booking_app.state.settings import SettingsState
from booking_app.state.staff import StaffState
from tests.conftest import SECRET_KEY, configure, create_pg_database, drop_pg_database, free_port, start_private_redis
from tests.support.servers import start_backend

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

# States anyone may call, by review. Customers are authorized by the manage token in the URL, sign-in by
# the password. A new state lands here only by a reviewed edit; any other state must be a StaffState.
PUBLIC_STATES = {
    "booking_app.state.booking.BookingState",  # the booking page: the calendar's public slots
    "booking_app.state.manage.ManageState",  # /manage/<token>
    "booking_app.state.proposal.ProposalState",  # /manage/<token>/proposal/<id>
    "booking_app.state.login.LoginState",  # holds the typed email and a message, never a password
}
# Admin-only by review (the enumeration reads each state's declared `access`; this pins the expectation).
REVIEWED_ADMIN_STATES = {"booking_app.state.settings.SettingsState"}


def unguarded_by_review(cls: type, name: str) -> bool:
    """The staff-state handlers deliberately not wrapped by the guard."""
    return (name == "setvar"  # Reflex's own on every state: calls set_<var>, a guarded handler where one exists
            or (cls is StaffState and name == "sign_out"))  # revokes the caller's own session, forgets all staff states


# -- the enumeration -------------------------------------------------------------------------------------

def qualname(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def app_states() -> list[type[rx.State]]:
    """Every rx.State subclass defined in a module under booking_app/state/ (all of them imported first)."""
    for module in pkgutil.walk_packages(booking_app.state.__path__, "booking_app.state."):
        importlib.import_module(module.name)
    found, pending = [], [rx.State]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if sub.__module__.startswith("booking_app.state."):
                found.append(sub)
    return sorted(set(found), key=qualname)


STATES = app_states()
STAFF_STATES = [cls for cls in STATES if issubclass(cls, StaffState)]
ADMIN_STATES = [cls for cls in STAFF_STATES if cls.access == "admin"]
HANDLERS = [(cls, name) for cls in STAFF_STATES for name in cls.event_handlers]
ADMIN_HANDLERS = [(cls, name) for cls, name in HANDLERS if cls in ADMIN_STATES]


def handler_id(item: tuple[type, str]) -> str:
    return f"{item[0].__name__}.{item[1]}"


def required_role(cls: type, name: str) -> str:
    """The role the guard demands ('anyone' for the reviewed unguarded handlers)."""
    return getattr(cls.event_handlers[name].fn, "__slotwise_role__", "anyone")


def test_every_state_is_public_by_review_or_staff():
    names = {qualname(cls) for cls in STATES}
    assert PUBLIC_STATES <= names, f"reviewed public states not found: {PUBLIC_STATES - names}"
    unguarded = [qualname(cls) for cls in STATES if qualname(cls) not in PUBLIC_STATES
                 and not issubclass(cls, StaffState)]
    assert not unguarded, f"states that are neither reviewed-public nor StaffState: {unguarded}"
    assert len(STAFF_STATES) >= 5 and len(HANDLERS) >= 25  # the enumeration really found the staff states


def test_admin_states_are_the_reviewed_ones():
    assert SettingsState in ADMIN_STATES
    assert REVIEWED_ADMIN_STATES <= {qualname(cls) for cls in ADMIN_STATES}
    assert all(cls.access in ("staff", "admin") for cls in STAFF_STATES)


@pytest.mark.parametrize("cls, name", HANDLERS, ids=map(handler_id, HANDLERS))
def test_every_staff_handler_is_guarded_with_its_states_role(cls, name):
    assert required_role(cls, name) == ("anyone" if unguarded_by_review(cls, name) else cls.access)


def test_setvar_reaches_only_guarded_setters():
    """`setvar(var, value)` calls `set_<var>`: on a staff state every such method is a guarded handler
    (or Reflex's own is_hydrated flag, which holds no data)."""
    for cls in STAFF_STATES:
        for setter in [name for name in dir(cls) if name.startswith("set_") and name != "set_is_hydrated"]:
            fn = getattr(getattr(cls, setter), "fn", None)  # an EventHandler's function, guarded or not
            assert getattr(fn, "__slotwise_role__", None) == cls.access, \
                f"{cls.__name__}.{setter} is reachable through setvar without the {cls.access} guard"


# -- the running server, its data and its users ----------------------------------------------------------

@dataclass
class World:
    base_url: str
    redis_url: str
    markers: dict[str, str]  # what each marker is -> the text that must not leak
    appointment_id: str
    calendar_id: str
    notification_id: str
    key_id: str
    day: str  # the appointment's day (the console shows a calendar's local day)
    staff_email: str
    tokens: dict[str, str]  # client kind -> the session token its browser holds

    def words(self) -> list[str]:
        """Values for str parameters: every id the handlers take, days, and the console's action words."""
        today = datetime.now(timezone.utc).date().isoformat()
        return list(dict.fromkeys([self.appointment_id, self.notification_id, self.calendar_id, self.key_id, today,
                                   self.day, "cancel", "note", "propose", "no_show", "completed"]))

    def forms(self) -> list[dict]:
        """Values for dict parameters: nothing, and the forms the settings page and console submit."""
        from booking_app.db import session_scope
        from booking_app.models import Calendar
        from booking_app.viewmodels.settings_view import calendar_form

        with session_scope() as session:
            calendar = calendar_form(session.get(Calendar, uuid.UUID(self.calendar_id)))
        return [{}, {**calendar, "name": "Taken over", "owner_email": "attacker@evil.example"},
                {"name": "Attacker type", "slug": "attacker", "duration": "30", "price": "0", "currency": "USD"},
                {"key_name": "attacker key", "key_role": "admin"}, {"code": self.appointment_id}]


ALL_DAY = {d: [["00:00", "23:45"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
PASSWORD = "correct horse battery staple"


def seed(tag: str) -> dict:
    """A calendar whose owner email is a marker, a booking whose customer fields are markers, a staff note
    by a staff member whose email is a marker, a failed message to retry, a payment (revenue) and an
    API key whose name is a marker. Returns the ids and markers."""
    from booking_app.db import session_scope
    from booking_app.models import Notification, Payment
    from booking_app.principal import ANONYMOUS, SYSTEM
    from booking_app.services.access import api_keys, staff_auth
    from booking_app.services.access.users import create_user
    from booking_app.services.appointments.booking import BookingRequest, book
    from booking_app.services.calendars import catalog as calendars
    from booking_app.viewmodels import console_view

    digits = "".join(random.choices("0123456789", k=7))
    revenue = f"{random.randint(101, 999)}.{random.choice('123456789')}{random.choice('123456789')}"
    markers = {"customer name": f"Quillon Marker{tag}", "customer email": f"cust.{tag}@marker.example",
               "customer phone": f"+1555{digits}", "customer notes": f"gate code {tag}",
               "staff note": f"staffnote-{tag}", "note author": f"nurse.{tag}@marker.example",
               "owner email": f"owner.{tag}@marker.example", "api key name": f"apikey-{tag}", "revenue": revenue}
    start = (datetime.now(timezone.utc) + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    with session_scope() as session:
        calendar = calendars.create_calendar(session, actor=SYSTEM, data={
            "slug": f"clinic-{tag}", "name": "Dr. Rivera", "business_name": "Riverside Clinic", "timezone": "UTC",
            "weekly_hours": ALL_DAY, "slot_interval_minutes": 30, "min_notice_minutes": 0, "max_advance_days": 90,
            "owner_email": markers["owner email"]})
        calendars.create_type(session, calendar_id=calendar.id, actor=SYSTEM, data={
            "slug": "checkup", "name": "Check-up", "duration_minutes": 30, "price": "80", "currency": "USD"})
        calendar_id = calendar.id
    with session_scope() as session:
        appointment = book(session, actor=ANONYMOUS, now=datetime.now(timezone.utc), request=BookingRequest(
            calendar_id=calendar_id, appointment_type="checkup", start_time=start,
            end_time=start + timedelta(minutes=30), customer_email=markers["customer email"],
            customer_name=markers["customer name"], customer_phone=markers["customer phone"],
            notes=markers["customer notes"], timezone="UTC")).appointment
        appointment_id = appointment.id
        session.add(Payment(appointment_id=appointment_id, kind="charge", amount=Decimal(revenue), currency="USD"))
    with session_scope() as session:
        notification = session.execute(sa.select(Notification).where(
            Notification.appointment_id == appointment_id)).scalars().first()
        notification.status, notification.last_error = "failed", "mailbox full"  # a message staff could retry
        notification_id = notification.id
        key_id = api_keys.create_api_key(session, name=markers["api key name"], role="staff")[0].id
        author = create_user(session, email=markers["note author"], name="Nurse", password=PASSWORD, role="staff")
        author_principal = staff_auth.principal_for(author)
    console_view.add_note(str(appointment_id), markers["staff note"], author_principal)
    staff_email = f"desk.{tag}@example.test"
    with session_scope() as session:
        create_user(session, email=staff_email, name="Front Desk", password=PASSWORD, role="staff")
        create_user(session, email=f"boss.{tag}@example.test", name="Boss", password=PASSWORD, role="admin")
    tokens = {"staff": login(staff_email), "admin": login(f"boss.{tag}@example.test"),
              "garbage": "not-a-session-" + uuid.uuid4().hex, "revoked": login(f"boss.{tag}@example.test")}
    revoke(tokens["revoked"])
    return dict(markers=markers, appointment_id=str(appointment_id), calendar_id=str(calendar_id),
                notification_id=str(notification_id), key_id=str(key_id), day=start.date().isoformat(),
                staff_email=staff_email, tokens=tokens)


def login(email: str) -> str:
    from booking_app.db import session_scope, utcnow
    from booking_app.services.access import staff_auth

    with session_scope() as session:
        return staff_auth.login(session, email=email, password=PASSWORD, now=utcnow())[0]


def revoke(token: str) -> None:
    from booking_app.db import session_scope, utcnow
    from booking_app.services.access import staff_auth

    with session_scope() as session:
        staff_auth.logout(session, token, utcnow())


@pytest.fixture(scope="module")
def world(pg_server, tmp_path_factory):
    """`reflex run --env prod --backend-only` on a fresh PostgreSQL database and a private Redis, seeded
    through the services. The test process's settings are restored afterwards."""
    from booking_app.db import dispose_engines
    from booking_app.migrate import upgrade
    from booking_app.settings import get_settings

    saved_env = dict(os.environ)
    redis_server = start_private_redis()
    name, url = create_pg_database(pg_server)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = None
    try:
        configure(database_url=url, redis_url=redis_server.url, PUBLIC_BASE_URL=base_url)
        upgrade()
        seeded = seed(uuid.uuid4().hex[:10])
        env = {"DATABASE_URL": url, "REDIS_URL": redis_server.url, "SMTP_HOST": "", "RATE_LIMIT_ENABLED": "false",
               "PUBLIC_BASE_URL": base_url, "SECRET_KEY": SECRET_KEY}
        server = start_backend(env, port, tmp_path_factory.mktemp("state-handlers") / "backend.log")
        yield World(base_url=base_url, redis_url=redis_server.url, **seeded)
    finally:
        if server is not None:
            server.stop()
        redis_server.stop()
        drop_pg_database(pg_server, name)
        os.environ.clear()
        os.environ.update(saved_env)
        get_settings.cache_clear()
        dispose_engines()


_TABLES: list[sa.Table] = []


def snapshot() -> dict[str, list[str]]:
    """Every row of every table (the database is tiny): any write by a handler shows up here."""
    from booking_app.db import get_engine

    engine = get_engine()
    if not _TABLES:
        metadata = sa.MetaData()
        metadata.reflect(engine)
        _TABLES.extend(t for t in metadata.sorted_tables if t.name != "alembic_version")
    with engine.connect() as connection:
        return {t.name: sorted(repr(tuple(row)) for row in connection.execute(t.select())) for t in _TABLES}


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


# -- a browser tab, over the real websocket ------------------------------------------------------------

NAMESPACE = "/_event"
ROOT_STATE = rx.State.get_full_name()
SESSION_VAR = f"{StaffState.get_full_name()}.session_token_rx_state_"  # as .web/utils/context.jsx names it


class Tab:
    """One browser tab, talking to the backend as the compiled frontend does (.web/utils/state.js,
    `connect` and `applyEvent`): a Socket.IO connection to /_event with the tab's token in the query
    string and Reflex's `hydrate_and_load` event in the CONNECT packet's auth; that event carries the
    browser's local storage (the staff session token, `rx.LocalStorage(name="slotwise_staff")`) as
    client-storage `vars`. Each call is an `event` emit of {name, payload, router_data}; the server
    answers with `event` messages of {delta, events}. Everything received is kept in `received`."""

    def __init__(self, world: World, session_token: str = "", path: str = "/", token: str = "",
                 legacy_hydrate: bool = False) -> None:
        self.world, self.session_token, self.path = world, session_token, path
        self.token = token or str(uuid.uuid4())  # the tab's token: its Reflex state is stored under it
        self.legacy_hydrate = legacy_hydrate  # connect bare, then send State.hydrate and on_load_internal
        self.received: list[dict] = []
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("event", self.received.append, namespace=NAMESPACE)

    def _event(self, name: str, payload: dict) -> dict:
        return {"name": name, "payload": payload, "router_data": {"pathname": self.path, "asPath": self.path}}

    def _storage(self) -> dict:
        return {"vars": {SESSION_VAR: self.session_token}} if self.session_token else {}

    async def __aenter__(self) -> Tab:
        boot = self._event(f"{ROOT_STATE}.hydrate_and_load", self._storage())
        await self.sio.connect(f"{self.world.base_url}?token={self.token}", transports=["websocket"],
                               socketio_path="/_event", namespaces=[NAMESPACE], headers={"Origin": self.world.base_url},
                               auth=None if self.legacy_hydrate else {"event": boot}, wait_timeout=30)
        if self.legacy_hydrate:  # Reflex's older handshake, still served
            await self.update_storage(self.session_token)
            await self.send(f"{ROOT_STATE}.hydrate")
            await self.send(f"{OnLoadInternalState.get_full_name()}.on_load_internal")
        await self.wait_for(lambda: any(delta.get("is_hydrated_rx_state_") is True for delta in self.deltas(rx.State)),
                            "the page never finished loading (is_hydrated)")  # after the page's on_load chain
        await self.settle()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.sio.disconnect()

    async def send(self, name: str, payload: dict | None = None) -> None:
        await self.sio.emit("event", self._event(name, payload or {}), namespace=NAMESPACE)

    async def call(self, cls: type, handler: str, **payload) -> None:
        await self.send(f"{cls.get_full_name()}.{handler}", payload)

    async def update_storage(self, session_token: str) -> None:
        """What the page sends on navigation when local storage holds a value (update_vars_internal)."""
        self.session_token = session_token
        await self.send(f"{UpdateVarsInternalState.get_full_name()}.update_vars_internal", self._storage())

    async def wait_for(self, condition, failure: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"{failure} within {timeout}s"
            await asyncio.sleep(0.01)

    async def settle(self, quiet: float = 0.0, rounds: int = 2) -> None:
        """Wait until the server has answered everything sent so far: a tab's events are processed in
        order, so the answer to a sentinel (a public LoginState setter) comes after theirs; the events
        those handlers return (chains) queue up behind the sentinel, hence a second round. Background
        handlers run outside that order: `quiet` waits a little longer for them."""
        for _ in range(rounds):
            sentinel = f"sentinel-{uuid.uuid4().hex}"
            await self.call(LoginState, "set_email", value=sentinel)
            await self.wait_for(lambda: sentinel in self.text(), "no answer from the server")  # noqa: B023
        await asyncio.sleep(quiet)

    def text(self, since: int = 0) -> str:
        return json.dumps(self.received[since:], ensure_ascii=False)

    def leaked(self, since: int = 0) -> list[str]:
        """The markers found in anything received (since message number `since`)."""
        text = self.text(since)
        return [what for what, marker in self.world.markers.items() if marker in text]

    def redirects(self, since: int = 0) -> list[str]:
        return [event["payload"]["path"] for update in self.received[since:] for event in update.get("events") or []
                if event.get("name") == "_redirect"]

    def deltas(self, cls: type, since: int = 0) -> list[dict]:
        return [update["delta"][cls.get_full_name()] for update in self.received[since:]
                if cls.get_full_name() in (update.get("delta") or {})]


def redis_values(world: World, tab: Tab) -> bytes:
    """Everything the state manager keeps in Redis for this tab (keys carry the tab's token)."""
    import redis

    client = redis.Redis.from_url(world.redis_url)
    values = []
    for key in client.scan_iter(match=f"*{tab.token}*"):
        if client.type(key) == b"string":
            values.append(client.get(key) or b"")
    return b"\n".join(values)


def markers_in(world: World, blob: bytes) -> list[str]:
    return [what for what, marker in world.markers.items() if marker.encode() in blob]


def run(coroutine):
    """In a thread of its own: earlier browser tests (Playwright's sync API) leave a loop running in this one."""
    with ThreadPoolExecutor(1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


# -- calling every handler -------------------------------------------------------------------------------

def pool(parameter: inspect.Parameter, cls: type, world: World, *, names_a_field: bool) -> list:
    """Candidate values for one parameter, chosen by its annotation."""
    text = "" if parameter.annotation is inspect.Parameter.empty else str(parameter.annotation)
    untyped = not text or "Any" in text
    values: list = []
    if "str" in text or untyped:
        values += (field_names(cls) if names_a_field else []) + world.words()
    if "dict" in text or untyped:
        values += world.forms()
    if "bool" in text:
        values += [True, False]
    if "int" in text or "float" in text:
        values += [1, -1]
    return values or world.words()


def field_names(cls: type) -> list[str]:
    """The state's fields, and every X for which it has a set_X (what setvar(X, value) reaches)."""
    setters = [name.removeprefix("set_") for name in dir(cls) if name.startswith("set_")]
    return list(dict.fromkeys([*cls.base_vars, *cls.computed_vars, *setters]))


def argument_sets(cls: type, name: str, world: World) -> list[dict]:
    """No arguments at all, then each candidate value; for two parameters every pair, where the first may
    also name one of the state's fields (setvar(var_name, value), set_filter(name, value), ...)."""
    parameters = [p for p in inspect.signature(cls.event_handlers[name].fn).parameters.values()
                  if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    names = [p.name for p in parameters]
    pools = [pool(p, cls, world, names_a_field=(i == 0 and len(parameters) == 2)) for i, p in enumerate(parameters)]
    if len(parameters) <= 2:
        combos = list(itertools.product(*pools)) if parameters else []
    else:  # not used today: each value in every position rather than every combination
        combos = list(itertools.zip_longest(*pools, fillvalue=""))
    return [{}] + [dict(zip(names, combo)) for combo in combos]


async def call_every_way(tab: Tab, cls: type, name: str) -> None:
    for payload in argument_sets(cls, name, tab.world):
        await tab.call(cls, name, **payload)
    await tab.settle(quiet=1.0 if cls.event_handlers[name].is_background else 0.0)


def assert_refused(cls: type, name: str, kind: str, tab: Tab, before: dict, expected_redirect: str) -> None:
    assert not tab.leaked(), f"{handler_id((cls, name))} sent {tab.leaked()} to a client with {kind}"
    assert not changed_tables(before, snapshot()), (
        f"{handler_id((cls, name))} called by a client with {kind} changed {changed_tables(before, snapshot())}")
    assert not markers_in(tab.world, redis_values(tab.world, tab)), f"{handler_id((cls, name))} left data in Redis"
    if name != "setvar":  # setvar reaches a guarded set_<var> only for some var names
        assert any(path.startswith(expected_redirect) for path in tab.redirects()), (
            f"{handler_id((cls, name))}: {kind} was not sent to {expected_redirect}: {tab.redirects()}")


NO_SESSION = {"no session": "", "a garbage token": "garbage", "a revoked admin session": "revoked"}


@pytest.mark.parametrize("kind", NO_SESSION)
@pytest.mark.parametrize("cls, name", HANDLERS, ids=map(handler_id, HANDLERS))
def test_without_a_valid_session_no_handler_reveals_or_changes_anything(world, cls, name, kind):
    token = world.tokens.get(NO_SESSION[kind], "")

    async def scenario():
        async with Tab(world, token) as tab:
            before = snapshot()
            await call_every_way(tab, cls, name)
            assert_refused(cls, name, kind, tab, before, "/login")

    run(scenario())


@pytest.mark.parametrize("cls, name", ADMIN_HANDLERS, ids=map(handler_id, ADMIN_HANDLERS))
def test_staff_without_the_admin_role_cannot_use_admin_handlers(world, cls, name):
    async def scenario():
        async with Tab(world, world.tokens["staff"]) as tab:
            before = snapshot()
            await call_every_way(tab, cls, name)
            assert_refused(cls, name, "the staff role", tab, before, "/console")

    run(scenario())


# -- positive controls: the same detection does see data and writes ------------------------------------------

def test_staff_and_admins_do_receive_the_data(world):
    from booking_app.state.analytics import AnalyticsState
    from booking_app.state.appointments import AppointmentsState
    from booking_app.state.console import ConsoleState

    async def scenario():
        async with Tab(world, world.tokens["staff"], path="/appointments") as tab:
            mark = len(tab.received)
            await tab.call(AppointmentsState, "open", appointment_id=world.appointment_id)
            await tab.settle()
            assert {"customer name", "customer email", "note author"} <= set(tab.leaked(mark))
            mark = len(tab.received)
            await tab.call(ConsoleState, "set_day", value=world.day)
            await tab.settle()
            assert {"customer name", "customer phone", "customer notes", "staff note"} <= set(tab.leaked(mark))
            mark = len(tab.received)
            await tab.call(AnalyticsState, "load")
            await tab.settle()
            assert "revenue" in tab.leaked(mark)
        async with Tab(world, world.tokens["admin"], path="/settings") as tab:
            mark = len(tab.received)
            await tab.call(SettingsState, "load")
            await tab.settle()
            assert {"api key name", "owner email"} <= set(tab.leaked(mark))

    run(scenario())


def test_an_admin_write_does_change_the_database(world):
    async def scenario():
        async with Tab(world, world.tokens["admin"], path="/settings") as tab:
            before = snapshot()
            await tab.call(SettingsState, "create_key", form={"key_name": "control key", "key_role": "staff"})
            await tab.settle()
            assert "api_keys" in changed_tables(before, snapshot())

    run(scenario())


# -- secrets never become state ------------------------------------------------------------------------------

def test_a_new_api_key_reaches_the_page_once_and_never_the_state(world):
    """The key travels only in the create event's set_value (into the page's read-only field): no delta
    carries it and the tab's stored state never holds it."""
    async def scenario():
        async with Tab(world, world.tokens["admin"], path="/settings") as tab:
            mark = len(tab.received)
            await tab.call(SettingsState, "create_key", form={"key_name": "shown once", "key_role": "staff"})
            await tab.settle()
            keys = set(re.findall(r"sk_[A-Za-z0-9_\-]{20,}", tab.text(mark)))
            assert len(keys) == 1, "the new key should reach the page exactly as one value"
            key = keys.pop()
            assert key not in json.dumps(tab.deltas(SettingsState, mark)), "the key was sent as state"
            assert key.encode() not in redis_values(world, tab), "the key was stored in the state store"

    run(scenario())


def test_the_sign_in_password_is_used_once_and_never_kept(world):
    async def scenario():
        async with Tab(world, "", path="/login") as tab:
            await tab.call(LoginState, "submit", form={"email": world.staff_email, "password": PASSWORD})
            await tab.settle()
            assert "/console" in tab.redirects(), "the sign-in did not succeed"
            assert PASSWORD not in tab.text(), "the password came back from the server"
            assert PASSWORD.encode() not in redis_values(world, tab), "the password was stored in the state store"

    run(scenario())


# -- signing out, and the live console after a revocation -------------------------------------------------

def test_sign_out_leaves_no_data_in_the_state_store_and_the_old_token_is_refused(world):
    from booking_app.state.appointments import AppointmentsState
    from booking_app.state.console import ConsoleState

    token = login(world.staff_email)

    async def scenario():
        async with Tab(world, token, path="/appointments") as tab:
            await tab.call(AppointmentsState, "apply")
            await tab.call(AppointmentsState, "open", appointment_id=world.appointment_id)
            await tab.call(ConsoleState, "set_day", value=world.day)
            await tab.settle()
            assert "customer name" in tab.leaked()
            assert "customer name" in markers_in(world, redis_values(world, tab))  # the scan does see state

            await tab.call(StaffState, "sign_out")
            await tab.settle()
            assert tab.redirects()[-1] == "/login"
            assert not markers_in(world, redis_values(world, tab)), "sign_out left data in Redis"

            mark = len(tab.received)
            await tab.update_storage(token)  # the old token, as a page still holding it would send it
            await tab.call(AppointmentsState, "open", appointment_id=world.appointment_id)
            await tab.call(ConsoleState, "set_day", value=world.day)
            await tab.settle()
            assert not tab.leaked(mark), f"the signed-out token still got {tab.leaked(mark)}"
            assert any(path.startswith("/login") for path in tab.redirects(mark))
            assert not markers_in(world, redis_values(world, tab))

    run(scenario())


def test_a_new_connection_on_a_staff_tabs_token_gets_none_of_its_rows(world):
    """Reflex keeps a tab's state in Redis under the tab's token (a UUID in the websocket URL) and sends
    all of it as the first snapshot of every (re)connect, which runs no handler and so no guard. Whoever
    presents a staff tab's token without a session must not get the rows that tab loaded; the staff
    member reconnecting with their session gets them back from the page's on_load."""
    from booking_app.state.appointments import AppointmentsState
    from booking_app.state.console import ConsoleState

    async def scenario():
        async with Tab(world, world.tokens["staff"], path="/appointments") as staff_tab:
            await staff_tab.call(AppointmentsState, "open", appointment_id=world.appointment_id)
            await staff_tab.call(ConsoleState, "set_day", value=world.day)
            await staff_tab.settle()
            assert {"customer name", "note author"} <= set(staff_tab.leaked())
        for kind, legacy in itertools.product(("", "garbage", "revoked"), (False, True)):
            async with Tab(world, world.tokens.get(kind, ""), token=staff_tab.token, legacy_hydrate=legacy) as stranger:
                assert not stranger.leaked(), f"reconnecting on the staff tab's token got {stranger.leaked()}"
        async with Tab(world, world.tokens["staff"], path="/console", token=staff_tab.token) as again:
            assert "customer name" in again.leaked()  # the console's on_load loads the board again

    run(scenario())


@pytest.mark.parametrize("revocation", ["logout", "deactivation"])
def test_the_live_console_stops_streaming_when_the_session_ends(world, revocation):
    from booking_app import events
    from booking_app.db import session_scope
    from booking_app.models import Appointment, StaffUser
    from booking_app.services.access.users import create_user
    from booking_app.state.console import ConsoleState

    email = f"{revocation}.{uuid.uuid4().hex[:8]}@example.test"
    with session_scope() as session:
        create_user(session, email=email, name="Console watcher", password=PASSWORD, role="staff")
    token = login(email)

    def publish() -> None:
        with session_scope() as session:
            events.publish(events.appointment_event(
                "appointment.updated", session.get(Appointment, uuid.UUID(world.appointment_id))))

    def end_session() -> None:
        if revocation == "logout":
            revoke(token)
        else:
            with session_scope() as session:
                session.execute(sa.update(StaffUser).where(StaffUser.email == email).values(active=False))

    async def until(condition, timeout: float, every: float = 0.5) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            publish()
            await asyncio.sleep(every)
            if condition():
                return True
        return False

    async def scenario():
        async with Tab(world, token, path="/console") as tab:  # the page's on_load starts `listen`
            await tab.call(ConsoleState, "set_day", value=world.day)
            await tab.settle()
            mark = len(tab.received)
            streamed = await until(lambda: any(d.get("announcement_rx_state_") for d in tab.deltas(ConsoleState, mark)),
                                   timeout=20)
            assert streamed and "customer name" in tab.leaked(mark), "the listener never streamed a change"

            end_session()
            mark = len(tab.received)
            forgotten = await until(lambda: any(d.get("items_rx_state_") == [] for d in tab.deltas(ConsoleState, mark)),
                                    timeout=20)
            assert forgotten, "the listener did not notice the ended session"
            quiet_from = len(tab.received)
            for _ in range(4):
                publish()
                await asyncio.sleep(0.5)
            assert not tab.leaked(mark), f"after the {revocation} the console still got {tab.leaked(mark)}"
            assert not tab.deltas(ConsoleState, quiet_from), "the listener kept streaming"

    run(scenario())
