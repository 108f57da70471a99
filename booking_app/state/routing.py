"""URL pieces for page states (Reflex's page params accessor is deprecated; the URL is not)."""
from __future__ import annotations

from urllib.parse import unquote


def path_segment(state, index: int) -> str:
    """`path_segment(state, 1)` on /book/harbor-physio is 'harbor-physio'."""
    parts = [unquote(p) for p in state.router.url.path.split("/") if p]
    return parts[index] if len(parts) > index else ""


def query_param(state, name: str) -> str:
    return state.router.url.query_parameters.get(name, "")
