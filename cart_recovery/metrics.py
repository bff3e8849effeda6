"""Metric expressions shared by the dashboard and the notebook, so that each is defined once."""

from __future__ import annotations

#: The headline recovery rate of any set of daily funnel rows (fct_recovery_funnel_daily): Σ recovered ÷ Σ abandoned
#: over the rows whose cohort is mature (the mart's documented rule; docs/definitions.md).
MATURE_RECOVERY_RATE_SQL = (
    "sum(recovered) filter (where not is_provisional) / nullif(sum(abandoned) filter (where not is_provisional), 0)"
)
