"""`manage.py bench_button` runs end to end: gunicorn up, both views measured, ratio printed."""

from io import StringIO

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_button_benchmark_prints_both_rates_and_their_ratio():
    out = StringIO()
    call_command("bench_button", seconds=1, rounds=1, connections=4, loader="python", stdout=out)
    text = out.getvalue()
    assert "button iframe:" in text and "trivial view:" in text
    assert "ratio button/trivial:" in text
    rates = [
        float(line.split(":")[1].split("req/s")[0])
        for line in text.splitlines()
        if line.startswith(("button iframe:", "trivial view:"))
    ]
    assert len(rates) == 2 and all(rate > 0 for rate in rates)
