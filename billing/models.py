"""Billing models arrive with the billing-core issue (ledger, catalog, orders)."""
