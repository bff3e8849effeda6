"""Cart Recovery Warehouse dashboard (placeholder): what the published warehouse holds."""

from __future__ import annotations

import db
import streamlit as st

st.set_page_config(page_title="Cart Recovery Warehouse", layout="wide")
st.title("Cart Recovery Warehouse")

version = db.publish_version()
if version is None:
    st.info(
        f"Nothing is published yet at `{db.warehouse_path()}`. "
        "Run `make build` (or `make run`) to build and publish the warehouse."
    )
    st.stop()

st.caption(f"Published warehouse: `{db.warehouse_path()}`")
tables = db.table_row_counts(version)
st.metric("Tables", len(tables))
st.dataframe(tables, hide_index=True, use_container_width=True)
