"""notebooks/recovery_analysis.ipynb: stored without outputs, runs without error over a published warehouse, and its
headline recovery rate is the dashboard's to the last digit."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

import duckdb
import nbformat
import pytest
import streamlit as st
from conftest import REPO_ROOT, MetricflowRun, Warehouse
from nbclient import NotebookClient
from streamlit.testing.v1 import AppTest

NOTEBOOK = REPO_ROOT / "notebooks" / "recovery_analysis.ipynb"
HEADLINE = re.compile(
    r"Recovery rate, mature cohorts: (?P<shown>[0-9.]+%) \((?P<recovered>[0-9,]+) of (?P<abandoned>[0-9,]+) "
    r"abandoned carts; exactly (?P<exact>[0-9.e-]+)\)"
)


def test_notebook_is_stored_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], "clear the outputs before committing the notebook"
            assert cell.execution_count is None


@pytest.fixture(scope="module")
def executed_notebook(tmp_path_factory: pytest.TempPathFactory, warehouse: Warehouse) -> nbformat.NotebookNode:
    """The notebook executed over the published warehouse."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CART_RECOVERY_WAREHOUSE", str(warehouse.published_path))
        notebook = nbformat.read(NOTEBOOK, as_version=4)
        client = NotebookClient(
            notebook,
            timeout=120,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOK.parent)}},
        )
        client.execute()  # raises CellExecutionError on the first failing cell
    assert not [output for output in code_outputs(notebook) if output.output_type == "error"]
    # the executed copy stays out of the repository
    nbformat.write(notebook, tmp_path_factory.mktemp("notebook") / "executed.ipynb")
    return notebook


def code_outputs(notebook: nbformat.NotebookNode) -> list[dict]:
    return [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]


@pytest.fixture(scope="module")
def notebook_text(executed_notebook: nbformat.NotebookNode) -> Iterator[str]:
    """All the text outputs of the executed notebook."""
    outputs = code_outputs(executed_notebook)
    yield "\n".join(output.get("text", "") or output.get("data", {}).get("text/plain", "") for output in outputs)


def test_the_notebook_lists_the_public_tables_and_charts_five_questions(
    executed_notebook: nbformat.NotebookNode, notebook_text: str, warehouse: Warehouse
) -> None:
    """The table list comes from the comments in the file: every public mart is in it with its first sentence;
    then five questions, each with a Plotly chart that has data."""
    con = duckdb.connect(str(warehouse.published_path), read_only=True)
    try:
        described = con.execute(
            "select table_name, comment from duckdb_tables() where table_name like 'fct%' or table_name like 'rpt%'"
        ).fetchall()
    finally:
        con.close()
    assert len(described) >= 5
    listing = next(
        output["data"]["text/plain"]
        for output in code_outputs(executed_notebook)
        if "what_it_holds" in output.get("data", {}).get("text/plain", "")
    )
    for table, comment in described:
        assert table in listing and comment.split(". ")[0][:40] in listing, table
    charts = [
        output["data"]["application/vnd.plotly.v1+json"]
        for output in code_outputs(executed_notebook)
        if "application/vnd.plotly.v1+json" in output.get("data", {})
    ]
    titles = [chart["layout"]["title"]["text"] for chart in charts]
    assert len(charts) == 5, titles
    for title, start in zip(
        titles,
        (
            "Recovery rate by week and channel",
            "Recovered revenue per day",
            "High-value carts",
            "Open exceptions",
            "Reconciliation",
        ),
        strict=True,
    ):
        assert title.startswith(start)
    assert all(chart["data"] for chart in charts), "every chart has at least one trace"


def test_notebook_runs_over_the_published_warehouse(notebook_text: str) -> None:
    assert "marts agree" in notebook_text
    assert "owner" in notebook_text and "open_exceptions" in notebook_text


def test_dashboard_notebook_and_sql_agree_on_the_recovery_rate(
    monkeypatch: pytest.MonkeyPatch, notebook_text: str, warehouse: Warehouse, metricflow: MetricflowRun
) -> None:
    """One recovery rate: the notebook's headline, the dashboard's Recovery rate tile (over every cohort), MetricFlow's
    recovery_rate (`mf query` over the same cohorts) and a SQL over fct_recovery_funnel_daily (Σ recovered ÷
    Σ abandoned of mature cohorts) are the same number."""
    match = HEADLINE.search(notebook_text)
    assert match, notebook_text
    con = duckdb.connect(str(warehouse.published_path), read_only=True)
    try:
        recovered, abandoned, first, last = con.execute(
            "select sum(recovered) filter (where not is_provisional), sum(abandoned) filter (where not is_provisional),"
            " min(cohort_date), max(cohort_date) from fct_recovery_funnel_daily"
        ).fetchall()[0]
    finally:
        con.close()
    assert 0 < recovered < abandoned
    assert int(match["recovered"].replace(",", "")) == recovered
    assert int(match["abandoned"].replace(",", "")) == abandoned
    assert float(match["exact"]) == recovered / abandoned
    assert (metricflow.first_cohort, metricflow.last_cohort) == (str(first), str(last))
    assert metricflow.headline_csv.read_text().splitlines() == ["recovery_rate", match["exact"]]
    assert float(match["exact"]) == float(metricflow.headline_csv.read_text().splitlines()[1])

    monkeypatch.setenv("CART_RECOVERY_WAREHOUSE", str(warehouse.published_path))
    sys.path.insert(0, str(REPO_ROOT / "dashboard"))
    try:
        import db
        from queries.recovery import recovery_kpis

        st.cache_data.clear()
        build = db.current_build()
        kpis = recovery_kpis(build, db.Filters(start=first, end=last))
        assert kpis["recovery_rate_mature"] == recovered / abandoned
        assert (kpis["recovered_mature"], kpis["abandoned_mature"]) == (recovered, abandoned)

        at = AppTest.from_file(str(REPO_ROOT / "dashboard" / "app.py"), default_timeout=60).run()
        at.date_input(key="filter_dates").set_value((first, last)).run()
        assert not at.exception, [e.value for e in at.exception]
        tile = next(metric for metric in at.metric if metric.label == "Recovery rate")
        assert tile.value == match["shown"]
        assert tile.proto.delta == f"mature cohorts: {recovered:,} of {abandoned:,}"
    finally:
        sys.path.remove(str(REPO_ROOT / "dashboard"))
        st.cache_data.clear()
