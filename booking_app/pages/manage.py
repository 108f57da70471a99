"""/manage/[token]: one card with the appointment, then its actions."""
from __future__ import annotations

import reflex as rx

from booking_app.components.layout import FOCUS_CSS, card, not_found, notice, shell
from booking_app.state.manage import ManageState as M

STATUS_COLORS = {"confirmed": "blue", "pending": "amber", "completed": "gray", "no_show": "red",
                 "cancelled": "gray", "late_cancel": "gray"}


def status_badge() -> rx.Component:
    return rx.badge(M.a.status_word, size="2", color_scheme=rx.match(
        M.a.status, *[(s, c) for s, c in STATUS_COLORS.items()], "gray"))


def details() -> rx.Component:
    return card(
        rx.hstack(rx.heading(M.a.type_name, size="6", as_="h1"), status_badge(), align="center", wrap="wrap"),
        rx.text(M.a.business, color=rx.color("gray", 11)),
        rx.data_list.root(
            rx.data_list.item(rx.data_list.label("When"), rx.data_list.value(
                rx.vstack(rx.text(M.a.when), rx.cond(M.a.when_business, rx.text(
                    M.a.when_business, size="1", color=rx.color("gray", 11))), spacing="0"))),
            rx.data_list.item(rx.data_list.label("Length"), rx.data_list.value(M.a.duration)),
            rx.data_list.item(rx.data_list.label(M.a.location_word), rx.data_list.value(M.a.where)),
            rx.data_list.item(rx.data_list.label("Booked by"), rx.data_list.value(
                M.a.customer_name + " · " + M.a.customer_email)),
            orientation=rx.breakpoints(initial="vertical", sm="horizontal"),
        ),
        rx.cond(M.a.checked_in, rx.callout("You're checked in.", icon="circle-check", color_scheme="grass")),
    )


def action_buttons() -> rx.Component:
    return rx.flex(
        rx.cond(M.a.can_check_in, rx.button(
            rx.icon("log-in", aria_hidden="true"), "Check in now", on_click=M.check_in, loading=M.busy, size="3",
            color_scheme="grass", style=FOCUS_CSS)),
        rx.cond(M.a.can_reschedule, rx.button(
            rx.icon("calendar-sync", aria_hidden="true"), "Reschedule", on_click=M.open_panel("reschedule"),
            variant="soft", size="3", style=FOCUS_CSS)),
        rx.cond(M.a.active, rx.button(
            rx.icon("calendar-x", aria_hidden="true"), "Cancel", on_click=M.open_panel("cancel"),
            variant="outline", color_scheme="red", size="3", style=FOCUS_CSS)),
        rx.cond(M.a.active, rx.fragment(
            rx.link(rx.button(rx.icon("calendar-plus", aria_hidden="true"), "Google", variant="outline", size="3"),
                    href=M.a.google, is_external=True),
            rx.link(rx.button(rx.icon("calendar-plus", aria_hidden="true"), "Outlook", variant="outline", size="3"),
                    href=M.a.outlook, is_external=True),
            rx.link(rx.button(rx.icon("download", aria_hidden="true"), ".ics file", variant="outline", size="3"),
                    href=M.a.ics),
            rx.button(rx.icon("bell-ring", aria_hidden="true"), "Push reminders", on_click=M.enable_push,
                      variant="outline", size="3", style=FOCUS_CSS),
        )),
        wrap="wrap", gap="2", role="group", aria_label="What you can do",
    )


def cancel_panel() -> rx.Component:
    return card(
        rx.heading("Cancel this appointment?", size="4", as_="h2"),
        rx.text(M.a.policy),
        rx.cond(
            M.a.cancel_blocked,
            rx.vstack(
                rx.callout("It is too late to cancel online. You can still move it to another time.",
                           icon="triangle-alert", color_scheme="amber", role="status"),
                rx.cond(M.a.can_reschedule, rx.button("Reschedule instead", on_click=M.open_panel("reschedule"),
                                                         style=FOCUS_CSS)),
                width="100%"),
            rx.vstack(
                rx.text(M.a.cancel_terms, weight="medium"),
                rx.el.label(rx.text("Reason (optional)", size="2", weight="medium"), html_for="cancel-reason"),
                rx.text_area(id="cancel-reason", value=M.reason, on_change=M.set_reason, max_length=500,
                             width="100%"),
                rx.hstack(
                    rx.button("Yes, cancel it", on_click=M.cancel, loading=M.busy, color_scheme="red",
                              style=FOCUS_CSS),
                    rx.button("Keep my appointment", on_click=M.close_panel, variant="soft", style=FOCUS_CSS),
                    wrap="wrap"),
                width="100%"),
        ),
    )


