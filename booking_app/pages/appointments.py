"""/appointments: search and filters over the list API's filters, cursor pages, full record."""
from __future__ import annotations

import reflex as rx

from booking_app.components.layout import FOCUS_CSS
from booking_app.components.staff_frame import staff_shell, status_badge
from booking_app.domain.status import STATUSES
from booking_app.state.appointments import AppointmentsState as S


def filter_field(label: str, name: str, control: rx.Component) -> rx.Component:
    return rx.vstack(rx.el.label(rx.text(label, size="2", weight="medium"), html_for=f"q-{name}"), control,
                     spacing="1")


def filters() -> rx.Component:
    return rx.el.form(
        rx.flex(
            filter_field("Customer email", "email", rx.input(id="q-email", name="email", value=S.email,
                                                             on_change=lambda v: S.set_filter("email", v))),
            filter_field("Status", "status", rx.el.select(
                *[rx.el.option(s.replace("_", " ").capitalize() or "Any", value=s) for s in ("", *STATUSES)],
                id="q-status", value=S.status, on_change=lambda v: S.set_filter("status", v))),
            filter_field("From", "start", rx.input(id="q-start", name="start", type="date", value=S.start,
                                                   on_change=lambda v: S.set_filter("start", v))),
            filter_field("To", "end", rx.input(id="q-end", name="end", type="date", value=S.end,
                                               on_change=lambda v: S.set_filter("end", v))),
            rx.button("Search", type="submit", style=FOCUS_CSS),
            gap="3", align="end", wrap="wrap"),
        on_submit=S.apply, aria_label="Filter appointments",
    )


def row(item) -> rx.Component:
    return rx.table.row(
        rx.table.cell(item.when), rx.table.cell(item.customer), rx.table.cell(item.email),
        rx.table.cell(item.type), rx.table.cell(status_badge(item.status, item.status)),
        rx.table.cell(rx.button("Details", on_click=S.open(item.id), size="1", variant="soft", style=FOCUS_CSS)),
    )


def detail() -> rx.Component:
    return rx.cond(S.detail.is_not_none(), rx.card(rx.vstack(
        rx.heading(S.detail.customer_name, " · ", S.detail.appointment_type, size="4", as_="h2"),
        rx.text(S.detail.start_time, " · ", S.detail.status, " · confirmation ", S.detail.confirmation_status),
        rx.cond(S.detail.staff_notes, rx.text("Staff notes: ", S.detail.staff_notes, white_space="pre-wrap")),
        rx.heading("History", size="3", as_="h3"),
        rx.el.ol(rx.foreach(S.history, lambda h: rx.el.li(h.at, " — ", h.action, " by ", h.who))),
        rx.heading("Messages", size="3", as_="h3"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(t) for t in
                                           ("Kind", "Channel", "To", "Status", "Attempts", "Last error", "")])),
            rx.table.body(rx.foreach(S.messages, lambda m: rx.table.row(
                rx.table.cell(m.kind), rx.table.cell(m.channel), rx.table.cell(m.recipient),
                rx.table.cell(m.status), rx.table.cell(m.attempts), rx.table.cell(m.error),
                rx.table.cell(rx.cond(m.status == "failed", rx.button(
                    "Retry", on_click=S.retry(m.id), size="1", style=FOCUS_CSS))))))),
        width="100%")))


def appointments_page() -> rx.Component:
    return staff_shell(
        rx.heading("Appointments", size="6", as_="h1"),
        filters(),
        rx.cond(S.error, rx.callout(S.error, icon="triangle-alert", color_scheme="red", role="alert")),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(t) for t in
                                           ("When", "Customer", "Email", "Type", "Status", "")])),
            rx.table.body(rx.foreach(S.rows, row)), width="100%"),
        rx.cond(S.next_cursor, rx.button("Load more", on_click=S.more, variant="soft", style=FOCUS_CSS),
                rx.text("That's all.", size="2", color=rx.color("gray", 11))),
        detail(),
        state=S,
    )
