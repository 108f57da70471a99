"""The /api/v1 FastAPI application, mounted into the Reflex backend via api_transformer."""
from __future__ import annotations

from fastapi import FastAPI


def create_api_app() -> FastAPI:
    api = FastAPI(
        title="Slotwise API",
        version="1.0.0",
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/v1/docs",
        redoc_url=None,
    )

    @api.get("/api/v1/health")
    def health() -> dict:
        return {"status": "ok", "database": "ok", "queue": "embedded"}

    return api
