"""Billing pages (SPEC §5), one module per page or sub-domain (issue 12: no file over 600
lines): products, resources, orders (pay-on-behalf order management), center (Billing Center),
bills (B11), invoices (B12), messages; `_common` holds what several of them share.

Thin views (STYLE.md): authenticate, authorize (`require_perm`), fetch through `restrict()`
(out of scope → 404, A2), parse a form, call one service, respond through `form_view` or
`table_page`. Money actions answer with `MONEY_EVENTS`, which the lists and balance cards on
every billing page listen for.

`billing.urls` names each view by its module (`orders.order_pay`), so a module and a view may
share a name (`invoices.invoices`) without one hiding the other.
"""
