from django.urls import path

from tco_console import converters  # noqa: F401  (registers uin, pk, order_no, instance_id)

from .views import (
    bills,
    budgets,
    center,
    costs,
    credit,
    exports,
    invoices,
    messages,
    orders,
    products,
    resources,
    transfers,
)

app_name = "billing"

urlpatterns = [
    path("products/", products.products, name="products"),
    path("products/buy/", products.buy, name="buy"),
    path("products/activate/", products.activate, name="activate"),
    path(
        "resources/<instance_id:instance_id>/renew/",
        resources.resource_renew,
        name="resource_renew",
    ),
    path(
        "resources/<instance_id:instance_id>/upgrade/",
        resources.resource_upgrade,
        name="resource_upgrade",
    ),
    path(
        "resources/<instance_id:instance_id>/downgrade/",
        resources.resource_downgrade,
        name="resource_downgrade",
    ),
    path(
        "resources/<instance_id:instance_id>/unsubscribe/",
        resources.resource_unsubscribe,
        name="resource_unsubscribe",
    ),
    path(
        "resources/<instance_id:instance_id>/terminate/",
        resources.resource_terminate,
        name="resource_terminate",
    ),
    path("pay-on-behalf/orders/", orders.pay_on_behalf_orders, name="pay_on_behalf_orders"),
    path("pay-on-behalf/bills/", bills.pob_bills, name="pob_bills"),
    path("pay-on-behalf/bills/export.csv", bills.pob_bills_export, name="pob_bills_export"),
    path("orders/pay/", orders.orders_pay_bulk, name="orders_pay_bulk"),
    path("orders/cancel/", orders.orders_cancel_bulk, name="orders_cancel_bulk"),
    path("orders/<order_no:order_no>/pay/", orders.order_pay, name="order_pay"),
    path("orders/<order_no:order_no>/cancel/", orders.order_cancel, name="order_cancel"),
    path("orders/<order_no:order_no>/apply/", orders.order_apply, name="order_apply"),
    path("billing/", center.billing_center, name="billing_center"),
    path("billing/top-up/", center.top_up, name="top_up"),
    path("billing/bills/export.csv", bills.self_paid_export, name="self_paid_export"),
    path(
        "billing/transactions/export.csv",
        center.transactions_export,
        name="transactions_export",
    ),
    path("billing/exports/", exports.bill_exports, name="bill_exports"),  # F4
    path(
        "billing/exports/<pk:pk>/download/",
        exports.bill_export_download,
        name="bill_export_download",
    ),
    path("billing/cost-analysis/", costs.cost_analysis, name="cost_analysis"),
    path(
        "billing/cost-analysis/export.csv", costs.cost_analysis_export, name="cost_analysis_export"
    ),
    path("billing/transfers/", transfers.transfers, name="transfers"),  # F12
    path("billing/transfers/<uin:uin>/in/", transfers.transfer_in, name="transfer_in"),
    path("billing/transfers/<pk:pk>/take-back/", transfers.take_back, name="take_back"),
    path("billing/invoices/", invoices.invoices, name="invoices"),
    path("billing/invoices/request/", invoices.invoice_request, name="invoice_request"),
    # F16: saved invoice titles (`?account=<UIN>`: a member's, for the admin with 5)
    path("billing/invoices/titles/add/", invoices.invoice_title_add, name="invoice_title_add"),
    path(
        "billing/invoices/titles/<pk:pk>/edit/",
        invoices.invoice_title_edit,
        name="invoice_title_edit",
    ),
    path(
        "billing/invoices/titles/<pk:pk>/delete/",
        invoices.invoice_title_delete,
        name="invoice_title_delete",
    ),
    path(
        "billing/invoices/members/<uin:uin>/request/",
        invoices.member_invoice_request,
        name="member_invoice_request",
    ),
    path(
        "billing/invoices/members/<uin:uin>/self-invoicing/",
        invoices.member_self_invoicing,
        name="member_self_invoicing",
    ),
    path("billing/budgets/", budgets.budgets, name="budgets"),
    path("billing/budgets/create/", budgets.budget_create, name="budget_create"),
    path("billing/budgets/<pk:pk>/", budgets.budget_detail, name="budget_detail"),
    path("billing/budgets/<pk:pk>/edit/", budgets.budget_edit, name="budget_edit"),
    path("billing/budgets/<pk:pk>/delete/", budgets.budget_delete, name="budget_delete"),
    path("billing/credit/", credit.credit, name="credit"),  # F14, F15
    path("billing/credit/allocate/", credit.credit_allocate, name="credit_allocate"),
    path("messages/", messages.message_center, name="messages"),
    path("messages/read-all/", messages.messages_read_all, name="messages_read_all"),
    path("messages/<pk:pk>/", messages.message_detail, name="message"),
]
