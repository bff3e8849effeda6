"""Server-side render time of every dashboard page through `streamlit.testing.v1.AppTest`.

Run in its own process by bench.run (so Streamlit's caches and imports start clean):

    python -m bench.dashboard_render --warehouse warehouse/cart_recovery.duckdb --renders 5

Pages are the `st.Page("<script>", ...)` entries of dashboard/app.py's navigation (an app without
navigation is one page, app.py itself). Each page is rendered
`renders` times *cold* (st.cache_data and st.cache_resource cleared first: the first view after a publish) and
`renders` times *warm* (straight after, caches kept). A render is one `AppTest.run()` of the app with that page
selected: the entrypoint (navigation, filters, status) plus the page. A page whose render raises is reported
with its error and no times. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "dashboard" / "app.py"


def discover_pages(app: Path = APP) -> list[str]:
    """Page scripts (relative to the app's folder) named in `st.Page("...")` calls of the entrypoint."""
    pages: list[str] = []
    for node in ast.walk(ast.parse(app.read_text())):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        first = node.args[0]
        if (
            name == "Page"
            and isinstance(first, ast.Constant)
            and isinstance(first.value, str)
            and first.value not in pages
            and (app.parent / first.value).exists()
        ):
            pages.append(first.value)
    return pages


def percentile(values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default), without numpy."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def render_pages(app: Path, pages: list[str], renders: int, timeout: float) -> dict[str, Any]:
    """Time every page (or the entrypoint alone when the app has no navigation)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def clear() -> None:
        st.cache_data.clear()
        st.cache_resource.clear()

    def timed_run(at: AppTest, page: str | None) -> tuple[float, list[str]]:
        started = time.perf_counter()
        if page is None:
            at.run(timeout=timeout)
        else:
            at.switch_page(page).run(timeout=timeout)
        elapsed_ms = (time.perf_counter() - started) * 1000
        return elapsed_ms, [str(exception.value) for exception in at.exception]

    clear()
    at = AppTest.from_file(str(app), default_timeout=timeout)
    first_ms, errors = timed_run(at, None)
    result: dict[str, Any] = {"entrypoint_first_run_ms": round(first_ms, 1), "entrypoint_errors": errors, "pages": {}}
    # An app without st.navigation is one page: the entrypoint itself.
    for page in pages or [None]:
        cold: list[float] = []
        warm: list[float] = []
        page_errors: list[str] = []
        for _ in range(renders):
            clear()
            elapsed, errors = timed_run(at, page)
            page_errors += errors
            cold.append(elapsed)
        for _ in range(renders):
            elapsed, errors = timed_run(at, page)
            page_errors += errors
            warm.append(elapsed)
        title = at.title[0].value if len(at.title) else None
        name = page or app.name
        if page_errors:
            result["pages"][name] = {"title": title, "error": page_errors[0][:500], "cold_ms": None, "warm_ms": None}
        else:
            result["pages"][name] = {
                "title": title,
                "cold_ms": [round(value, 1) for value in cold],
                "warm_ms": [round(value, 1) for value in warm],
            }
    return result


def summarise(result: dict[str, Any]) -> dict[str, Any]:
    """p50/p95 over all pages' cold and warm renders; null (with a reason) when a page could not render."""
    pages = result["pages"]
    failed = {page: info["error"] for page, info in pages.items() if info.get("error")}
    cold = [value for info in pages.values() for value in info.get("cold_ms") or []]
    warm = [value for info in pages.values() for value in info.get("warm_ms") or []]
    summary: dict[str, Any] = {
        "pages_rendered": len(pages) - len(failed),
        "pages_failed": failed,
        "cold_p50_ms": percentile(cold, 0.5),
        "cold_p95_ms": percentile(cold, 0.95),
        "warm_p50_ms": percentile(warm, 0.5),
        "warm_p95_ms": percentile(warm, 0.95),
        "per_page_cold_p95_ms": {page: percentile(info.get("cold_ms") or [], 0.95) for page, info in pages.items()},
        "per_page_warm_p95_ms": {page: percentile(info.get("warm_ms") or [], 0.95) for page, info in pages.items()},
    }
    if failed or not pages:
        summary["cold_p95_ms"] = summary["warm_p95_ms"] = None
        summary["null_reason"] = "nothing rendered" if not pages else f"page(s) failed to render: {sorted(failed)}"
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render every dashboard page with AppTest and time it.")
    parser.add_argument("--warehouse", required=True, type=Path, help="published warehouse file to read")
    parser.add_argument("--renders", type=int, default=5, help="cold and warm renders per page [5]")
    parser.add_argument("--timeout", type=float, default=300, help="AppTest timeout per run, seconds [300]")
    args = parser.parse_args(argv)

    os.environ["CART_RECOVERY_WAREHOUSE"] = str(args.warehouse.resolve())
    # The app imports its sibling modules (db, ui, charts) as top-level modules, as `streamlit run` would.
    sys.path.insert(0, str(APP.parent))
    pages = discover_pages(APP)
    result: dict[str, Any] = {"app": str(APP.relative_to(REPO_ROOT)), "renders_per_page": args.renders}
    try:
        result.update(render_pages(APP, pages, args.renders, args.timeout))
        result["summary"] = summarise(result)
    except Exception as error:  # reported in the results as the reason for a null figure
        result["summary"] = {
            "cold_p95_ms": None,
            "warm_p95_ms": None,
            "null_reason": f"{type(error).__name__}: {error}",
        }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
