"""German is complete in every catalogue (no fuzzy or missing entry, for templates and Python
strings of every app), and the compiled catalogues match."""

import ast
import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parent.parent
# Every catalogue of the project: templates/ (and static/) share locale/, each app has its own.
APPS = ("accounts", "payments", "flattr", "twitter_claims")
OWN_CATALOGUES = {
    "templates": BASE_DIR / "locale" / "de" / "LC_MESSAGES" / "django.po",
    **{app: BASE_DIR / app / "locale" / "de" / "LC_MESSAGES" / "django.po" for app in APPS},
}

pytestmark = pytest.mark.skipif(
    not shutil.which("msgfmt") or not shutil.which("xgettext"),
    reason="needs GNU gettext (apt-get install gettext)",
)


def parse_po(path: Path) -> dict[str, str]:
    """Return {msgid: msgstr} of a .po file (plural forms keyed by the singular, first form)."""
    entries: dict[str, str] = {}
    current: dict[str, str] = {}
    key = None
    fuzzy = False

    def flush():
        nonlocal current, fuzzy
        if current.get("msgid"):
            msgstr = current.get("msgstr", current.get("msgstr[0]", ""))
            entries[current["msgid"]] = "" if fuzzy else msgstr
        current, fuzzy = {}, False

    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            flush()
            key = None
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += ast.literal_eval(line)
        else:
            key, literal = line.split(" ", 1)
            current[key] = ast.literal_eval(literal)
    return entries


def all_translations() -> dict[str, str]:
    """Every German translation the running site can use: all catalogues of the project."""
    merged: dict[str, str] = {}
    for po in BASE_DIR.glob("**/locale/de/LC_MESSAGES/django.po"):
        if ".venv" not in po.parts:
            merged |= {k: v for k, v in parse_po(po).items() if v}
    return merged


def extract(folder: Path, tmp_path: Path) -> set[str]:
    """Run makemessages over a copy of `folder` and return the msgids it finds."""
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy, ignore=shutil.ignore_patterns("locale", "__pycache__"))
    (copy / "locale").mkdir()
    database = settings.DATABASES["default"]
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/root"),
        "FLATTR_ENV": "development",
        "ENV_FILE": "/nonexistent/.env",
        "PYTHONPATH": str(BASE_DIR),
        "DATABASE_URL": os.environ.get("DATABASE_URL")
        or f"postgres://{database['USER']}@/{database['NAME']}?host={database['HOST']}"
        f"&port={database['PORT']}",
    }
    result = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), "makemessages", "-l", "de", "-v0"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return set(parse_po(copy / "locale" / "de" / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("owner", sorted(OWN_CATALOGUES))
def test_the_catalogue_is_valid_and_fully_translated(owner):
    po = OWN_CATALOGUES[owner]

    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(po)],
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    assert all(parse_po(po).values())


@pytest.mark.parametrize("owner", sorted(OWN_CATALOGUES))
def test_the_committed_mo_file_matches_its_po_file(owner, tmp_path):
    po = OWN_CATALOGUES[owner]
    fresh = tmp_path / "fresh.mo"
    subprocess.run(["msgfmt", "-o", str(fresh), str(po)], check=True)

    with open(po.with_suffix(".mo"), "rb") as committed, open(fresh, "rb") as compiled:
        assert gettext.GNUTranslations(committed)._catalog == (
            gettext.GNUTranslations(compiled)._catalog
        ), f"run: msgfmt -o {po.with_suffix('.mo')} {po}"


@pytest.mark.parametrize("folder", ["templates", *APPS])
def test_every_string_in_the_folder_has_german(folder, tmp_path):
    translations = all_translations()

    missing = sorted(extract(BASE_DIR / folder, tmp_path) - set(translations))

    assert missing == [], "no German for these (run `make messages` and translate)"
