"""The staff pages' frame: navigation, who is signed in, sign-out; shared status badge."""
from __future__ import annotations

import reflex as rx

from booking_app.components.layout import FOCUS_CSS, PAGE_CSS, color_mode_button, skip_link
from booking_app.services.access.staff_paths import STAFF_NAV
from booking_app.state.staff import StaffState

STATUS_COLORS = {"confirmed": "blue", "pending": "amber", "checked_in": "grass", "completed": "gray",
                 "no_show": "red", "cancelled": "gray", "late_cancel": "gray"}
STAFF_CSS = (".sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}"
             "@keyframes flash{from{box-shadow:0 0 0 4px var(--accent-8)}to{box-shadow:none}}"
             ".flash{animation:flash 1.5s ease-out}")


def status_badge(status, word) -> rx.Component:
    """Colour and a word, never colour alone; cancelled ones struck through."""
    return rx.badge(word, color_scheme=rx.match(status, *STATUS_COLORS.items(), "gray"), size="2", high_contrast=True,
                    text_decoration=rx.cond(status.contains("cancel"), "line-through", "none"))


def staff_shell(*children: rx.Component, state=StaffState) -> rx.Component:
    return rx.box(
        skip_link(),
        rx.el.header(
            rx.hstack(
                rx.text("Slotwise", weight="bold", color=rx.color("accent", 11)),
                rx.el.nav(rx.hstack(*[rx.link(label, href=href, style=FOCUS_CSS) for label, href in STAFF_NAV],
                                    spacing="4"), aria_label="Staff pages"),
                rx.spacer(),
                rx.text(state.user_name, size="2", color=rx.color("gray", 11)),
                color_mode_button(),
                rx.button("Sign out", on_click=StaffState.sign_out, variant="soft", size="1", style=FOCUS_CSS),
                align="center", width="100%", padding_x="1rem", padding_y="0.6rem", wrap="wrap"),
            border_bottom=f"1px solid {rx.color('gray', 5)}",
        ),
        rx.el.main(
            rx.cond(state.user_name,
                    rx.vstack(*children, spacing="4", width="100%"),
                    rx.skeleton(rx.box(height="60vh"), width="100%", aria_busy="true")),
            id="main", tab_index=-1, padding="1rem",
        ),
        rx.el.style(PAGE_CSS + STAFF_CSS),
        min_height="100vh", background=rx.color("gray", 2),
    )
