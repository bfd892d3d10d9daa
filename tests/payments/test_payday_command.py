"""`manage.py payday` and `manage.py bench_payday`."""

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from payments.models import Payday, Transfer
from tests.payments.payday_data import make_donor, make_flattr, make_thing

ROOT = Path(__file__).resolve().parents[2]


def table(out: str) -> dict[str, str]:
    """The summary table's rows as {label: value}."""
    return dict(
        (cell.strip() for cell in line.strip("|").split("|"))
        for line in out.splitlines()
        if line.startswith("| ")
    )


def payday_command(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("payday", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_the_command_runs_payday_with_a_progress_bar_and_prints_a_summary_table():
    donor = make_donor(budget=1000, funds=5000)
    for _ in range(7):
        make_flattr(donor, make_thing())

    out, err = payday_command("--month", "2025-03")

    assert "payday 2025-03" in err and "4/4" in err  # the tqdm bar, all four stages
    assert table(out) == {
        "Month": "2025-03",
        "Stage": "done",
        "Donors": "1",
        "Shares": "7",
        "Recipients": "7",
        "Total to recipients": "€9.00",
        "Fees": "€1.00",
        "Charity": "€0.00",
        "ledger_check": "ok",
    }
    assert Payday.objects.get().stage == "done"


@pytest.mark.django_db
def test_a_dry_run_prints_the_preview_and_writes_nothing():
    donor = make_donor(budget=1000, funds=5000)
    make_flattr(donor, make_thing())
    out, _ = payday_command("--month", "2025-03", "--dry-run")
    assert out.startswith("Payday preview (dry run, nothing written)")
    assert table(out)["Total to recipients"] == "€9.00"
    assert table(out)["Stage"] == "preview"
    assert not Payday.objects.exists() and not Transfer.objects.filter(kind="share").exists()


@pytest.mark.django_db
def test_the_current_month_and_nonsense_are_refused_clearly():
    this_month = timezone.now().date().strftime("%Y-%m")
    with pytest.raises(CommandError, match="payday_month_open"):
        payday_command("--month", this_month)
    with pytest.raises(CommandError, match="must look like 2026-10"):
        payday_command("--month", "October")
    assert not Payday.objects.exists()


@pytest.mark.django_db
def test_without_a_month_it_splits_the_month_that_just_ended():
    last_month = (timezone.now().date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    donor = make_donor(budget=500, funds=500)
    make_flattr(donor, make_thing(), month=last_month)
    out, _ = payday_command()
    assert table(out)["Month"] == f"{last_month:%Y-%m}"
    assert Payday.objects.get().month == last_month


def test_bench_payday_runs_end_to_end_at_a_tiny_size():
    """The benchmark cannot rot: run it (in its own throwaway database) with 50 donors."""
    database = settings.DATABASES["default"]
    name = f"{database['TEST'].get('NAME') or 'test_flattr'}_bench"
    env = {
        **os.environ,
        "FLATTR_ENV": "development",
        "ENV_FILE": os.devnull,  # never a developer's .env
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)  # eager Celery, local cache: the bench needs neither
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "bench_payday",
            "--donors",
            "50",
            "--flattrs-per-donor",
            "3",
            "--database",
            name,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["flattrs"] == 150
    assert report["rerun_new_rows"] == 0
    assert report["ledger_check"] == "ok"
    assert report["ledger_rows"] > 150 and report["floor_s"] > 0
    # ratio is computed before rounding; tiny floors make the rounded quotient drift
    assert report["ratio"] == pytest.approx(report["payday_s"] / report["floor_s"], rel=0.1)
