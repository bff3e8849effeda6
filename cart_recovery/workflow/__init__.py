"""The exception workflow beside the warehouse: deliveries to owners' routes and owners' actions (docs/workflow.md)."""
