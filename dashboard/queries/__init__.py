"""The dashboard's queries, one module per domain: recovery, exceptions, reconciliation, health.

Each function runs its SQL through `db.query` and is cached with `st.cache_data` (see db.py); views import the
functions they show from here, e.g. `from queries.recovery import recovery_kpis`.
"""
