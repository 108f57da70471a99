"""/book/[calendar]: who and what → a month of bookable days → the day's times → details → done."""
from __future__ import annotations

import zoneinfo

import reflex as rx

from booking_app.components.layout import FOCUS_CSS, card, field, not_found, notice, shell
from booking_app.state.booking import BookingState as S

ZONES = ["UTC"] + sorted(z for z in zoneinfo.available_timezones()
                         if "/" in z and not z.startswith(("Etc/", "SystemV/")))
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def type_choice(t) -> rx.Component:
    return rx.radio_cards.item(
        rx.vstack(
            rx.text(t.name, weight="bold"),
            rx.hstack(rx.icon("clock", size=14, aria_hidden="true"), rx.text(t.duration, size="2"),
                      rx.icon(t.location_icon, size=14, aria_hidden="true"), rx.text(t.location, size="2"),
                      spacing="1", align="center", wrap="wrap"),
            rx.text(t.price, size="2", color=rx.color("accent", 11)),
            spacing="1", align="start", width="100%"),
        value=t.slug, width="100%",
    )


def who_and_what() -> rx.Component:
    return card(
        rx.heading(S.page.business, size="6", as_="h1"),
        rx.text(S.page.name, color=rx.color("gray", 11)),
        rx.text("What would you like to book?", id="type-label", weight="medium", size="2"),
        rx.radio_cards.root(rx.foreach(S.page.types, type_choice), value=S.type_slug, on_value_change=S.choose_type,
                            columns="1", width="100%", custom_attrs={"aria-labelledby": "type-label"}),
        rx.el.label(rx.text("Times are shown in", weight="medium", size="2"), html_for="timezone"),
        rx.el.select(*[rx.el.option(z.replace("_", " "), value=z) for z in ZONES], id="timezone", value=S.tz,
                     on_change=S.change_tz, class_name="native-select", width="100%"),
        rx.text(S.page.policy, size="1", color=rx.color("gray", 11)),
    )


def day_cell(cell) -> rx.Component:
    return rx.cond(
        cell.date,
        rx.button(
            cell.number, on_click=S.choose_day(cell.date), disabled=~cell.available,
            variant=rx.cond(cell.selected, "solid", rx.cond(cell.available, "soft", "ghost")),
            aria_label=rx.cond(cell.available, cell.label + ", times available", cell.label + ", full"),
            custom_attrs={"aria-pressed": rx.cond(cell.selected, "true", "false")},
            width="100%", height="2.75rem", style=FOCUS_CSS,
            text_decoration=rx.cond(cell.available, "none", "line-through"),
        ),
        rx.box(aria_hidden="true"),
    )


def month_picker() -> rx.Component:
    return card(
        rx.hstack(
            rx.icon_button(rx.icon("chevron-left", aria_hidden="true"), on_click=S.shift_month(-1),
                           disabled=~S.can_go_back, variant="soft", aria_label="Previous month", style=FOCUS_CSS),
            rx.heading(S.month_title, size="4", as_="h2", flex="1", text_align="center", aria_live="polite"),
            rx.icon_button(rx.icon("chevron-right", aria_hidden="true"), on_click=S.shift_month(1),
                           variant="soft", aria_label="Next month", style=FOCUS_CSS),
            width="100%", align="center"),
        rx.cond(
            S.type_slug,
            rx.skeleton(
                rx.grid(*[rx.text(d, size="1", text_align="center", color=rx.color("gray", 11), aria_hidden="true")
                          for d in WEEKDAYS],
                        rx.foreach(S.grid, day_cell), columns="7", spacing="1", width="100%"),
                loading=S.loading_month, width="100%"),
            rx.text("Choose what you would like to book first.", color=rx.color("gray", 11)),
        ),
    )


def slot_button(slot) -> rx.Component:
    return rx.button(slot.label, on_click=S.choose_slot(slot), size="3", variant="outline", width="100%",
                     style=FOCUS_CSS)


def day_times() -> rx.Component:
    return card(
        rx.heading(rx.cond(S.day, S.day_title, "Times"), size="4", as_="h2"),
        rx.cond(
            S.loading_month,
            rx.vstack(*[rx.skeleton(rx.box(height="2.75rem"), width="100%") for _ in range(4)], width="100%"),
            rx.cond(
                S.day_slots.length() > 0,
                rx.grid(rx.foreach(S.day_slots, slot_button), columns="2", spacing="2", width="100%",
                        role="group", aria_label="Free times"),
                rx.text(rx.cond(S.type_slug, "No free times this month. Try the next month.",
                                "Times appear here."), color=rx.color("gray", 11)),
            ),
        ),
    )