def option_button(option) -> rx.Component:
    selected = M.chosen.slot_id == option.slot_id
    return rx.button(option.label, on_click=M.choose(option), variant=rx.cond(selected, "solid", "outline"),
                     custom_attrs={"aria-pressed": rx.cond(selected, "true", "false")}, width="100%",
                     style={**FOCUS_CSS, "height": "auto", "min_height": "2rem", "white_space": "normal"})


def reschedule_panel() -> rx.Component:
    return card(
        rx.hstack(rx.heading("Choose a new time", size="4", as_="h2"), rx.spacer(),
                  rx.cond(M.hold_token, rx.badge(rx.icon("timer", size=14, aria_hidden="true"),
                                                 "Your slot is held for ", M.countdown, size="2",
                                                 role="timer", aria_live="off")),
                  width="100%", wrap="wrap", align="center"),
        rx.text("Your current time stays booked until you confirm the new one.", size="2",
                color=rx.color("gray", 11)),
        rx.el.label(rx.text("Or look at a specific day", size="2", weight="medium"), html_for="other-day"),
        rx.input(id="other-day", type="date", value=M.other_day, on_change=M.pick_day, width="12rem"),
        rx.cond(M.busy & (M.options.length() == 0),
                rx.vstack(*[rx.skeleton(rx.box(height="2.5rem"), width="100%") for _ in range(3)], width="100%"),
                rx.cond(M.options.length() > 0,
                        rx.grid(rx.foreach(M.options, option_button), columns=rx.breakpoints(initial="1", sm="2"),
                                spacing="2", width="100%", role="group", aria_label="Free times"),
                        rx.text("No free times on that day.", color=rx.color("gray", 11)))),
        rx.hstack(
            rx.button("Move my appointment", on_click=M.confirm_move, loading=M.busy,
                      disabled=M.chosen.is_none(), style=FOCUS_CSS),
            rx.button("Keep the current time", on_click=M.close_panel, variant="soft", style=FOCUS_CSS),
            wrap="wrap"),
    )


def qr_card() -> rx.Component:
    return card(
        rx.heading("Check-in code", size="4", as_="h2"),
        rx.text("Show this at the front desk, or use the Check in button when you arrive. "
                "Check-in opens ", M.a.check_in_opens, ".", size="2"),
        rx.image(src=M.a.qr, alt="QR code for checking in to this appointment", width="180px", height="180px",
                 background="white", padding="8px", border_radius="8px"),
    )


def history_card() -> rx.Component:
    return card(
        rx.heading("What happened so far", size="4", as_="h2"),
        rx.el.ol(rx.foreach(M.history, lambda h: rx.el.li(
            rx.text(h.what, size="2"), rx.text(h.when, size="1", color=rx.color("gray", 11)),
            style={"marginBottom": "6px"})), style={"paddingLeft": "1.2em", "margin": 0}),
    )


def manage_page() -> rx.Component:
    return shell(
        rx.cond(
            M.loading,
            rx.vstack(rx.skeleton(rx.box(height="14rem"), width="100%"), rx.skeleton(rx.box(height="3rem"),
                                                                                      width="100%"),
                      aria_busy="true", width="100%"),
            rx.cond(
                M.missing,
                not_found("We couldn't find this booking", M.missing),
                rx.vstack(
                    details(),
                    rx.cond(M.arrived_to_check_in & ~M.a.can_check_in & ~M.a.checked_in,
                            rx.callout("Check-in opens 2 hours before your appointment.", icon="clock",
                                       role="status")),
                    notice(M.notice, color=M.notice_color),
                    action_buttons(),
                    rx.match(M.panel, ("cancel", cancel_panel()), ("reschedule", reschedule_panel()), rx.fragment()),
                    rx.cond(M.a.active, qr_card()),
                    rx.cond(M.history, history_card()),
                    spacing="4", width="100%"),
            ),
        ),
        rx.script(src="/push.js"),
        wide=False,
    )
