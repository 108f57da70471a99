"""Landing page: what Slotwise is and where to book."""
import reflex as rx


def index() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("Slotwise", size="8"),
            rx.text("Appointment booking for small businesses."),
            rx.hstack(
                rx.link(rx.button("Book Harbor Physiotherapy"), href="/book/harbor-physio"),
                rx.link(rx.button("Book Salon Lindenhof", variant="soft"), href="/book/lindenhof"),
                spacing="3", wrap="wrap",
            ),
            rx.link("API documentation", href="/api/v1/docs"),
            spacing="4", align="center",
        ),
        min_height="100vh", padding="2em",
    )
