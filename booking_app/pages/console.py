"""/console: the day across calendars as a timeline and a list, live."""
from __future__ import annotations

import reflex as rx

from booking_app.components.layout import FOCUS_CSS
from booking_app.components.staff_frame import STATUS_COLORS, staff_shell, status_badge
from booking_app.state.console import ConsoleState as C

HOUR_HEIGHT = "3.5rem"


def block(item) -> rx.Component:
    color = rx.match(item.status, *STATUS_COLORS.items(), "gray")
    return rx.box(
        rx.text(item.time, size="1", weight="bold"),
        rx.text(item.customer, size="1", trim="both"),
        position="absolute", top=item.top, height=item.height, left="4px", right="4px",
        background=rx.color(color, 4), border_left=f"4px solid {rx.color(color, 9)}", border_radius="6px",
        padding="2px 6px", overflow="hidden",
        text_decoration=rx.cond(item.status.contains("cancel"), "line-through", "none"),
        class_name=rx.cond(C.flash_id == item.id, "flash", ""), aria_hidden="true",
    )


def timeline_column(column) -> rx.Component:
    return rx.box(
        # Two fixed lines (name, then the zone its hours are in), so every column's hour grid lines up
        # with the hour labels; the full name on hover.
        rx.text(column.name, weight="bold", size="2", text_align="center", padding_top="4px", white_space="nowrap",
                overflow="hidden", text_overflow="ellipsis", title=column.business + " · " + column.name),
        rx.text(column.zone_label, size="1", color=rx.color("gray", 11), text_align="center", padding_bottom="4px",
                white_space="nowrap", overflow="hidden", text_overflow="ellipsis"),
        rx.box(
            rx.foreach(C.hours, lambda h: rx.box(height=HOUR_HEIGHT, border_top=f"1px solid {rx.color('gray', 5)}")),
            rx.foreach(C.items, lambda i: rx.cond(i.calendar_id == column.id, block(i))),
            position="relative",
        ),
        flex="1", min_width="6.5rem",
    )


def timeline() -> rx.Component:
    return rx.card(
        rx.flex(
            rx.box(rx.text("\u00a0", size="2", padding_top="4px"), rx.text("\u00a0", size="1", padding_bottom="4px"),
                   rx.foreach(C.hours, lambda h: rx.text(h, size="1", height=HOUR_HEIGHT, color=rx.color("gray", 11))),
                   width="3.5rem"),
            rx.foreach(C.columns, timeline_column),
            gap="2", width="100%", overflow_x="auto",
        ),
        aria_hidden="true",  # the list beside it carries the same information for screen readers
        width="100%",
    )


def action_panel(item) -> rx.Component:
    label = rx.match(C.action, ("cancel", "Reason for the customer"), ("propose", "New start (calendar's local time)"),
                     "Note")
    return rx.cond(
        C.selected == item.id,
        rx.el.form(
            rx.vstack(
                rx.el.label(rx.text(label, size="2", weight="medium"), html_for="action-text"),
                rx.input(id="action-text", name="text", value=C.text, on_change=C.set_text, width="100%",
                         type=rx.cond(C.action == "propose", "datetime-local", "text")),
                rx.hstack(rx.button("Save", type="submit", size="2", style=FOCUS_CSS),
                          rx.button("Close", on_click=C.close_action, variant="soft", size="2", type="button",
                                    style=FOCUS_CSS)),
                width="100%"),
            on_submit=lambda _: C.submit_action(), width="100%",
        ),
    )


def list_row(item) -> rx.Component:
    return rx.el.li(
        rx.card(
            rx.vstack(
                rx.hstack(rx.text(item.time, weight="bold"), status_badge(item.status, item.status_word),
                          rx.spacer(), rx.text(item.calendar_name, size="1", color=rx.color("gray", 11)),
                          width="100%", align="center", wrap="wrap"),
                rx.text(item.customer, " · ", item.type),
                rx.text(item.email, " ", item.phone, size="1", color=rx.color("gray", 11)),
                rx.cond(item.notes, rx.text(item.notes, size="1", white_space="pre-wrap")),
                rx.cond(item.staff_notes, rx.text("Staff note: ", item.staff_notes, size="1",
                                                     white_space="pre-wrap", color=rx.color("gray", 11))),
                rx.flex(
                    rx.cond(item.can_check_in, rx.button("Check in", on_click=C.check_in(item.id), size="1",
                                                            color_scheme="grass", style=FOCUS_CSS)),
                    rx.cond(item.active, rx.fragment(
                        rx.button("No-show", on_click=C.mark(item.id, "no_show"), size="1", variant="soft",
                                  color_scheme="red", style=FOCUS_CSS),
                        rx.button("Complete", on_click=C.mark(item.id, "completed"), size="1", variant="soft",
                                  color_scheme="gray", style=FOCUS_CSS),
                        rx.button("Cancel", on_click=C.open_action(item.id, "cancel"), size="1",
                                  variant="outline", color_scheme="red", style=FOCUS_CSS),
                        rx.button("Propose new time", on_click=C.open_action(item.id, "propose"), size="1",
                                  variant="outline", style=FOCUS_CSS),
                    )),
                    rx.button("Note", on_click=C.open_action(item.id, "note"), size="1", variant="ghost",
                              style=FOCUS_CSS),
                    gap="2", wrap="wrap", role="group", aria_label="Actions for " + item.customer),
                action_panel(item),
                spacing="1", width="100%"),
            class_name=rx.cond(C.flash_id == item.id, "flash", ""), width="100%",
        ),
        custom_attrs={"data-appointment": item.id, "data-status": item.status},
        list_style="none",
    )


def day_list() -> rx.Component:
    return rx.vstack(
        rx.heading("Appointments", size="4", as_="h2"),
        rx.cond(C.items.length() > 0,
                rx.el.ul(rx.foreach(C.items, list_row), aria_label="Appointments of the day", padding="0",
                         margin="0", width="100%", style={"display": "grid", "gap": "8px"}),
                rx.text("No appointments on this day. Share your booking link to fill it.",
                        color=rx.color("gray", 11))),
        width="100%",
    )


def toolbar() -> rx.Component:
    return rx.flex(
        rx.heading("Console", size="6", as_="h1"),
        rx.el.label(rx.text("Day", size="2", weight="medium"), html_for="console-day"),
        rx.input(id="console-day", type="date", value=C.day, on_change=C.set_day, width="11rem"),
        rx.badge(rx.box(width="8px", height="8px", border_radius="50%",
                        background=rx.cond(C.live_status == "live", rx.color("grass", 9), rx.color("amber", 9))),
                 C.live_label, role="status", size="2", high_contrast=True,
                 color_scheme=rx.cond(C.live_status == "live", "grass", "amber")),
        rx.el.form(
            rx.hstack(
                rx.el.label(rx.text("Check-in code", size="2", weight="medium"), html_for="checkin-code"),
                rx.input(id="checkin-code", name="code", value=C.code, on_change=C.set_code, placeholder="Scan or type",
                         width="14rem"),
                rx.button("Check in", type="submit", size="2", style=FOCUS_CSS), align="center"),
            on_submit=C.check_in_code),
        gap="3", align="center", wrap="wrap", width="100%",
    )


def console_page() -> rx.Component:
    return staff_shell(
        toolbar(),
        rx.grid(timeline(), day_list(), columns=rx.breakpoints(initial="1", lg="2"), spacing="4", width="100%",
                align_items="start"),
        rx.box(C.announcement, aria_live="polite", class_name="sr-only"),
        rx.moment(interval=10_000, format="HH:mm:ss", on_change=C.heartbeat, display="none"),
        state=C,
    )
