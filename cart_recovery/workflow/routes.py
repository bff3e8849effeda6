"""Exception routes: the destinations of seeds/exception_routes.csv, validated, with their targets resolved.

A target is a URL (webhook, slack_webhook) or a file path (jsonl), or `env:NAME` to read it from that environment
variable, so secrets stay out of the repository and the warehouse. A route whose variable is unset or empty is
not configured: notify skips it.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cart_recovery.workflow.state import EVENTS

KINDS = ("webhook", "slack_webhook", "jsonl")
DIGESTS = ("immediate", "daily")
COLUMNS = ("route", "kind", "target", "notify_on", "digest")


class RoutesError(ValueError):
    """The routes seed (or a rule's route) is invalid; the message names the file and row."""


@dataclass(frozen=True)
class Route:
    route: str
    kind: str
    target: str
    notify_on: tuple[str, ...]
    digest: str

    def resolve_target(self, env: Mapping[str, str] | None = None) -> str | None:
        """The URL or path to deliver to, or None when the route is not configured (its variable is unset)."""
        env = os.environ if env is None else env
        if self.target.startswith("env:"):
            return env.get(self.target[len("env:") :]) or None
        return self.target


def _row_error(path: Path, line: int, message: str) -> RoutesError:
    return RoutesError(f"{path}, row {line}: {message}")


def parse_route(path: Path, line: int, row: dict[str, str]) -> Route:
    """One row of the routes seed as a Route; a RoutesError naming the row when a value is not allowed."""
    values = {column: (row.get(column) or "").strip() for column in COLUMNS}
    for column, value in values.items():
        if not value:
            raise _row_error(path, line, f"column {column} is empty")
    if values["kind"] not in KINDS:
        raise _row_error(path, line, f"kind {values['kind']!r} is not one of {', '.join(KINDS)}")
    if values["digest"] not in DIGESTS:
        raise _row_error(path, line, f"digest {values['digest']!r} is not one of {', '.join(DIGESTS)}")
    events = tuple(event.strip() for event in values["notify_on"].split("|"))
    unknown = [event for event in events if event not in EVENTS]
    if unknown:
        raise _row_error(path, line, f"notify_on names {unknown[0]!r}, not one of {', '.join(EVENTS)}")
    target = values["target"]
    literal_url = not target.startswith("env:") and values["kind"] != "jsonl"
    if literal_url and not target.startswith(("http://", "https://")):
        raise _row_error(path, line, f"target {target!r} is neither env:NAME nor an http(s) URL")
    if target.startswith("env:") and not target[len("env:") :]:
        raise _row_error(path, line, "target env: names no variable")
    return Route(values["route"], values["kind"], target, events, values["digest"])


def load_routes(routes_path: Path, rules_path: Path) -> dict[str, Route]:
    """Every route of the routes seed by key; each rule of the rules seed must name one of them."""
    routes: dict[str, Route] = {}
    with routes_path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in COLUMNS if column not in (reader.fieldnames or ())]
        if missing:
            raise RoutesError(f"{routes_path}, header: column {missing[0]} is missing")
        for line, row in enumerate(reader, start=2):
            route = parse_route(routes_path, line, row)
            if route.route in routes:
                raise _row_error(routes_path, line, f"route {route.route!r} appears twice")
            routes[route.route] = route
    with rules_path.open(newline="") as handle:
        for line, rule in enumerate(csv.DictReader(handle), start=2):
            key = (rule.get("route") or "").strip()
            if key not in routes:
                raise _row_error(
                    rules_path,
                    line,
                    f"exception type {rule.get('exception_type')!r} names route {key!r}, which has no row in "
                    f"{routes_path.name}",
                )
    return routes


def project_routes(project_dir: Path) -> dict[str, Route]:
    """The project's routes (seeds/exception_routes.csv checked against seeds/exception_rules.csv)."""
    seeds = project_dir / "seeds"
    return load_routes(seeds / "exception_routes.csv", seeds / "exception_rules.csv")


def configured(routes: Mapping[str, Route], env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Route key -> resolved target for every configured route."""
    targets = {key: route.resolve_target(env) for key, route in routes.items()}
    return {key: target for key, target in targets.items() if target}
