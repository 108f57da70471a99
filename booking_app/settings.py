"""One settings class; every environment variable the product reads is a field here.

`.env.example` documents the same variables for operators.
"""
from __future__ import annotations

import os
import secrets
import sys
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

OLD_DEFAULT_SECRET_KEY = "dev-insecure-secret-change-me"  # once the published default: never accepted
MIN_SECRET_KEY_BYTES = 32
MAKE_SECRET_KEY = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
EMBEDDED_KEY_FILE = ".secret_key"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # Storage and queue. Empty means the embedded mode: SQLite file, in-process jobs and events.
    database_url: str = Field("", description="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db; "
                                              "empty = embedded SQLite")
    sqlite_path: Path = Field(PROJECT_ROOT / "slotwise.db", description="SQLite file used when DATABASE_URL is empty")
    redis_url: str = Field("", description="redis://host:6379/0; empty = jobs and live events run in-process")
    rq_queue: str = Field("slotwise", description="RQ queue name")

    # Public addresses used in emails and links.
    public_base_url: str = Field("http://localhost:3000", description="Base URL customers reach the app at")
    secret_key: SecretStr = Field(SecretStr(""), description=(
        f"Signs manage, reschedule and check-in links. Required with DATABASE_URL: at least {MIN_SECRET_KEY_BYTES} "
        f"random bytes, e.g. from {MAKE_SECRET_KEY}. Empty in embedded mode = a random key kept in "
        f"{EMBEDDED_KEY_FILE} next to the SQLite file"))

    # Mail (aiosmtplib). Empty SMTP_HOST in embedded mode = local mail catcher.
    smtp_host: str = Field("", description="SMTP server host")
    smtp_port: int = Field(25, description="SMTP server port")
    smtp_username: str = Field("", description="SMTP user (optional)")
    smtp_password: SecretStr = Field(SecretStr(""), description="SMTP password (optional)")
    smtp_starttls: bool = Field(False, description="Use STARTTLS")
    smtp_timeout_seconds: float = Field(10.0, description="Timeout per SMTP conversation")
    mail_catcher_dir: Path = Field(PROJECT_ROOT / "mail-catcher",
                                   description="Where the embedded mode keeps mail when SMTP_HOST is empty")
    mail_from: str = Field("Slotwise <no-reply@slotwise.local>", description="From header of outgoing mail")

    # SMS (twilio) and web push.
    twilio_account_sid: str = Field("", description="Twilio account SID; empty disables SMS")
    twilio_auth_token: SecretStr = Field(SecretStr(""), description="Twilio auth token")
    twilio_from_number: str = Field("", description="Sender number for SMS")
    twilio_base_url: str = Field("", description="Override Twilio's API base URL (tests point it at a local server)")
    vapid_private_key: SecretStr = Field(SecretStr(""), description="VAPID private key (base64url) for web push; "
                                                                    "empty disables push")
    vapid_public_key: str = Field("", description="VAPID public key shown to browsers")
    vapid_subject: str = Field("mailto:ops@slotwise.local", description="VAPID subject")
    outbound_allow_private: bool = Field(False, description="Also allow http and private, loopback and link-local "
                                                            "hosts for user-given URLs such as push endpoints "
                                                            "(development and tests only)")

    # Retries and periodic work.
    notification_retry_delays: str = Field("10,30,90", description="Seconds between notification retries (3 retries)")
    unpaid_expiry_minutes: int = Field(30, description="Minutes a pending (unpaid) booking holds its slot")
    embedded_tick_seconds: float = Field(30.0, description="Period of the in-process sweep in embedded mode")

    # Serving.
    request_threads: int = Field(8, ge=1, description="API requests served at once per web worker process "
                                                       "(more wait in its event loop; anyio's default is 40)")

    # Public rate limits.
    rate_limit_enabled: bool = Field(True, description="Turn all rate limits on/off: public API, bookings and staff "
                                                       "sign-in (off for load benchmarks)")
    rate_limit_per_minute: int = Field(120, description="Public requests per client IP per minute")

    # Limits shared by the API and the pages (booking_app/services/access/limits.py); Redis-backed when REDIS_URL
    # is set.
    trusted_proxies: str = Field("", description="Comma-separated IPs/CIDRs of your reverse proxies; X-Forwarded-For "
                                                 "is believed only from these (empty = use the socket peer)")
    rate_limit_booking_per_ip: int = Field(20, ge=0, description="Bookings per client IP per booking window, API and "
                                                                 "booking page together (0 = no limit)")
    rate_limit_booking_per_email: int = Field(10, ge=0, description="Bookings per customer email per booking window "
                                                                    "(0 = no limit)")
    rate_limit_booking_window_seconds: int = Field(3600, ge=1, description="Booking window in seconds (sliding)")
    rate_limit_login_per_ip: int = Field(20, ge=0, description="Failed staff sign-ins per client IP per login window; "
                                                               "then that IP is refused (0 = no limit)")
    rate_limit_login_window_seconds: int = Field(900, ge=1, description="Login window in seconds (sliding); failures "
                                                                        "are forgotten this long after the last")
    rate_limit_login_free_failures: int = Field(5, ge=0, description="Failed sign-ins to one account from one IP "
                                                                     "before each next attempt has to wait")
    rate_limit_login_backoff_seconds: float = Field(1.0, ge=0, description="First wait after the free failures; it "
                                                                           "doubles per failure (0 = no backoff)")
    rate_limit_login_backoff_max_seconds: int = Field(300, ge=0, description="Longest wait per account and IP")
    rate_limit_login_account_free_failures: int = Field(50, ge=0, description="Failed sign-ins to one account from all "
                                                                              "IPs together before attempts are slowed")
    rate_limit_login_account_max_seconds: int = Field(30, ge=0, description="Longest wait per account from all IPs "
                                                                            "(slows, never locks out the owner)")

    @model_validator(mode="after")
    def _trusted_proxies_are_addresses(self) -> Settings:
        import ipaddress

        for part in filter(None, (p.strip() for p in self.trusted_proxies.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"TRUSTED_PROXIES: {part!r} is not an IP address or network") from None
        return self

    @model_validator(mode="after")
    def _embedded_secret_key(self) -> Settings:
        """Embedded mode without a key of its own uses (and on first start creates) the data directory's key."""
        if self.embedded and self.secret_key.get_secret_value() in ("", OLD_DEFAULT_SECRET_KEY):
            self.secret_key = SecretStr(_embedded_key(Path(self.sqlite_path).parent / EMBEDDED_KEY_FILE))
        return self

    def secret_key_problem(self) -> str | None:
        """Why this SECRET_KEY must not be used, or None. Only a database server requires one (embedded mode
        keeps its own random key), so only then is a missing, default or short key refused."""
        if self.embedded:
            return None
        key = self.secret_key.get_secret_value()
        if not key:
            return "SECRET_KEY is not set"
        if key == OLD_DEFAULT_SECRET_KEY:
            return "SECRET_KEY is the old published default"
        if len(key.encode()) < MIN_SECRET_KEY_BYTES:
            return f"SECRET_KEY is too short ({len(key.encode())} bytes, at least {MIN_SECRET_KEY_BYTES} needed)"
        return None

    def require_secrets(self) -> None:
        """For entry points (web app and API, worker, scheduler, CLI commands that sign links): refuse to start
        with an unusable SECRET_KEY, in one line on stderr and exit status 2 rather than a traceback."""
        problem = self.secret_key_problem()
        if problem:
            print(f"slotwise: refusing to start: {problem} (DATABASE_URL is set). Make a key with "
                  f"{MAKE_SECRET_KEY} and set SECRET_KEY to it.", file=sys.stderr, flush=True)
            raise SystemExit(2)

    @property
    def embedded(self) -> bool:
        return not self.database_url

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.sqlite_path}"

    @property
    def allowed_origins(self) -> list[str]:
        """CORS and websocket origins: only the public site's. Embedded (local demo) mode also takes
        the same port on the other loopback name, so localhost and 127.0.0.1 both work."""
        parts = urlsplit(self.public_base_url)
        origins = [f"{parts.scheme}://{parts.netloc}"]
        if self.embedded and parts.hostname in ("localhost", "127.0.0.1"):
            other = "127.0.0.1" if parts.hostname == "localhost" else "localhost"
            origins.append(f"{parts.scheme}://{other}" + (f":{parts.port}" if parts.port else ""))
        return origins

    @property
    def is_postgres(self) -> bool:
        return self.effective_database_url.startswith("postgresql")

    @property
    def retry_delays(self) -> list[int]:
        return [int(x) for x in self.notification_retry_delays.split(",") if x.strip()]


def _embedded_key(path: Path) -> str:
    """The key in `path`, created with a random value (mode 0600) if there is none yet. Processes starting
    together agree on one key: each writes a private temporary file and only the first hard link wins."""
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_urlsafe(48) + "\n")
                file.flush()
                os.fsync(file.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass  # another process was first: use its key
        finally:
            temporary.unlink(missing_ok=True)
        key = path.read_text().strip()
    if len(key.encode()) < MIN_SECRET_KEY_BYTES:
        raise RuntimeError(f"{path} holds no usable key; delete it to have a new one made "
                           "(outstanding manage links then stop working)")
    return key


@lru_cache
def get_settings() -> Settings:
    return Settings()
