"""Run payday for a closed month from the command line, with a progress bar and a summary.

manage.py payday                    # the month that just ended
manage.py payday --month 2026-10    # a given month (resumes one that stopped half-way)
manage.py payday --month 2026-10 --dry-run   # what it would do; writes nothing
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from payments.months import month_previous, month_start
from payments.payday import (
    STAGE_ORDER,
    PaydayError,
    PaydayProgress,
    PaydaySummary,
    payday_run,
)
from payments.selectors import ledger_check
from payments.templatetags.money import format_cents

STAGES_AFTER_START = STAGE_ORDER[1:]  # shares, posted, notified, done


def month_parse(value: str) -> dt.date:
    """Parse YYYY-MM into the first day of that month."""
    try:
        return dt.date.fromisoformat(f"{value}-01")
    except ValueError as error:
        raise CommandError(f"--month must look like 2026-10, not {value!r}.") from error


class Command(BaseCommand):
    help = "Split the budgets of a closed month and post the shares (or preview with --dry-run)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--month", help="YYYY-MM (default: the month that just ended)")
        parser.add_argument(
            "--dry-run", action="store_true", help="compute the summary, write nothing"
        )

    def handle(self, *args, **options) -> None:
        month = month_parse(options["month"]) if options["month"] else month_previous(month_start())
        try:
            if options["dry_run"]:
                summary = payday_run(month=month, dry_run=True)
            else:
                summary = self._run_with_progress(month)
                summary.ledger_problems = ledger_check()  # the whole books, after payday
        except PaydayError as error:
            raise CommandError(f"{error.code}: {error.message}") from error
        self.stdout.write(summary_table(summary))
        if summary.ledger_problems:
            raise CommandError("ledger_check failed: " + "; ".join(summary.ledger_problems))

    def _run_with_progress(self, month: dt.date) -> PaydaySummary:
        with tqdm(
            total=len(STAGES_AFTER_START),
            desc=f"payday {month:%Y-%m}",
            unit="stage",
            # The raw stream: OutputWrapper would end each of tqdm's \r updates with a newline.
            file=self.stderr._out,
            leave=True,
        ) as bar:

            def progress(step: PaydayProgress) -> None:
                bar.set_postfix_str(f"{step.stage} {step.done}/{step.total}")
                if step.done == step.total:
                    bar.update(1)

            summary = payday_run(month=month, progress=progress)
            bar.n = len(STAGES_AFTER_START)  # a resumed payday skips the stages it had done
            bar.refresh()
        return summary


def summary_table(summary: PaydaySummary) -> str:
    """Return the summary as a two-column text table."""
    title = "Payday preview (dry run, nothing written)" if summary.dry_run else "Payday"
    rows = [
        ("Month", f"{summary.month:%Y-%m}"),
        ("Stage", str(summary.stage)),
        ("Donors", f"{summary.donors:,}"),
        ("Shares", f"{summary.shares:,}"),
        ("Recipients", f"{summary.recipients:,}"),
        ("Total to recipients", format_cents(summary.total_cents)),
        ("Fees", format_cents(summary.fees_cents)),
        ("Charity", format_cents(summary.charity_cents)),
        (
            "ledger_check",
            "ok" if summary.ledger_ok else f"{len(summary.ledger_problems)} problems",
        ),
    ]
    width = max(len(label) for label, _ in rows)
    value_width = max(len(value) for _, value in rows)
    rule = f"+-{'-' * width}-+-{'-' * value_width}-+"
    lines = [title, rule]
    lines += [f"| {label:<{width}} | {value:>{value_width}} |" for label, value in rows]
    lines.append(rule)
    return "\n".join(lines)
