"""Owners' actions in the Exceptions drill-down: who is acting, the action form and the exception's timeline.

Actions go to the workflow state database beside the published warehouse (cart_recovery/workflow/actions.py);
the dashboard never writes the warehouse. docs/workflow.md "Owners' actions".
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import db
import pandas as pd
import streamlit as st
import ui
from queries.exceptions import exception_history
from queries.workflow import exception_now

from cart_recovery.workflow import actions, state

ACTOR_HEADER_ENV = "CART_RECOVERY_ACTOR_HEADER"
DEFAULT_ACTOR_HEADER = "X-Forwarded-User"
ACTOR_KEY = "workflow_actor"
ACTION_LABELS = {
    "acknowledge": "Acknowledge",
    "assign": "Assign to a person",
    "comment": "Comment",
    "snooze": "Snooze until a date",
    "resolve": "Resolve (with a reason)",
}


def state_path() -> Path:
    """The workflow state database beside the published warehouse."""
    return state.path_beside(db.warehouse_path())


def _from_proxy() -> str:
    header = os.environ.get(ACTOR_HEADER_ENV) or DEFAULT_ACTOR_HEADER
    return (st.context.headers.get(header) or "").strip()


def current_actor() -> str:
    """The acting person: the reverse proxy's header when present (docs/workflow.md), else the sidebar field."""
    return _from_proxy() or (st.session_state.get(ACTOR_KEY) or "").strip()


def actor_field() -> None:
    """Say who is acting (signed in through the proxy), or ask for a name in the sidebar."""
    with st.sidebar:
        if _from_proxy():
            st.caption(f"**Acting as** {_from_proxy()} (signed in)")
        else:
            st.text_input("Your name (recorded with your actions)", key=ACTOR_KEY)


RESULT_KEY = "action_result"


def action_form(detail: dict[str, Any]) -> None:
    """The form to act on one exception. The submission is bound to the exception the form showed (a callback
    with its id), validated against the published mart as it is at that moment, and recorded."""
    exception_id = detail["exception_id"]
    reasons = actions.RESOLUTION_REASONS.get(detail["exception_type"], ())
    actor_field()
    with st.form("exception_action", clear_on_submit=False):
        st.markdown("**Act on this exception**")
        st.selectbox("Action", list(ACTION_LABELS), format_func=ACTION_LABELS.get, key="action_kind")
        st.text_input("Assign to (for Assign)", key="action_assignee")
        st.date_input("Snooze until (for Snooze)", value=None, key="action_snooze")
        st.selectbox(
            "Reason (for Resolve)",
            reasons,
            index=None,
            placeholder="choose a reason" if reasons else "this type is not resolved by hand",
            key="action_reason",
        )
        st.text_area("Comment or note", max_chars=actions.MAX_TEXT_CHARS, key="action_comment")
        st.form_submit_button("Record action", key="action_submit", on_click=_submit, args=(exception_id,))
    result = st.session_state.pop(RESULT_KEY, None)
    if result:
        kind, message = result
        (st.success if kind == "success" else st.error)(message)


def _submit(exception_id: str) -> None:
    values = st.session_state
    who = current_actor()
    action = values["action_kind"]
    snooze = values.get("action_snooze")
    snooze_until = dt.datetime.combine(snooze, dt.time(), tzinfo=dt.UTC) if snooze else None
    request = actions.Action(
        exception_id,
        action,
        who,
        values.get("action_assignee"),
        snooze_until,
        values.get("action_reason"),
        values.get("action_comment"),
    )
    try:
        action_id = actions.record(state_path(), request, exception_now(None, exception_id))
    except actions.ActionRefused as refusal:
        values[RESULT_KEY] = ("error", f"Not recorded: {refusal}")
        return
    values[RESULT_KEY] = (
        "success",
        f"Recorded: {ACTION_LABELS[action].lower()} on {exception_id} by {who} (action {action_id}). The "
        "warehouse shows it after the next build; the timeline shows it now.",
    )


def _row(at: Any, event: str, who: str | None, detail: str) -> dict[str, Any]:
    stamp = pd.Timestamp(at)
    return {
        "at": stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp,
        "event": event,
        "who": who,
        "detail": detail,
    }


def timeline_rows(build: db.Build, detail: dict[str, Any]) -> pd.DataFrame:
    """Everything that happened to one exception, oldest first: detected, past due, escalated, notified per route,
    the owners' actions (from the state database, including those no build has read yet) and resolved."""
    exception_id = detail["exception_id"]
    rows = [
        _row(detail["detected_at"], "detected", None, "SLA clock started"),
        _row(detail["due_at"], "past due", None, f"SLA of {int(detail['sla_hours'])} h passed"),
    ]
    # escalated (docs/definitions.md "Exceptions"): still open escalate_after_hours past due, by as-of
    open_until = detail["resolved_at"] if detail["status"] == "resolved" else detail["as_of"]
    if not pd.isna(open_until) and pd.Timestamp(detail["escalates_at"]) <= pd.Timestamp(open_until):
        after = int(detail["escalate_after_hours"])
        rows.append(_row(detail["escalates_at"], "escalated", None, f"still open {after} h past due"))
    for delivery in state.deliveries_of(state_path(), exception_id):
        failed = f", {delivery['failed_attempts']} failed attempt(s)" if delivery["failed_attempts"] else ""
        rows.append(
            _row(
                delivery["delivered_at"] or delivery["created_at"],
                "notified",
                delivery["route"],
                f"{delivery['event']} via {delivery['route']}: {delivery['status']}{failed}",
            )
        )
    for action in actions.read_actions(state_path(), exception_id):
        rows.append(_row(action["acted_at"], _past(action["action"]), action["actor"], _action_detail(action)))
    history = exception_history(build, exception_id)
    resolved = history[history["status"] == "resolved"]
    if detail["status"] == "resolved" and not pd.isna(detail["resolved_at"]):
        how = detail.get("resolution") or "auto"
        rows.append(_row(detail["resolved_at"], "resolved", detail.get("resolved_by"), f"{how} (warehouse)"))
    elif not resolved.empty:
        rows.append(_row(resolved["seen_from"].iloc[-1], "resolved", None, "an earlier build saw it resolved"))
    frame = pd.DataFrame(rows, columns=["at", "event", "who", "detail"])
    return frame.sort_values("at", kind="stable").reset_index(drop=True)


def _past(action: str) -> str:
    return {"acknowledge": "acknowledged", "assign": "assigned", "comment": "commented", "snooze": "snoozed"}.get(
        action, "resolved"
    )


def _action_detail(action: dict[str, Any]) -> str:
    parts = {
        "assign": f"to {action['assignee']}",
        "snooze": f"until {ui.fmt_timestamp(action['snooze_until'])}",
        "resolve": f"by hand, reason {action['reason']}",
    }.get(action["action"], "")
    note = action["comment"] or ""
    return " · ".join(part for part in (parts, note) if part)


def timeline(build: db.Build, detail: dict[str, Any]) -> None:
    st.markdown("**Timeline**")
    rows = timeline_rows(build, detail)
    rows["at"] = rows["at"].map(ui.fmt_timestamp)
    rows["who"] = rows["who"].fillna("")
    rows.columns = ["When", "Event", "Who / route", "Detail"]
    st.table(rows.set_index("When"))
