"""State of the owner-proposal page: show both times, then accept or decline with one click.

The email's links only open this page; the answer needs a click here, so a mail scanner that
follows links cannot accept or decline on the customer's behalf."""
from __future__ import annotations

from dataclasses import replace

import reflex as rx

from booking_app.errors import ServiceError
from booking_app.state.routing import path_segment, query_param
from booking_app.viewmodels import manage_view
from booking_app.viewmodels.manage_view import ProposalView


class ProposalState(rx.State):
    loading: bool = True
    missing: str = ""
    p: ProposalView | None = None
    suggested: str = ""
    busy: bool = False
    outcome: str = ""
    error: str = ""

    @rx.event
    def load(self):
        self.loading, self.outcome, self.error, self.missing = True, "", "", ""
        try:
            self.p = manage_view.proposal_view(path_segment(self, 1), path_segment(self, 3))
        except ServiceError as exc:
            self.missing = exc.message
        self.suggested = query_param(self, "answer")
        self.loading = False

    @rx.event
    def answer(self, accept: bool):
        if self.busy:
            return
        self.busy = True
        yield
        try:
            result = manage_view.answer_proposal(path_segment(self, 3), query_param(self, "answer_token"), accept)
            self.outcome = (f"Done: your appointment is now {result.when}." if accept
                            else "Declined: you keep your original time.")
            if self.p is not None:
                self.p = replace(self.p, open=False)
        except ServiceError as exc:
            self.error = exc.message
        finally:
            self.busy = False

    @rx.var
    def manage_path(self) -> str:
        return f"/manage/{path_segment(self, 1)}"
