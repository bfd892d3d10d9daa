"""Settings in their three modes, checked in fresh processes (settings are read once at start)."""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent
TIMEOUT = 120
# Django 6.1's RemovedInDjango2028Warning (e.g. "EMAIL_BACKEND is deprecated") is a
# PendingDeprecationWarning: start-up must raise none of either kind.
DEPRECATIONS_ARE_ERRORS = (
    "-W",
    "error::PendingDeprecationWarning",
    "-W",
    "error::DeprecationWarning",
)

# Every production secret, with values of the right shape; none of them is contacted by `check`.
PRODUCTION_ENV = {
    "FLATTR_ENV": "production",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "DATABASE_URL": "postgres://flattr:secret@db.internal:5432/flattr",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "ALLOWED_HOSTS": "flattr.example.org",
    "SITE_URL": "https://flattr.example.org",
    "STRIPE_SECRET_KEY": "sk_live_example",
    "STRIPE_WEBHOOK_SECRET": "whsec_example",
    "DEFAULT_FROM_EMAIL": "Flattr <noreply@flattr.example.org>",
    "EMAIL_URL": "smtp+tls://mailer:p%40ss@smtp.example.org:587",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run manage.py in a clean environment: only PATH, HOME and `env` (no .env file)."""
    clean = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root")}
    clean |= {"ENV_FILE": "/nonexistent/.env", "PYTHONDONTWRITEBYTECODE": "1"} | env
    return subprocess.run(
        [sys.executable, *DEPRECATIONS_ARE_ERRORS, "manage.py", *args],
        cwd=BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def development_env() -> dict[str, str]:
    """Development mode on the test run's database (so no embedded server is started)."""
    database = settings.DATABASES["default"]
    url = os.environ.get("DATABASE_URL") or (
        f"postgres://{database['USER']}@/{database['NAME']}"
        f"?host={database['HOST']}&port={database['PORT']}"
    )
    return {"FLATTR_ENV": "development", "DATABASE_URL": url}


def test_the_production_env_of_this_test_sets_every_required_secret():
    assert set(settings.REQUIRED_IN_PRODUCTION) <= set(PRODUCTION_ENV), (
        "a production secret was added to settings.REQUIRED_IN_PRODUCTION: add it here, "
        "to .env.example and to the README"
    )


def test_check_deploy_reports_nothing_with_production_settings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "Warning" not in result.stderr


def test_a_missing_production_secret_stops_start_up_naming_it():
    env = {
        k: v for k, v in PRODUCTION_ENV.items() if k not in {"STRIPE_WEBHOOK_SECRET", "EMAIL_URL"}
    }

    result = run_manage("check", env=env)

    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("django.core.exceptions.ImproperlyConfigured: Production start-up")
    assert "STRIPE_WEBHOOK_SECRET" in message
    assert "EMAIL_URL" in message
    assert "SECRET_KEY" not in message


def test_the_placeholders_of_env_example_are_refused_in_production():
    lines = (BASE_DIR / ".env.example").read_text().splitlines()
    copied = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    env = copied | {
        "FLATTR_ENV": "production",
        "DATABASE_URL": PRODUCTION_ENV["DATABASE_URL"],
        "REDIS_URL": PRODUCTION_ENV["REDIS_URL"],
    }

    result = run_manage("check", env=env)

    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert "SECRET_KEY, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET still hold the placeholder" in (
        message
    )


def test_production_is_the_default_mode_so_nothing_starts_unconfigured():
    result = run_manage("check", env={})

    assert result.returncode != 0
    assert "Production start-up refused: set SECRET_KEY, DATABASE_URL" in result.stderr


def test_an_unknown_mode_is_refused():
    result = run_manage("check", env={"FLATTR_ENV": "staging"})

    assert result.returncode != 0
    assert "FLATTR_ENV must be production, development or test, not 'staging'" in result.stderr


def test_production_settings_are_hardened():
    code = (
        "from django.conf import settings as s; import json; print(json.dumps({"
        "'debug': s.DEBUG, 'ssl': s.SECURE_SSL_REDIRECT, 'hsts': s.SECURE_HSTS_SECONDS, "
        "'cookies': [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.LANGUAGE_COOKIE_SECURE], "
        "'sessions': s.SESSION_ENGINE, 'cache': s.CACHES['default']['BACKEND'], "
        "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'broker': s.CELERY_BROKER_URL, "
        "'mailer': s.MAILERS['default'], 'static': s.STORAGES['staticfiles']['BACKEND']}))"
    )

    result = run_manage("shell", "-c", code, env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout.strip().splitlines()[-1])
    assert config["debug"] is False
    assert config["ssl"] is True
    assert config["hsts"] >= 31536000
    assert config["cookies"] == [True, True, True]
    assert config["sessions"] == "django.contrib.sessions.backends.cached_db"
    assert config["cache"] == "flattr.cache_backend.ResilientRedisCache"
    assert config["eager"] is False
    assert config["broker"] == "redis://redis.internal:6379/0"
    assert config["static"].startswith("whitenoise.")
    assert config["mailer"] == {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": "smtp.example.org",
            "port": 587,
            "username": "mailer",
            "password": "p@ss",
            "use_tls": True,
            "use_ssl": False,
            "timeout": 10,
        },
    }


def test_development_prints_mail_on_the_console_without_deprecation_warnings():
    result = run_manage("sendtestemail", "someone@example.org", env=development_env())

    assert result.returncode == 0, result.stderr
    assert "Subject: Test email from" in result.stdout
    assert "To: someone@example.org" in result.stdout
    assert "Warning" not in result.stderr


def test_tests_keep_mail_in_memory_and_run_tasks_eagerly():
    assert settings.MAILERS["default"]["BACKEND"] == "django.core.mail.backends.locmem.EmailBackend"
    assert settings.CELERY_TASK_ALWAYS_EAGER is True
    assert settings.DEBUG is False


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("CELERY_TASK_ACKS_LATE", True),
        ("CELERY_TASK_REJECT_ON_WORKER_LOST", True),
        ("CELERY_WORKER_PREFETCH_MULTIPLIER", 1),
        ("CELERY_TASK_SERIALIZER", "json"),
    ],
)
def test_celery_acknowledges_late_and_requeues_on_worker_loss(setting, expected):
    assert getattr(settings, setting) == expected
