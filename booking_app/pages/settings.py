"""/settings (admins): calendar settings, appointment types, API keys."""
from __future__ import annotations

import reflex as rx

from booking_app.components.layout import FOCUS_CSS
from booking_app.components.staff_frame import staff_shell
from booking_app.state.settings import CHANNELS, DAY_NAMES
from booking_app.state.settings import SettingsState as S

FIELDS = (("name", "Calendar name"), ("business_name", "Business name"), ("timezone", "Timezone (IANA)"),
          ("owner_email", "Owner email"), ("support_email", "Support email"), ("language", "Language (en, de)"),
          ("slot_interval_minutes", "Slot interval (min)"), ("buffer_before_minutes", "Buffer before (min)"),
          ("buffer_after_minutes", "Buffer after (min)"), ("min_notice_minutes", "Minimum notice (min)"),
          ("max_advance_days", "Book up to (days ahead)"), ("hold_minutes", "Reschedule hold (min)"),
          ("no_show_grace_minutes", "No-show grace (min)"), ("policy_hours", "Free cancellation until (hours before)"),
          ("policy_fee", "Late-cancel fee"), ("policy_refund", "Refund on cancel (%)"))


def text_field(name: str, label: str, value, width: str = "100%", **props) -> rx.Component:
    return rx.vstack(rx.el.label(rx.text(label, size="2", weight="medium"), html_for=f"s-{name}"),
                     rx.input(id=f"s-{name}", name=name, default_value=value, width="100%", **props),
                     spacing="1", width=width)


def group(legend: str, hint: str, fields: list[rx.Component]) -> rx.Component:
    """Related inputs under one legend (screen readers announce it with each field)."""
    return rx.el.fieldset(
        rx.el.legend(rx.text(legend, size="3", weight="bold")),
        rx.text(hint, size="1", color_scheme="gray"),
        rx.grid(*fields, columns=rx.breakpoints(initial="1", sm="2", lg="4"), spacing="3", width="100%"),
        style={"border": "none", "padding": "0", "margin": "0", "width": "100%", "display": "grid", "gap": "6px"})


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
            group("Opening hours", "Times like 09:00-12:30, 13:30-17:00; leave a day empty when closed.",
                  [text_field(f"hours_{day}", name, S.form[f"hours_{day}"], placeholder="closed")
                   for day, name in DAY_NAMES.items()]),
            rx.vstack(rx.el.label(rx.text("Date exceptions", size="2", weight="medium"), html_for="s-date_overrides"),
                      rx.text("One per line: 2026-12-24 closed, or 2026-12-31 09:00-13:00.", size="1",
                              color_scheme="gray", id="s-date_overrides-help"),
                      rx.text_area(id="s-date_overrides", name="date_overrides", default_value=S.form["date_overrides"],
                                   rows="3", width="100%", aria_describedby="s-date_overrides-help"),
                      spacing="1", width="100%"),
            group("Reminders", "Minutes before the appointment, like 1440, 60 (1440 is a day); empty for none.",
                  [text_field(f"reminders_{channel}", name, S.form[f"reminders_{channel}"], placeholder="none")
                   for channel, name in CHANNELS.items()]),
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
                rx.table.cell(t.name), rx.table.cell(t.slug), rx.table.cell(t.duration),
                rx.table.cell(t.price), rx.table.cell(rx.cond(t.active, "yes", "no")))))),
        rx.el.form(rx.flex(
            text_field("name", "New type name", "", width="14em"), text_field("slug", "Slug", "", width="10em"),
            text_field("duration", "Minutes", "30", width="6em"), text_field("price", "Price", "0", width="7em"),
            text_field("currency", "Currency", "USD", width="6em"),
            rx.button("Add type", type="submit", style=FOCUS_CSS), gap="2", align="end", wrap="wrap"),
            on_submit=S.add_type, reset_on_submit=True, aria_label="Add an appointment type"),
        width="100%"), width="100%")


def keys_card() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading("API keys", size="4", as_="h2"),
        rx.cond(S.key_shown, rx.callout(rx.vstack(
            rx.el.label(rx.text("Copy this key now; it is not shown again:"), html_for="new-key"),
            # Filled by the create event itself (rx.set_value): the key is never a state var.
            rx.hstack(
                rx.el.input(id="new-key", read_only=True, default_value="", custom_attrs={"data-new-key": "1"},
                            style={"fontFamily": "monospace", "width": "46ch", "maxWidth": "100%",
                                   "padding": "4px 6px", "background": "var(--color-surface)",
                                   "border": "1px solid var(--gray-7)", "borderRadius": "var(--radius-2)"}),
                # Copied in the browser: the key never travels back to the server.
                rx.button("Copy", size="1", variant="soft", style=FOCUS_CSS, on_click=rx.call_script(
                    "navigator.clipboard.writeText(document.getElementById('new-key').value)")),
                align="center", wrap="wrap", width="100%"),
            spacing="1", width="100%"), icon="key-round", color_scheme="amber", role="status", width="100%")),
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(t) for t in
                                           ("Name", "Role", "Starts with", "State", "")])),
            rx.table.body(rx.foreach(S.keys, lambda k: rx.table.row(
                rx.table.cell(k.name), rx.table.cell(k.role), rx.table.cell(k.prefix),
                rx.table.cell(rx.cond(k.active, "active", "revoked")),
                rx.table.cell(rx.cond(k.active, rx.button(
                    "Revoke", on_click=S.revoke(k.id), size="1", color_scheme="red", variant="outline",
                    aria_label="Revoke key " + k.name, style=FOCUS_CSS))))))),
        rx.el.form(rx.flex(
            text_field("key_name", "New key name", "", width="16em"),
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
                rx.el.select(rx.foreach(S.calendars, lambda c: rx.el.option(c.label, value=c.id)),
                             id="s-calendar", value=S.form["id"], on_change=S.choose),
                gap="3", align="center", wrap="wrap"),
        rx.cond(S.error, rx.callout(S.error, icon="triangle-alert", color_scheme="red", role="alert")),
        calendar_form(), types_card(), keys_card(),
        state=S,
    )
