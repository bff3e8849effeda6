"""Metric expressions for the dashboard and the notebook, generated from the semantic layer (models/semantic/).

A metric is defined once, in models/semantic/_semantic__metrics.yml (MetricFlow), over the measures of the semantic
models in models/semantic/_semantic__models.yml. This module reads those yml files (no dbt run needed) and renders a
metric as one SQL expression over its semantic model's table, the way MetricFlow renders it, so the dashboard, the
notebook and `mf query` compute the same number (docs/metrics.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cart_recovery.paths import PROJECT_DIR

SEMANTIC_DIR = PROJECT_DIR / "models" / "semantic"

#: MetricFlow's aggregations that render as one SQL function over the measure's expression.
AGGREGATIONS = {"sum": "sum", "average": "avg", "min": "min", "max": "max", "count": "count"}


class MetricDefinitionError(ValueError):
    """A metric cannot be rendered as SQL; the message's first line names the yml file and the metric."""


@dataclass(frozen=True)
class Measure:
    name: str
    agg: str
    expr: str
    table: str  # the model the semantic model reads, e.g. fct_recovery_funnel_daily
    source: Path


@dataclass(frozen=True)
class SemanticLayer:
    measures: dict[str, Measure]
    metrics: dict[str, tuple[dict[str, Any], Path]]

    @classmethod
    def load(cls, directory: Path = SEMANTIC_DIR) -> SemanticLayer:
        measures: dict[str, Measure] = {}
        metrics: dict[str, tuple[dict[str, Any], Path]] = {}
        for path in sorted(directory.glob("*.yml")):
            document = yaml.safe_load(path.read_text()) or {}
            for model in document.get("semantic_models", []):
                table = _ref_name(model.get("model", ""), path, model["name"])
                for measure in model.get("measures", []):
                    measures[measure["name"]] = Measure(
                        name=measure["name"],
                        agg=measure["agg"],
                        expr=str(measure.get("expr", measure["name"])),
                        table=table,
                        source=path,
                    )
            for metric in document.get("metrics", []):
                metrics[metric["name"]] = (metric, path)
        return cls(measures=measures, metrics=metrics)

    def _metric(self, name: str) -> tuple[dict[str, Any], Path]:
        if name not in self.metrics:
            raise MetricDefinitionError(f"{SEMANTIC_DIR}: no metric named {name!r} (known: {sorted(self.metrics)})")
        return self.metrics[name]

    def _simple_measure(self, name: str) -> Measure:
        metric, path = self._metric(name)
        if metric.get("type") != "simple" or metric.get("filter"):
            raise MetricDefinitionError(
                f"{path}: metric {name!r} must be a simple metric without a filter to be rendered as SQL "
                f"(type {metric.get('type')!r}); put the condition in its measure's expr"
            )
        measure_name = metric["type_params"]["measure"]
        if isinstance(measure_name, dict):
            measure_name = measure_name["name"]
        if measure_name not in self.measures:
            raise MetricDefinitionError(f"{path}: metric {name!r} reads measure {measure_name!r}, which no model has")
        return self.measures[measure_name]

    def _aggregate(self, measure: Measure) -> str:
        if measure.agg not in AGGREGATIONS:
            raise MetricDefinitionError(
                f"{measure.source}: measure {measure.name!r} aggregates with {measure.agg!r}, which cannot be "
                f"rendered as SQL here (one of {sorted(AGGREGATIONS)})"
            )
        return f"{AGGREGATIONS[measure.agg]}({measure.expr})"

    def table(self, name: str) -> str:
        """The table a metric is computed over (the ratio's numerator and denominator must share it)."""
        metric, path = self._metric(name)
        if metric.get("type") == "ratio":
            tables = {self.table(metric["type_params"][part]) for part in ("numerator", "denominator")}
            if len(tables) != 1:
                raise MetricDefinitionError(f"{path}: ratio {name!r} reads several tables: {sorted(tables)}")
            return tables.pop()
        return self._simple_measure(name).table

    def sql(self, name: str) -> str:
        """The metric as one SQL expression over the rows of its table (MetricFlow's rendering: a ratio is
        cast(numerator as double) / cast(nullif(denominator, 0) as double), null when the denominator is 0 or null)."""
        metric, _ = self._metric(name)
        if metric.get("type") == "ratio":
            self.table(name)
            numerator, denominator = (
                self._aggregate(self._simple_measure(metric["type_params"][part]))
                for part in ("numerator", "denominator")
            )
            return f"cast({numerator} as double) / cast(nullif({denominator}, 0) as double)"
        return self._aggregate(self._simple_measure(name))


def _ref_name(model: str, path: Path, semantic_model: str) -> str:
    text = model.strip()
    if not (text.startswith("ref(") and text.endswith(")")):
        raise MetricDefinitionError(
            f"{path}: semantic model {semantic_model!r} must read ref('<model>'), not {model!r}"
        )
    return text[4:-1].strip().strip("'\"")


SEMANTIC_LAYER = SemanticLayer.load()

#: The headline recovery rate of any set of daily funnel rows (fct_recovery_funnel_daily): metric recovery_rate,
#: Σ recovered ÷ Σ abandoned over the rows whose cohort is mature (docs/definitions.md, docs/metrics.md).
MATURE_RECOVERY_RATE_SQL = SEMANTIC_LAYER.sql("recovery_rate")
