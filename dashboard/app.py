"""Cart Recovery Warehouse dashboard: the entrypoint (navigation, global filters, publish status).

Run with `make run` (or `streamlit run dashboard/app.py`). Reads the published warehouse only
($CART_RECOVERY_WAREHOUSE), through `db` and the `queries` modules.
"""

from __future__ import annotations

import time

import db
import streamlit as st
import ui
from queries.health import build_facts

REFRESH_ATTEMPTS_KEY = "_refresh_attempts"
BROKEN_KEY = "_warehouse_error"
MAX_REFRESH_ATTEMPTS = 10

st.set_page_config(page_title="Cart Recovery Warehouse", page_icon="🛒", layout="wide")

PAGES = [
    st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("views/recovery_funnel.py", title="Recovery funnel", icon=":material/filter_alt:", url_path="funnel"),
    st.Page("views/exceptions.py", title="Exceptions", icon=":material/report:", url_path="exceptions"),
    st.Page("views/workflow.py", title="Workflow", icon=":material/assignment_ind:", url_path="workflow"),
    st.Page("views/reconciliation.py", title="Reconciliation", icon=":material/balance:", url_path="reconciliation"),
    st.Page("views/data_health.py", title="Data health", icon=":material/monitor_heart:", url_path="data-health"),
]


def nothing_published() -> None:
    st.title("Cart Recovery Warehouse")
    st.info(
        f"Nothing is published yet at `{db.warehouse_path()}`.\n\n"
        "Run `make build` (or `make run`) to build and publish the warehouse; this page shows the figures as "
        "soon as a build has passed its tests and been published."
    )
    if st.button("Check again"):
        st.rerun()


def refreshing() -> None:
    """A publish replaced the file while this page ran: run the page again, on the new file (a few times)."""
    attempts = st.session_state.get(REFRESH_ATTEMPTS_KEY, 0) + 1
    st.session_state[REFRESH_ATTEMPTS_KEY] = attempts
    if attempts <= MAX_REFRESH_ATTEMPTS:
        time.sleep(db.REFRESH_PAUSE_SECONDS)
        st.rerun()
    st.warning("New builds are being published faster than this page can read them. Try again in a minute.")
    if st.button("Try again", key="refresh_try_again"):
        st.session_state[REFRESH_ATTEMPTS_KEY] = 0
        st.rerun()


def broken(error: Exception) -> None:
    """The published file cannot be read: say so plainly. It is not being refreshed; only a build fixes it."""
    st.title("Cart Recovery Warehouse")
    st.error(
        f"The published warehouse `{db.warehouse_path()}` cannot be read: the file is damaged (for example "
        "truncated or overwritten by hand). No build is replacing it right now.\n\n"
        "Run `make build` to build and publish it again; this page shows the figures as soon as that passes."
    )
    st.caption(f"Details: {error}")
    if st.button("Check again", key="broken_check_again"):
        st.rerun()


def unreadable() -> None:
    broken(st.session_state[BROKEN_KEY])


def sidebar_status(build: db.Build) -> None:
    facts = build_facts(build)
    with st.sidebar:
        st.divider()
        st.caption(
            f"**Data as of** {ui.fmt_timestamp(facts['as_of'])}  \n"
            f"**Published** {ui.fmt_timestamp(build.published_at)}  \n"
            f"**Amounts in** {facts['reporting_currency']}"
        )


try:
    build = db.current_build()
except db.WarehouseBrokenError as error:
    st.session_state[BROKEN_KEY] = error
    st.navigation([st.Page(unreadable, title="Warehouse unreadable", icon=":material/error:")]).run()
    st.stop()
if build is None:
    st.navigation([st.Page(nothing_published, title="Not published yet", icon=":material/hourglass_empty:")]).run()
    st.stop()

page = st.navigation(PAGES)
try:
    filters = ui.render_filters(build)
    sidebar_status(build)
    ui.set_context(build, filters)
    page.run()
    st.session_state[REFRESH_ATTEMPTS_KEY] = 0
except db.WarehouseRefreshingError:
    refreshing()
except db.WarehouseBrokenError as error:
    broken(error)
