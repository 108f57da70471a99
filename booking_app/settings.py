"""One settings class; every environment variable the product reads is a field here.

`.env.example` documents the same variables for operators.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Storage and queue. Empty means the embedded mode: SQLite file, in-process jobs and events.
    database_url: str = Field("", description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db; empty = embedded SQLite")
    sqlite_path: Path = Field(PROJECT_ROOT / "slotwise.db", description="SQLite file used when DATABASE_URL is empty")
    redis_url: str = Field("", description="redis://host:6379/0; empty = jobs and live events run in-process")
    rq_queue: str = Field("slotwise", description="RQ queue name")

    # Public addresses used in emails and links.
    public_base_url: str = Field("http://localhost:3000", description="Base URL customers reach the app at")
    secret_key: str = Field("dev-insecure-secret-change-me", description="Signs reschedule and check-in tokens")

    # Mail (aiosmtplib). Empty SMTP_HOST in embedded mode = local mail catcher.
    smtp_host: str = Field("", description="SMTP server host")
    smtp_port: int = Field(25, description="SMTP server port")
    smtp_username: str = Field("", description="SMTP user (optional)")
    smtp_password: str = Field("", description="SMTP password (optional)")
    smtp_starttls: bool = Field(False, description="Use STARTTLS")
    smtp_timeout_seconds: float = Field(10.0, description="Timeout per SMTP conversation")
    mail_catcher_dir: Path = Field(PROJECT_ROOT / "mail-catcher", description="Where the embedded mode keeps mail when SMTP_HOST is empty")
    mail_from: str = Field("Slotwise <no-reply@slotwise.local>", description="From header of outgoing mail")

    # SMS (twilio) and web push.
    twilio_account_sid: str = Field("", description="Twilio account SID; empty disables SMS")
    twilio_auth_token: str = Field("", description="Twilio auth token")
    twilio_from_number: str = Field("", description="Sender number for SMS")
    twilio_base_url: str = Field("", description="Override Twilio's API base URL (tests point it at a local server)")
    vapid_private_key: str = Field("", description="VAPID private key (base64url) for web push; empty disables push")
    vapid_public_key: str = Field("", description="VAPID public key shown to browsers")
    vapid_subject: str = Field("mailto:ops@slotwise.local", description="VAPID subject")

    # Retries and periodic work.
    notification_retry_delays: str = Field("10,30,90", description="Seconds between notification retries (3 retries)")
    unpaid_expiry_minutes: int = Field(30, description="Minutes a pending (unpaid) booking holds its slot")
    embedded_tick_seconds: float = Field(30.0, description="Period of the in-process sweep in embedded mode")

    # Serving.
    request_threads: int = Field(8, ge=1, description="API requests served at once per web worker process "
                                                       "(more wait in its event loop; anyio's default is 40)")

    # Public rate limits.
    rate_limit_enabled: bool = Field(True, description="Turn public rate limits on/off (off for load benchmarks)")
    rate_limit_per_minute: int = Field(120, description="Public requests per client IP per minute")

    @property
    def embedded(self) -> bool:
        return not self.database_url

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def is_postgres(self) -> bool:
        return self.effective_database_url.startswith("postgresql")

    @property
    def retry_delays(self) -> list[int]:
        return [int(x) for x in self.notification_retry_delays.split(",") if x.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
