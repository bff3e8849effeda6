"""House rules that sqlfluff and dbt-bouncer do not fully cover (STYLE.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import REPO_ROOT, Warehouse

MODEL_FILES = sorted((REPO_ROOT / "models").rglob("*.sql"))
FINAL_SELECT = re.compile(r"select \* from [a-z_][a-z0-9_]*\s*\Z")


def _without_comments(sql: str) -> str:
    return re.sub(r"\{#.*?#\}", "", sql, flags=re.DOTALL).rstrip()


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_model_ends_with_select_star_from_cte(path: Path) -> None:
    assert FINAL_SELECT.search(_without_comments(path.read_text())), (
        f"{path.name} must end with `select * from <last cte>`"
    )


def test_every_model_has_a_unique_and_not_null_key(warehouse: Warehouse) -> None:
    manifest = warehouse.manifest()
    tested: dict[str, dict[str, set[str]]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test" or not node.get("test_metadata"):
            continue
        column = node.get("column_name")
        attached = node.get("attached_node")
        if column and attached:
            tested.setdefault(attached, {}).setdefault(column, set()).add(node["test_metadata"]["name"])
    missing = [
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model"
        and not any({"unique", "not_null"} <= tests for tests in tested.get(unique_id, {}).values())
    ]
    assert not missing, f"models without a column that is both unique and not_null: {missing}"


def test_every_built_model_column_is_documented(warehouse: Warehouse) -> None:
    manifest = warehouse.manifest()
    documented = {
        node["name"]: {name for name, column in node["columns"].items() if column.get("description")}
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    }
    con = warehouse.connect()
    try:
        rows = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema in ('main', 'staging', 'intermediate', 'semantic')"
        ).fetchall()
    finally:
        con.close()
    assert {table for table, _ in rows} >= set(documented), "every model is built, in its schema"
    undocumented = sorted(
        f"{table}.{column}" for table, column in rows if table in documented and column not in documented[table]
    )
    assert not undocumented, f"columns without a description: {undocumented}"


def test_raw_email_never_leaves_staging(warehouse: Warehouse) -> None:
    con = warehouse.connect()
    try:
        rows = con.execute(
            "select table_name, column_name from information_schema.columns where column_name ilike '%email%'"
        ).fetchall()
    finally:
        con.close()
    assert rows == []


def test_every_staging_model_is_guarded_against_vanishing_rows(warehouse: Warehouse) -> None:
    """Each staging model either has a `used_downstream` test (its rows reach the model that consumes them) or
    is declared read whole (`meta.read_whole_by`, models that exist): a new staging table cannot drop rows
    between staging and the marts without a test noticing."""
    manifest = warehouse.manifest()
    models = {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    guarded = {
        node["attached_node"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test" and (node.get("test_metadata") or {}).get("name") == "used_downstream"
    }
    unguarded = []
    for name, node in models.items():
        if not name.startswith("stg_"):
            continue
        read_whole_by = node["config"].get("meta", {}).get("read_whole_by") or node.get("meta", {}).get("read_whole_by")
        if read_whole_by:
            assert set(read_whole_by) <= set(models), f"{name}: read_whole_by names unknown models {read_whole_by}"
        elif node["unique_id"] not in guarded:
            unguarded.append(name)
    assert not unguarded, f"staging models with neither a used_downstream test nor meta.read_whole_by: {unguarded}"


#: a section sign after the name of the product brief, which lives outside the repository
OUTSIDE_CITATION = re.compile("SPEC" + r"('s| §)")


def test_nothing_cites_a_document_outside_the_repository() -> None:
    """Every reference points at something a reader of the repository can open (docs/, README, the code)."""
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    citing = []
    for name in tracked.stdout.splitlines():
        path = REPO_ROOT / name
        if path.suffix in {".parquet", ".png", ".duckdb"} or not path.is_file():
            continue
        text = path.read_text(errors="replace")
        citing += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if OUTSIDE_CITATION.search(line)]
    assert citing == []


#: a reference to a page of docs/ with a heading in quotes, e.g. docs/operations.md "How a build publishes"
DOCS_SECTION_REFERENCE = re.compile(r"(docs/[\w-]+\.md) \"([^\"]+)\"")
MARKDOWN_LINK = re.compile(r"\]\(([\w./-]+)(#[^)]*)?\)")
#: what a section reference may name: a heading, or a bold term of a definition list
ANCHOR = re.compile(r"^#+ (.+)$|\*\*([^*]+)\*\*", re.M)


def test_documentation_links_and_section_references_resolve() -> None:
    """Every relative link in a Markdown file, and every `docs/<page>.md "<heading>"` reference anywhere in the
    repository, points at a file (and a heading or bold term of it) that exists."""
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    broken = []
    for name in tracked.stdout.splitlines():
        path = REPO_ROOT / name
        if path.suffix in {".parquet", ".png", ".duckdb", ".json"} or not path.is_file():
            continue
        text = path.read_text(errors="replace")
        if path.suffix == ".md":
            for target, _ in MARKDOWN_LINK.findall(text):
                if not target.startswith(("http://", "https://")) and not (path.parent / target).exists():
                    broken.append(f"{name}: link {target}")
        for page, heading in DOCS_SECTION_REFERENCE.findall(text):
            page_path = REPO_ROOT / page
            page_text = page_path.read_text() if page_path.exists() else ""
            anchors = {(a or b).strip() for a, b in ANCHOR.findall(page_text)}
            # a heading may go on with a parenthesis: "Reconciliation (`rpt_source_reconciliation`)"
            if not any(anchor == heading or anchor.startswith(heading + " (") for anchor in anchors):
                broken.append(f'{name}: {page} "{heading}"')
    assert broken == [], "\n".join(broken)


def test_the_readme_onboards_in_one_sitting() -> None:
    assert len((REPO_ROOT / "README.md").read_text().splitlines()) <= 200


def _yml_descriptions() -> dict[tuple[str, str], set[str]]:
    """(column name, description text) -> the yml files that write that text out (not a doc() reference)."""
    import yaml

    found: dict[tuple[str, str], set[str]] = {}
    for path in sorted((REPO_ROOT / "models").rglob("*.yml")):
        data = yaml.safe_load(path.read_text()) or {}
        owners = list(data.get("models") or [])
        owners += [table for source in data.get("sources") or [] for table in source.get("tables") or []]
        for owner in owners:
            for column in owner.get("columns") or []:
                text = " ".join(str(column.get("description") or "").split())
                if text and not re.match(r"\{\{\s*doc\(", text):
                    found.setdefault((column["name"], text), set()).add(str(path.relative_to(REPO_ROOT)))
    return found


def test_no_column_description_is_written_in_two_yml_files() -> None:
    """A description shared by several yml files is one `{% docs %}` block (models/docs/) used with doc()."""
    repeated = {f"{name}: {text[:60]}": sorted(files) for (name, text), files in _yml_descriptions().items()}
    repeated = {key: files for key, files in repeated.items() if len(files) > 1}
    assert not repeated, f"write these once as a doc block: {repeated}"


def test_no_macro_calls_ref_or_source() -> None:
    """Every edge of the DAG is visible in a model file: a macro takes the relation as an argument instead."""
    calling = []
    for path in sorted((REPO_ROOT / "macros").rglob("*.sql")):
        code = re.sub(r"\{#.*?#\}", "", path.read_text(), flags=re.DOTALL)
        calling += [f"{path.name}:{call}" for call in re.findall(r"\b(?:ref|source)\(\s*'[^']*'", code)]
        calling += [f"{path.name}:{call}" for call in re.findall(r"\b(?:ref|source)\(\s*[a-z_]+\s*[,)]", code)]
    assert calling == []
