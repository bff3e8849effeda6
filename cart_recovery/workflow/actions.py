"""Owners' actions on exceptions: validate, record (append to the state database), read, and hand to the build.

The dashboard records; the next `cart_recovery build` copies every action into its build file as the table
`warehouse_exception_actions` (the dbt source `workflow.exception_actions`) before dbt runs. What each action
means and how a manual resolution stands: docs/workflow.md "Owners' actions" and docs/definitions.md
"Owners' resolutions".
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from cart_recovery.workflow import state

#: The table a build file gets, read by dbt as source('workflow', 'exception_actions').
BUILD_TABLE = "warehouse_exception_actions"
MAX_NAME_CHARS = 100  # actor and assignee
MAX_TEXT_CHARS = 1000  # comment (the free text of any action)

_COMMON_REASONS = ("duplicate_of_another_exception", "false_positive", "accepted_risk")
#: The reasons an owner can give for resolving an exception by hand, per exception type (only the types whose
#: condition never clears by itself are resolved by hand; the others clear in the data).
RESOLUTION_REASONS: dict[str, tuple[str, ...]] = {
    "amount_mismatch": ("customer_refunded_difference", "customer_charged_difference", *_COMMON_REASONS),
    "duplicate_capture": ("duplicate_refunded", "customer_kept_both_orders", *_COMMON_REASONS),
    "refund_exceeds_capture": ("excess_recovered_from_customer", "written_off", *_COMMON_REASONS),
    "processor_mismatch": ("shop_record_corrected", "stripe_record_corrected", *_COMMON_REASONS),
    "price_drift": ("price_honoured", "customer_compensated", "catalog_corrected", *_COMMON_REASONS),
}
_BUILD_COLUMNS = (
    ("action_id", "bigint"),
    ("exception_id", "varchar"),
    ("action", "varchar"),
    ("actor", "varchar"),
    ("acted_at", "timestamp"),
    ("assignee", "varchar"),
    ("snooze_until", "timestamp"),
    ("reason", "varchar"),
    ("comment", "varchar"),
    ("condition_amount_at_risk", "decimal(18,2)"),
    ("condition_details", "varchar"),
)


class ActionRefused(ValueError):
    """The action is not recorded; the message says why, in words for the owner."""


@dataclass(frozen=True)
class Action:
    """What an owner asks for: `action` is one of state.ACTIONS; the other fields as that action needs them."""

    exception_id: str
    action: str
    actor: str
    assignee: str | None = None
    snooze_until: dt.datetime | None = None
    reason: str | None = None
    comment: str | None = None


def _text(value: str | None) -> str:
    return (value or "").strip()


def validate(action: Action, exception: dict[str, Any] | None, now: dt.datetime, resolved_by_hand: bool) -> None:
    """Raise ActionRefused unless `action` may be recorded on `exception` (its row in the published mart, None
    when the mart has no such exception). `resolved_by_hand`: a recorded resolution still stands on it."""
    if action.action not in state.ACTIONS:
        raise ActionRefused(f"Unknown action {action.action!r}: one of {', '.join(state.ACTIONS)}.")
    actor = _text(action.actor)
    if not actor:
        raise ActionRefused("Who is acting? The actor's name is empty (sign in, or type your name in the sidebar).")
    if len(actor) > MAX_NAME_CHARS:
        raise ActionRefused(f"The actor's name is longer than {MAX_NAME_CHARS} characters.")
    if len(_text(action.comment)) > MAX_TEXT_CHARS:
        raise ActionRefused(f"The comment is longer than {MAX_TEXT_CHARS} characters.")
    if exception is None:
        raise ActionRefused(
            f"Exception {action.exception_id} is not in the published warehouse (it may have been rebuilt without "
            "it); nothing was recorded."
        )
    if action.action == "assign":
        assignee = _text(action.assignee)
        if not assignee:
            raise ActionRefused("Assign to whom? The assignee is empty.")
        if len(assignee) > MAX_NAME_CHARS:
            raise ActionRefused(f"The assignee's name is longer than {MAX_NAME_CHARS} characters.")
    if action.action == "comment" and not _text(action.comment):
        raise ActionRefused("The comment is empty.")
    if action.action == "snooze" and (action.snooze_until is None or action.snooze_until <= now):
        raise ActionRefused("Snooze until when? The date must be in the future.")
    if action.action == "resolve":
        _validate_resolve(action, exception, resolved_by_hand)


def _validate_resolve(action: Action, exception: dict[str, Any], resolved_by_hand: bool) -> None:
    if exception["clears_by_itself"]:
        raise ActionRefused(
            f"{exception['exception_type']} clears by itself when its condition clears in the data; it cannot be "
            "resolved by hand."
        )
    if exception["status"] == "resolved" or resolved_by_hand:
        raise ActionRefused(f"Exception {action.exception_id} is already resolved.")
    reasons = RESOLUTION_REASONS.get(exception["exception_type"], _COMMON_REASONS)
    if action.reason not in reasons:
        raise ActionRefused(f"Choose a reason for resolving from the list: {', '.join(reasons)}.")


def _stands(row: sqlite3.Row | None, exception: dict[str, Any]) -> bool:
    """A recorded resolution stands while the condition is the one the owner resolved (docs/definitions.md)."""
    if row is None:
        return False
    amount = Decimal(str(exception["amount_at_risk"])).quantize(Decimal("0.01"))
    return Decimal(row["condition_amount_at_risk"]) == amount and row["condition_details"] == exception["details"]


def record(state_path: Path, action: Action, exception: dict[str, Any] | None, now: dt.datetime | None = None) -> int:
    """Validate and append one action to the state database; returns its action_id. Raises ActionRefused."""
    now = now or dt.datetime.now(dt.UTC)
    connection = state.connect(state_path)
    connection.row_factory = sqlite3.Row
    try:
        connection.execute("begin immediate")
        last_resolve = connection.execute(
            "select * from exception_actions where exception_id = ? and action = 'resolve' "
            "order by action_id desc limit 1",
            [action.exception_id],
        ).fetchone()
        try:
            validate(action, exception, now, exception is not None and _stands(last_resolve, exception))
        except ActionRefused:
            connection.execute("rollback")
            raise
        resolving = action.action == "resolve"
        cursor = connection.execute(
            "insert into exception_actions (exception_id, action, actor, acted_at, assignee, snooze_until, reason, "
            "comment, condition_amount_at_risk, condition_details) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                action.exception_id,
                action.action,
                _text(action.actor),
                _iso(now),
                _text(action.assignee) if action.action == "assign" else None,
                _iso(action.snooze_until) if action.action == "snooze" else None,
                action.reason if resolving else None,
                _text(action.comment) or None,
                str(Decimal(str(exception["amount_at_risk"])).quantize(Decimal("0.01"))) if resolving else None,
                exception["details"] if resolving else None,
            ],
        )
        connection.execute("commit")
        return int(cursor.lastrowid)
    finally:
        connection.close()


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat(timespec="seconds")


def read_actions(state_path: Path, exception_id: str | None = None) -> list[dict[str, Any]]:
    """Every recorded action (of one exception when given), oldest first; none when there is no state file.
    Read-only: never creates the file."""
    where, params = ("where exception_id = ?", [exception_id]) if exception_id else ("", [])
    return state.read_rows(state_path, f"select * from exception_actions {where} order by action_id", params)


def _utc_naive(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC).replace(tzinfo=None) if text else None


def copy_into_build(state_path: Path, build_path: Path) -> int:
    """Write every recorded action into the build file as `warehouse_exception_actions` (empty when there is no
    state file), before dbt runs; returns the number of actions. The state file is only read."""
    rows = [
        (
            row["action_id"],
            row["exception_id"],
            row["action"],
            row["actor"],
            _utc_naive(row["acted_at"]),
            row["assignee"],
            _utc_naive(row["snooze_until"]),
            row["reason"],
            row["comment"],
            row["condition_amount_at_risk"],
            row["condition_details"],
        )
        for row in read_actions(state_path)
    ]
    columns = ", ".join(f"{name} {data_type}" for name, data_type in _BUILD_COLUMNS)
    build_path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(build_path))
    try:
        con.execute(f"create or replace table {BUILD_TABLE} ({columns}, primary key (action_id))")
        if rows:
            placeholders = ", ".join("?" for _ in _BUILD_COLUMNS)
            con.executemany(f"insert into {BUILD_TABLE} values ({placeholders})", rows)
    finally:
        con.close()
    return len(rows)
