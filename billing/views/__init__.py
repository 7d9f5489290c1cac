"""Billing pages (SPEC §5), one module per page or sub-domain (issue 12: no file over 600
lines). `billing.urls` names each view by its module (`orders.order_pay`), so a module and a
view may share a name (`invoices.invoices`) without one hiding the other."""
