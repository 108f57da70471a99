"""/login: staff sign-in."""
from __future__ import annotations

import reflex as rx

from booking_app.components.layout import FOCUS_CSS, card, notice, shell
from booking_app.state.login import LoginState as L


def login_page() -> rx.Component:
    return shell(
        card(
            rx.heading("Staff sign-in", size="6", as_="h1"),
            notice(L.error, color="red", icon="triangle-alert"),
            rx.el.form(
                rx.vstack(
                    rx.el.label(rx.text("Email", size="2", weight="medium"), html_for="login-email"),
                    rx.input(id="login-email", name="email", type="email", auto_complete="username", value=L.email,
                             on_change=L.set_email, size="3", width="100%"),
                    rx.el.label(rx.text("Password", size="2", weight="medium"), html_for="login-password"),
                    # Uncontrolled: the password reaches the server once, with the form, never as state.
                    rx.input(id="login-password", name="password", type="password", auto_complete="current-password",
                             size="3", width="100%"),
                    rx.button("Sign in", type="submit", loading=L.busy, size="3", width="100%", style=FOCUS_CSS),
                    spacing="2", width="100%"),
                on_submit=L.submit, width="100%", aria_label="Staff sign-in",
            ),
        ),
        wide=False,
    )
