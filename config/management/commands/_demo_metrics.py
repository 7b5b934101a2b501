"""Demo data for `seed_demo`: the daily rollups of the program's figures over the demo history
(about 8 months of purchases), so the dashboard reads stored days the way production does after
the nightly job has run; today stays live."""

import datetime as dt

from campaigns.metrics.rollups import rollup_pending


def seed_metrics(*, now: dt.datetime) -> str:
    """Roll up every ended day not stored yet (all the history on the first run; what has
    passed since on a later one) and the cohort months. Returns a line for the output."""
    report = rollup_pending(now=now)
    if not report.days:
        return "Demo metrics: the rollups are up to date."
    return (
        f"Demo metrics: rolled up {len(report.days)} days ({report.days[0]} – "
        f"{report.days[-1]}) and {len(report.months)} months."
    )