def alternative_button(slot) -> rx.Component:
    return rx.button(slot.label, on_click=S.take_alternative(slot), variant="soft", style=FOCUS_CSS)


def details_form() -> rx.Component:
    return card(
        rx.hstack(
            rx.icon("calendar-clock", aria_hidden="true", color=rx.color("accent", 11)),
            rx.vstack(rx.text(S.chosen_type.name, " · ", S.chosen_type.duration, weight="bold"),
                      rx.text(S.slot_when), spacing="0"),
            rx.spacer(),
            rx.button("Change time", on_click=S.change_time, variant="ghost", style=FOCUS_CSS),
            width="100%", align="center", wrap="wrap"),
        notice(S.problem),
        rx.cond(S.alternatives.length() > 0,
                rx.flex(rx.foreach(S.alternatives, alternative_button), wrap="wrap", gap="2",
                        role="group", aria_label="Nearest free times")),
        rx.el.form(
            rx.vstack(
                field("Name", "name", S.name, lambda v: S.set_field("name", v), lambda _: S.check_field("name"),
                      S.errors.get("name", ""), autocomplete="name", required=True),
                field("Email", "email", S.email, lambda v: S.set_field("email", v), lambda _: S.check_field("email"),
                      S.errors.get("email", ""), input_type="email", autocomplete="email", required=True,
                      hint="Your confirmation and reminders go here."),
                field("Phone", "phone", S.phone, lambda v: S.set_field("phone", v), lambda _: S.check_field("phone"),
                      S.errors.get("phone", ""), input_type="tel", autocomplete="tel"),
                field("Notes for the team", "notes", S.notes, lambda v: S.set_field("notes", v),
                      lambda _: S.check_field("notes"), S.errors.get("notes", ""), multiline=True),
                rx.button(rx.cond(S.submitting, rx.spinner(size="2"), rx.icon("check", aria_hidden="true")),
                          rx.cond(S.submitting, "Booking…", "Confirm booking"), type="submit", size="3",
                          disabled=S.submitting, width="100%", style=FOCUS_CSS),
                spacing="3", width="100%"),
            on_submit=S.submit, custom_attrs={"novalidate": True}, width="100%", aria_label="Your details",
        ),
    )


def confirmation() -> rx.Component:
    booked = S.booked
    return card(
        rx.hstack(rx.icon("circle-check", size=40, color=rx.color("grass", 10), aria_hidden="true"),
                  rx.heading(rx.cond(booked.payment_due, "Almost done: payment needed",
                                     "You're booked"), size="7", as_="h1"),
                  align="center", spacing="3"),
        rx.text(booked.type_name, " with ", booked.business, weight="bold", size="4"),
        rx.text(booked.when, size="4"),
        rx.cond(booked.when_business, rx.text(booked.when_business, color=rx.color("gray", 11))),
        rx.text(booked.location_word, ": ", booked.where),
        rx.flex(
            rx.link(rx.button(rx.icon("calendar-plus", aria_hidden="true"), "Google Calendar", variant="soft"),
                    href=booked.google, is_external=True),
            rx.link(rx.button(rx.icon("calendar-plus", aria_hidden="true"), "Outlook", variant="soft"),
                    href=booked.outlook, is_external=True),
            rx.link(rx.button(rx.icon("download", aria_hidden="true"), "Download .ics", variant="soft"),
                    href=booked.ics),
            wrap="wrap", gap="2"),
        rx.callout(rx.text(S.page.reminder_hint, " Need to change something? ",
                           rx.link("Manage your booking", href=booked.manage_path), "."),
                   icon="mail", role="status"),
        aria_live="polite",
    )


def booking_flow() -> rx.Component:
    return rx.cond(
        S.booked.is_not_none(),
        rx.box(confirmation(), max_width="40rem", margin_x="auto"),
        rx.grid(
            who_and_what(),
            rx.cond(S.slot.is_not_none(), rx.box(details_form(), grid_column=rx.breakpoints(
                initial="auto", md="span 2")), rx.fragment(month_picker(), day_times())),
            columns=rx.breakpoints(initial="1", md="3"), spacing="4", width="100%", align_items="start",
        ),
    )


def book_page() -> rx.Component:
    return shell(
        rx.cond(
            S.loading,
            rx.grid(*[rx.skeleton(rx.box(height="20rem"), width="100%") for _ in range(3)],
                    columns=rx.breakpoints(initial="1", md="3"), spacing="4", aria_busy="true"),
            rx.cond(S.found, booking_flow(),
                    not_found("This booking page does not exist",
                              "Check the link you were given, or ask the business for its booking page.")),
        ),
    )
