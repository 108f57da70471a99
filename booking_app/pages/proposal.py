"""/manage/[token]/proposal/[proposal]: the business asked to move the appointment."""
from __future__ import annotations

import reflex as rx

from booking_app.components.layout import FOCUS_CSS, card, not_found, notice, shell
from booking_app.state.proposal import ProposalState as P


def proposal_card() -> rx.Component:
    return card(
        rx.heading(P.p.business, " suggests a new time", size="6", as_="h1"),
        rx.text(P.p.type_name),
        rx.data_list.root(
            rx.data_list.item(rx.data_list.label("Now"), rx.data_list.value(P.p.current)),
            rx.data_list.item(rx.data_list.label("Suggested"), rx.data_list.value(rx.text(P.p.proposed,
                                                                                           weight="bold"))),
            orientation=rx.breakpoints(initial="vertical", sm="horizontal"),
        ),
        notice(P.outcome, color="grass", icon="circle-check"),
        notice(P.error, color="red", icon="triangle-alert"),
        rx.cond(
            P.p.open,
            rx.vstack(
                rx.cond(P.p.expires, rx.text("Please answer by ", P.p.expires, ".", size="2",
                                                color=rx.color("gray", 11))),
                rx.hstack(
                    rx.button(rx.icon("check", aria_hidden="true"), "Accept the new time", on_click=P.answer(True),
                              loading=P.busy, size="3", variant=rx.cond(P.suggested == "decline", "soft", "solid"),
                              style=FOCUS_CSS),
                    rx.button(rx.icon("x", aria_hidden="true"), "Keep my current time", on_click=P.answer(False),
                              loading=P.busy, size="3", color_scheme="gray",
                              variant=rx.cond(P.suggested == "decline", "solid", "soft"), style=FOCUS_CSS),
                    wrap="wrap"),
                width="100%"),
            rx.cond(~P.outcome.to(bool), rx.text("This suggestion was already answered or has expired."))),
        rx.link("See your booking", href=P.manage_path),
    )


def proposal_page() -> rx.Component:
    return shell(
        rx.cond(P.loading, rx.skeleton(rx.box(height="16rem"), width="100%", aria_busy="true"),
                rx.cond(P.missing, not_found("We couldn't find this suggestion", P.missing), proposal_card())),
        wide=False,
    )
