"""/settings (admins): calendar settings, appointment types, API keys."""
from __future__ import annotations

import reflex as rx

from booking_app.pages.staff_ui import staff_shell
from booking_app.pages.ui import FOCUS_CSS
from booking_app.state.settings import SettingsState as S

FIELDS = (("name", "Calendar name"), ("business_name", "Business name"), ("timezone", "Timezone (IANA)"),
          ("owner_email", "Owner email"), ("support_email", "Support email"), ("language", "Language (en, de)"),
          ("slot_interval_minutes", "Slot interval (min)"), ("buffer_before_minutes", "Buffer before (min)"),
          ("buffer_after_minutes", "Buffer after (min)"), ("min_notice_minutes", "Minimum notice (min)"),
          ("max_advance_days", "Book up to (days ahead)"), ("hold_minutes", "Reschedule hold (min)"),
          ("no_show_grace_minutes", "No-show grace (min)"), ("policy_hours", "Free cancellation until (hours before)"),
          ("policy_fee", "Late-cancel fee"), ("policy_refund", "Refund on cancel (%)"))
DOCUMENTS = (("weekly_hours", "Weekly hours (JSON: {\"mon\": [[\"09:00\", \"17:00\"]], …})"),
             ("date_overrides", "Date overrides (JSON: {\"2026-12-24\": []} closes a day)"),
             ("reminders", "Reminders (JSON: minutes before, per channel)"))


def text_field(name: str, label: str, value, **props) -> rx.Component:
    return rx.vstack(rx.el.label(rx.text(label, size="2", weight="medium"), html_for=f"s-{name}"),
                     rx.input(id=f"s-{name}", name=name, default_value=value, **props), spacing="1", width="100%")


def calendar_form() -> rx.Component:
    return rx.card(rx.el.form(
        rx.vstack(
            rx.heading("Calendar", size="4", as_="h2"),
            rx.grid(*[text_field(name, label, S.form[name]) for name, label in FIELDS],
                    rx.vstack(rx.el.label(rx.text("After the free period", size="2", weight="medium"),
                                          html_for="s-policy_mode"),
                              rx.el.select(rx.el.option("Block cancelling (offer reschedule)", value="block"),
                                           rx.el.option("Charge the late-cancel fee", value="fee"),
                                           id="s-policy_mode", name="policy_mode", default_value=S.form["policy_mode"]),
                              spacing="1"),
                    columns=rx.breakpoints(initial="1", sm="2", lg="3"), spacing="3", width="100%"),
            *[rx.vstack(rx.el.label(rx.text(label, size="2", weight="medium"), html_for=f"s-{name}"),
                        rx.text_area(id=f"s-{name}", name=name, default_value=S.form[name], rows="4", width="100%",
                                     font_family="monospace"), spacing="1", width="100%") for name, label in DOCUMENTS],
            rx.button("Save calendar", type="submit", style=FOCUS_CSS),
            width="100%"),
        on_submit=S.save, key=S.form["id"], aria_label="Calendar settings"), width="100%")


def types_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("Appointment types", size="4", as_="h2"),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(t) for t in
                                           ("Name", "Slug", "Minutes", "Price", "Active")])),
            rx.table.body(rx.foreach(S.types, lambda t: rx.table.row(
                rx.table.cell(t["name"]), rx.table.cell(t["slug"]), rx.table.cell(t["duration"]),
                rx.table.cell(t["price"]), rx.table.cell(t["active"]))))),
        rx.el.form(rx.flex(
            text_field("name", "New type name", ""), text_field("slug", "Slug", ""),
            text_field("duration", "Minutes", "30"), text_field("price", "Price", "0"),
            text_field("currency", "Currency", "USD"),
            rx.button("Add type", type="submit", style=FOCUS_CSS), gap="2", align="end", wrap="wrap"),
            on_submit=S.add_type, reset_on_submit=True, aria_label="Add an appointment type"),
        width="100%"), width="100%")


def keys_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("API keys", size="4", as_="h2"),
        rx.cond(S.new_key, rx.callout(rx.text("Copy this key now; it is not shown again: ",
                                              rx.code(S.new_key, custom_attrs={"data-new-key": "1"})),
                                      icon="key-round", color_scheme="amber", role="status")),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(t) for t in
                                           ("Name", "Role", "Starts with", "State", "")])),
            rx.table.body(rx.foreach(S.keys, lambda k: rx.table.row(
                rx.table.cell(k["name"]), rx.table.cell(k["role"]), rx.table.cell(k["prefix"]),
                rx.table.cell(k["state"]),
                rx.table.cell(rx.cond(k["state"] == "active", rx.button(
                    "Revoke", on_click=S.revoke(k["id"]), size="1", color_scheme="red", variant="outline",
                    aria_label="Revoke key " + k["name"], style=FOCUS_CSS))))))),
        rx.el.form(rx.flex(
            text_field("key_name", "New key name", ""),
            rx.vstack(rx.el.label(rx.text("Role", size="2", weight="medium"), html_for="s-key_role"),
                      rx.el.select(rx.el.option("Staff", value="staff"), rx.el.option("Admin", value="admin"),
                                   id="s-key_role", name="key_role"), spacing="1"),
            rx.button("Create key", type="submit", style=FOCUS_CSS), gap="2", align="end", wrap="wrap"),
            on_submit=S.create_key, reset_on_submit=True, aria_label="Create an API key"),
        width="100%"), width="100%")


def settings_page() -> rx.Component:
    return staff_shell(
        rx.flex(rx.heading("Settings", size="6", as_="h1"),
                rx.el.label(rx.text("Calendar", size="2", weight="medium"), html_for="s-calendar"),
                rx.el.select(rx.foreach(S.calendars, lambda c: rx.el.option(c["business_name"] + " · " + c["name"],
                                                                             value=c["id"])),
                             id="s-calendar", value=S.form["id"], on_change=S.choose),
                gap="3", align="center", wrap="wrap"),
        rx.cond(S.error, rx.callout(S.error, icon="triangle-alert", color_scheme="red", role="alert")),
        calendar_form(), types_card(), keys_card(),
        state=S,
    )
