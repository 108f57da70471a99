"""Shared building blocks for every page: the shell, labelled fields, cards, notices."""
from __future__ import annotations

import reflex as rx

FOCUS_CSS = {"&:focus-visible": {"outline": "3px solid var(--accent-8)", "outline_offset": "2px"}}
# Shared by every page: the skip link, and native <select>s styled like the Radix inputs beside them.
PAGE_CSS = (".skip-link{position:absolute;left:-999px;top:0;padding:.5rem 1rem;z-index:10;"
            "background:var(--accent-9);color:white}.skip-link:focus{left:.5rem}"
            ".native-select{padding:.5rem;border-radius:var(--radius-2);border:1px solid var(--gray-7);"
            "background:var(--color-surface);color:var(--gray-12);font:inherit}"
            ".native-select:focus-visible{outline:3px solid var(--accent-8)}")


def skip_link() -> rx.Component:
    return rx.el.a("Skip to content", href="#main", class_name="skip-link")


def color_mode_button() -> rx.Component:
    return rx.icon_button(
        rx.color_mode_cond(rx.icon("moon", aria_hidden="true"), rx.icon("sun", aria_hidden="true")),
        on_click=rx.toggle_color_mode, variant="ghost", aria_label="Switch light or dark mode", style=FOCUS_CSS)


def shell(*children: rx.Component, wide: bool = True) -> rx.Component:
    """Skip link, header with the colour-mode switch, one <main> landmark."""
    return rx.box(
        skip_link(),
        rx.el.header(
            rx.hstack(
                rx.link(rx.hstack(rx.icon("calendar-check", aria_hidden="true"), rx.text("Slotwise", weight="bold"),
                                  align="center", spacing="2"),
                        href="/", underline="none", color=rx.color("accent", 11), style=FOCUS_CSS),
                rx.spacer(),
                color_mode_button(),
                align="center", width="100%", max_width="72rem", margin_x="auto", padding_x="1rem",
                padding_y="0.75rem"),
            border_bottom=f"1px solid {rx.color('gray', 5)}",
        ),
        rx.el.main(
            rx.box(*children, width="100%", max_width="72rem" if wide else "40rem", margin_x="auto",
                   padding="1rem"),
            id="main", tab_index=-1,
        ),
        rx.el.style(PAGE_CSS),
        min_height="100vh", background=rx.color("gray", 2),
    )


def card(*children: rx.Component, **props) -> rx.Component:
    return rx.card(rx.vstack(*children, spacing="3", width="100%"), width="100%", size="3", **props)


def field(label: str, name: str, value: rx.Var, on_change, on_blur, error: rx.Var, *, input_type: str = "text",
          autocomplete: str = "off", required: bool = False, hint: str = "", multiline: bool = False) -> rx.Component:
    """Label above, error in words below, wired to the input for screen readers."""
    field_id, error_id = f"field-{name}", f"error-{name}"
    common = dict(id=field_id, name=name, value=value, on_change=on_change, on_blur=on_blur, width="100%",
                  custom_attrs={"aria-invalid": rx.cond(error, "true", "false"),
                                "aria-describedby": error_id, "aria-required": "true" if required else "false"})
    control = (rx.text_area(rows="3", max_length=2000, **common) if multiline
               else rx.input(type=input_type, auto_complete=autocomplete, size="3", max_length=255, **common))
    return rx.vstack(
        rx.el.label(rx.text(label, "" if required else rx.text.span(" (optional)", color=rx.color("gray", 11)),
                            weight="medium", size="2"), html_for=field_id),
        rx.text(hint, size="1", color=rx.color("gray", 11)) if hint else rx.fragment(),
        control,
        rx.text(error, id=error_id, color=rx.color("red", 11), size="2", min_height="1.25em", role="alert"),
        spacing="1", width="100%",
    )


def notice(message: rx.Var, color: str = "amber", icon: str = "info") -> rx.Component:
    return rx.cond(message, rx.callout(message, icon=icon, color_scheme=color, role="status", width="100%"))


def not_found(title: str, message: str) -> rx.Component:
    return card(rx.heading(title, size="6", as_="h1"), rx.text(message),
                rx.link("Go to the start page", href="/"))
