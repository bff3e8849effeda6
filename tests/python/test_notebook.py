"""notebooks/recovery_analysis.ipynb: stored without outputs, and runs without error over a published warehouse."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from conftest import REPO_ROOT, Warehouse
from nbclient import NotebookClient

NOTEBOOK = REPO_ROOT / "notebooks" / "recovery_analysis.ipynb"


def test_notebook_is_stored_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], "clear the outputs before committing the notebook"
            assert cell.execution_count is None


def test_notebook_runs_over_the_published_warehouse(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, warehouse: Warehouse
) -> None:
    monkeypatch.setenv("CART_RECOVERY_WAREHOUSE", str(warehouse.published_path))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError on the first failing cell

    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    text = "\n".join(output.get("text", "") or output.get("data", {}).get("text/plain", "") for output in outputs)
    assert "marts agree" in text
    assert "owner" in text and "open_exceptions" in text
    nbformat.write(notebook, tmp_path / "executed.ipynb")  # the executed copy stays out of the repository
