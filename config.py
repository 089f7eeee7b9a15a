"""Configuration classes.  Pick one with FOLKMOOT_CONFIG=development|testing|production (default development)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent


class Config:
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    # The key of the ballot tokens (app/core/secrecy.py); SECRET_KEY when unset.  `flask ballots rekey` changes it.
    BALLOT_SECRET: str | None = os.environ.get("BALLOT_SECRET")
    SQLALCHEMY_DATABASE_URI: str | None = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, object] = {"pool_pre_ping": True}
    # Largest request body accepted; anything bigger gets a translated 413 page.
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 2 * 1024 * 1024
    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600

    LANGUAGES = ["en", "pl"]
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Europe/London"
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    CURRENCY = "GBP"

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)

    # Rate limits (Flask-Limiter).  In memory unless REDIS_URL is set.
    REDIS_URL = os.environ.get("REDIS_URL")
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    # Background jobs (app/core/jobs.py): RQ on Redis when set (run `flask worker`), else in-process after the response.
    JOBS_REDIS_URL = REDIS_URL
    JOBS_INLINE = False
    RATELIMIT_HEADERS_ENABLED = True
    # When Redis cannot be reached, each worker counts the limits in its own memory (so a client may get up to
    # the limit once per worker) instead of failing the request, and goes back to Redis by itself: Flask-Limiter
    # retries it on rate-limited requests after 1, 2, 4 … 32 seconds.  Short socket timeouts so that a Redis
    # that hangs costs a request half a second, not a worker.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # A request whose limit check was already under way against Redis when another thread found Redis gone
    # goes through unlimited (and is logged), rather than failing with a 500.
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_STORAGE_OPTIONS: dict[str, object] = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
    # Each form is limited twice: per connection, at levels a room of people behind one library or community
    # centre connection can live with, and per e-mail address, tightly (guessing at one account).  Officers'
    # assisted registration has no limit.
    RATELIMIT_LOGIN = "60 per minute;600 per hour"
    RATELIMIT_LOGIN_EMAIL = "10 per minute;50 per hour"
    RATELIMIT_REGISTER = "30 per minute;300 per hour"
    RATELIMIT_REGISTER_EMAIL = "3 per minute;10 per hour"
    RATELIMIT_RESET = "30 per minute;300 per hour"
    RATELIMIT_RESET_EMAIL = "3 per minute;10 per hour"
    RATELIMIT_PANEL_RESPONSE = "10 per minute;60 per hour"  # the public citizens' panel response forms
    RATELIMIT_API = "300 per minute;10000 per hour"  # the open-data API (/api/v1/), per address, all endpoints together
    # A citizens' panel response form sent back sooner than this after it was served is refused as automated.
    PANEL_FORM_MIN_SECONDS = 3

    # Mail: with MAIL_SERVER set, messages go by SMTP; otherwise they are written to the log.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "1") == "1"
    MAIL_FROM = os.environ.get("MAIL_FROM", "Folkmoot <no-reply@folkmoot.invalid>")

    PASSWORD_RESET_MAX_AGE = timedelta(hours=1)
    # argon2id parameters (argon2-cffi defaults follow RFC 9106's second recommendation).
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    SITE_NAME = "Folkmoot"

    @classmethod
    def from_environment(cls) -> dict[str, object]:
        """Settings read when the app is created (not at import), so the environment of the process counts."""
        return {}


def database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the usual way (postgres:// or postgresql://)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class DevelopmentConfig(Config):
    DEBUG = False
    SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{BASE_DIR / 'instance' / 'folkmoot.sqlite'}"

    @classmethod
    def from_environment(cls) -> dict[str, object]:
        out: dict[str, object] = {}
        if os.environ.get("DATABASE_URL"):
            out["SQLALCHEMY_DATABASE_URI"] = database_url(os.environ["DATABASE_URL"])
        if os.environ.get("REDIS_URL"):
            out["REDIS_URL"] = out["RATELIMIT_STORAGE_URI"] = out["JOBS_REDIS_URL"] = os.environ["REDIS_URL"]
        return out


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-not-secret"
    # TEST_DATABASE_URL, never DATABASE_URL, so that running the tests can never touch a real database.
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("TEST_DATABASE_URL") or "sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    JOBS_REDIS_URL = None  # tests run jobs at once (JOBS_INLINE); tests/integration/test_jobs.py tries both real paths
    JOBS_INLINE = True
    PANEL_FORM_MIN_SECONDS = 0  # tests send forms at once; tests/integration/test_panels_registration.py checks the wait
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    SERVER_NAME = "localhost"


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"

    @classmethod
    def from_environment(cls) -> dict[str, object]:
        missing = [name for name in ("SECRET_KEY", "DATABASE_URL") if not os.environ.get(name)]
        if missing:
            raise RuntimeError(
                "Production configuration refuses to start: set " + " and ".join(missing) + " in the environment."
            )
        redis_url = os.environ.get("REDIS_URL")
        return {
            "SECRET_KEY": os.environ["SECRET_KEY"],
            "BALLOT_SECRET": os.environ.get("BALLOT_SECRET"),
            "SQLALCHEMY_DATABASE_URI": database_url(os.environ["DATABASE_URL"]),
            "REDIS_URL": redis_url,
            "RATELIMIT_STORAGE_URI": redis_url or "memory://",
            "JOBS_REDIS_URL": redis_url,
        }


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
