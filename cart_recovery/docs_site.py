"""The dbt docs site of the published warehouse: `python -m cart_recovery docs` (`make docs`).

`dbt docs generate` reads its catalog (tables, columns, types, comments) from a database, and the build file it
would target is gone once published. So the published file is copied to a temporary directory and dbt generates
the site against the copy, with its own target directory: the published file is only read (no write, no lock
held while dbt runs) and a running build is not disturbed. The vars are those the published warehouse was built
with (its source formats and pinned as-of, from `warehouse_build`), so the same models are documented. Each
table's row count is added to the catalog's stats, and the site (index.html, manifest.json, catalog.json and the
self-contained static_index.html) is written to `<warehouse dir>/docs/`.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb

from cart_recovery import publish
from cart_recovery.build import user_vars
from cart_recovery.dbt_run import run_dbt
from cart_recovery.errors import BuildError
from cart_recovery.paths import Paths

SITE_FILES = ("index.html", "manifest.json", "catalog.json", "static_index.html")
DEFAULT_PORT = 8080


def default_site_dir(paths: Paths) -> Path:
    return paths.published_path.parent / "docs"


def published_vars(published_path: Path) -> dict[str, Any]:
    """The vars that decide which models the published warehouse holds: its source formats and pinned as-of."""
    variables: dict[str, Any] = {}
    formats = publish.published_formats(published_path) or {}
    for system, source_format in formats.items():
        variables[f"{system}_source_format"] = source_format
    con = publish.open_read_only(published_path)
    try:
        pinned = con.execute(f"select max(pinned_as_of) from {publish.BUILD_INFO_TABLE}").fetchall()[0][0]
    except duckdb.CatalogException:
        pinned = None
    finally:
        con.close()
    if pinned is not None:
        variables["as_of"] = pinned.isoformat(sep=" ")
    return variables


def add_row_counts(catalog: dict[str, Any], database_path: Path) -> None:
    """Add each table's row count to its catalog stats (dbt-duckdb's catalog has none), so the site shows it."""
    con = publish.open_read_only(database_path)
    try:
        for entry in catalog["nodes"].values():
            metadata = entry["metadata"]
            if metadata["type"] != "BASE TABLE":
                continue
            rows = con.execute(f'select count(*) from "{metadata["schema"]}"."{metadata["name"]}"').fetchall()[0][0]
            stats = entry.setdefault("stats", {})
            stats["has_stats"] = {**stats.get("has_stats", {}), "id": "has_stats", "value": True, "include": False}
            stats["row_count"] = {
                "id": "row_count",
                "label": "Row count",
                "value": int(rows),
                "include": True,
                "description": "Rows in the published warehouse when the docs were generated.",
            }
    finally:
        con.close()


def write_static_index(target: Path) -> None:
    """static_index.html: dbt's index.html with the manifest and the catalog (row counts included) inlined, so
    it opens from disk without a server (what `dbt docs generate --static` writes, before the counts)."""
    page = (target / "index.html").read_text()
    page = page.replace('"MANIFEST.JSON INLINE DATA"', (target / "manifest.json").read_text())
    page = page.replace('"CATALOG.JSON INLINE DATA"', (target / "catalog.json").read_text())
    (target / "static_index.html").write_text(page)


def generate_site(paths: Paths, site_dir: Path | None = None, dbt_vars: str | None = None, log: Any = print) -> Path:
    """Generate the docs site of the published warehouse into `site_dir` (default `<warehouse dir>/docs/`)."""
    site_dir = site_dir or default_site_dir(paths)
    if not paths.published_path.exists():
        raise BuildError(
            f"{paths.published_path}: no published warehouse to document (CART_RECOVERY_WAREHOUSE); "
            "run `make build` or `make demo` first."
        )
    variables = {**published_vars(paths.published_path), **user_vars(dbt_vars)}
    with tempfile.TemporaryDirectory(prefix="cart_recovery_docs_") as scratch:
        copy = Path(scratch) / paths.published_path.name
        shutil.copyfile(paths.published_path, copy)
        target = Path(scratch) / "target"
        docs_paths = replace(paths, build_path=copy, target_path=target, log_path=target / "logs")
        args = ["docs", "generate", "--vars", json.dumps(variables, default=str)]
        errors: list[str] = []
        log(f"Generating the docs of {paths.published_path} (from a copy) into {site_dir}")
        returncode = run_dbt(docs_paths, args, errors=errors)
        catalog_path = target / "catalog.json"
        if returncode != 0 or not catalog_path.exists():
            first = errors[0] if errors else "see its output above"
            raise BuildError(f"dbt docs generate failed (exit code {returncode}): {first}")
        catalog = json.loads(catalog_path.read_text())
        add_row_counts(catalog, copy)
        catalog_path.write_text(json.dumps(catalog))
        write_static_index(target)
        site_dir.mkdir(parents=True, exist_ok=True)
        for name in SITE_FILES:
            shutil.copyfile(target / name, site_dir / name)
    log(f"Docs written to {site_dir} ({len(catalog['nodes'])} tables and views)")
    return site_dir


def serve(site_dir: Path, port: int = DEFAULT_PORT, log: Any = print) -> None:
    """Serve the site on http://127.0.0.1:<port>/ until interrupted."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site_dir))
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as server:
        log(f"Serving the docs on http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
