"""How Flattr is run: compose file, Dockerfile, .env.example, README table, Makefile."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML  # comes with check-jsonschema

BASE_DIR = Path(__file__).resolve().parent.parent
SETTINGS = (BASE_DIR / "flattr" / "settings.py").read_text()
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"


def variables_read_by_settings() -> set[str]:
    """Every NAME in env.<cast>("NAME", …) and os.environ.get("NAME") of the settings."""
    sources = SETTINGS + "".join(
        (BASE_DIR / "flattr" / name).read_text() for name in ("embedded_db.py", "embedded_redis.py")
    )
    names = set(re.findall(r'\benv\.\w+\(\s*"([A-Z][A-Z0-9_]*)"', sources))
    names |= set(re.findall(r'os\.environ\.get\(\s*"([A-Z][A-Z0-9_]*)"', sources))
    return names


def readme_section(title: str) -> str:
    readme = (BASE_DIR / "README.md").read_text()
    start = readme.index(f"\n## {title}\n")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else None]


@pytest.fixture(scope="module")
def compose() -> dict:
    return YAML(typ="safe").load(COMPOSE_FILE.read_text())


def test_the_settings_read_the_variables_this_test_expects():
    names = variables_read_by_settings()

    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "EMAIL_URL", "ENV_FILE"} <= names
    assert "EMBEDDED_PG_DIR" in names


def test_every_variable_the_settings_read_is_in_env_example():
    documented = set(
        re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", (BASE_DIR / ".env.example").read_text(), re.M)
    )

    assert variables_read_by_settings() - documented == set()


def test_every_variable_the_settings_read_is_in_the_readme_configuration_table():
    table = readme_section("Configuration")
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", table, re.M))

    assert variables_read_by_settings() - documented == set()


def test_every_required_production_variable_is_marked_required_in_the_readme():
    table = readme_section("Configuration")
    required = re.search(r"REQUIRED_IN_PRODUCTION = \(([^)]*)\)", SETTINGS).group(1)

    for name in re.findall(r'"([A-Z_]+)"', required):
        row = re.search(rf"^\| `{name}` \|.*$", table, re.M).group(0)
        assert "**required in production**" in row, name


def test_the_compose_file_validates_against_the_compose_specification():
    validator = Path(sys.executable).with_name("check-jsonschema")
    if not validator.exists():
        validator = shutil.which("check-jsonschema")
    assert validator, "check-jsonschema is a dev dependency: run `make venv`"

    result = subprocess.run(
        [str(validator), "--builtin-schema", "vendor.compose-spec", str(COMPOSE_FILE)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_compose_stack_has_its_five_services_each_with_a_health_check(compose):
    services = compose["services"]

    # Plus `migrate`, a one-shot job (migrations as the tables' owner) the app services wait for.
    assert set(services) == {"postgres", "redis", "web", "worker", "beat", "migrate"}
    for name, service in services.items():
        if name == "migrate":
            assert service["restart"] == "no"
            continue
        assert "test" in service["healthcheck"], name
        assert service["restart"] == "unless-stopped", name


def test_the_app_services_wait_for_healthy_databases_and_read_env(compose):
    for name in ("web", "worker", "beat"):
        service = compose["services"][name]
        assert service["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name
        assert service["env_file"] == [{"path": ".env", "required": True}], name
        assert service["environment"]["FLATTR_ENV"] == "production", name
        assert service["environment"]["REDIS_URL"] == "redis://redis:6379/0", name
        assert "@postgres:5432/flattr" in service["environment"]["DATABASE_URL"], name
        # The site's role, which may not TRUNCATE, ALTER or disable triggers (bin/db-roles.sql).
        assert service["environment"]["DATABASE_URL"].startswith("postgres://flattr_web:"), name


def test_web_migrates_collects_static_then_runs_gunicorn(compose):
    """Migrations run first, as the tables' owner, in the one-shot `migrate` service."""
    migrate = compose["services"]["migrate"]
    command = " ".join(compose["services"]["web"]["command"])

    assert " ".join(migrate["command"]) == "python manage.py migrate --no-input"
    assert migrate["environment"]["DATABASE_URL"].startswith("postgres://flattr:")
    assert "manage.py migrate" not in command
    collect = command.index("manage.py collectstatic")
    gunicorn = command.index("exec gunicorn flattr.wsgi")
    assert collect < gunicorn
    assert "/healthz" in " ".join(compose["services"]["web"]["healthcheck"]["test"])


def test_worker_and_beat_run_celery(compose):
    worker = compose["services"]["worker"]["command"]
    beat = compose["services"]["beat"]["command"]

    assert worker[:4] == ["celery", "-A", "flattr", "worker"]
    assert beat[:4] == ["celery", "-A", "flattr", "beat"]


def test_the_image_installs_exactly_the_locked_runtime_dependencies():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()

    assert dockerfile.startswith("# ") and "\nFROM python:3.12-slim\n" in dockerfile
    assert "uv sync --frozen --no-dev" in dockerfile
    assert "\nUSER flattr\n" in dockerfile, "the app does not run as root"
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    assert {".env", ".venv", ".data", ".git"} <= set(ignored)


def test_the_makefile_offers_the_documented_targets():
    result = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )

    targets = {line.split()[0] for line in result.stdout.splitlines() if line.strip()}
    assert {"run", "test", "worker", "beat", "lint", "format", "messages", "clean"} <= targets
