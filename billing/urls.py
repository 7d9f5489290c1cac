from django.urls import path

from tco_console import converters  # noqa: F401  (registers uin, pk, order_no, instance_id)

from . import bill_views, invoice_views, views

app_name = "billing"

urlpatterns = [
    path("products/", views.products, name="products"),
    path("products/buy/", views.buy, name="buy"),
    path("products/activate/", views.activate, name="activate"),
    path("resources/<instance_id:instance_id>/renew/", views.resource_renew, name="resource_renew"),
    path(
        "resources/<instance_id:instance_id>/upgrade/",
        views.resource_upgrade,
        name="resource_upgrade",
    ),
    path(
        "resources/<instance_id:instance_id>/downgrade/",
        views.resource_downgrade,
        name="resource_downgrade",
    ),
    path(
        "resources/<instance_id:instance_id>/unsubscribe/",
        views.resource_unsubscribe,
        name="resource_unsubscribe",
    ),
    path(
        "resources/<instance_id:instance_id>/terminate/",
        views.resource_terminate,
        name="resource_terminate",
    ),
    path("pay-on-behalf/orders/", views.pay_on_behalf_orders, name="pay_on_behalf_orders"),
    path("pay-on-behalf/bills/", bill_views.pob_bills, name="pob_bills"),
    path("pay-on-behalf/bills/export.csv", bill_views.pob_bills_export, name="pob_bills_export"),
    path("orders/pay/", views.orders_pay_bulk, name="orders_pay_bulk"),
    path("orders/cancel/", views.orders_cancel_bulk, name="orders_cancel_bulk"),
    path("orders/<order_no:order_no>/pay/", views.order_pay, name="order_pay"),
    path("orders/<order_no:order_no>/cancel/", views.order_cancel, name="order_cancel"),
    path("orders/<order_no:order_no>/apply/", views.order_apply, name="order_apply"),
    path("billing/", views.billing_center, name="billing_center"),
    path("billing/top-up/", views.top_up, name="top_up"),
    path("billing/bills/export.csv", bill_views.self_paid_export, name="self_paid_export"),
    path(
        "billing/transactions/export.csv",
        views.transactions_export,
        name="transactions_export",
    ),
    path("billing/invoices/", invoice_views.invoices, name="invoices"),
    path("billing/invoices/request/", invoice_views.invoice_request, name="invoice_request"),
    path("messages/", views.message_center, name="messages"),
    path("messages/read-all/", views.messages_read_all, name="messages_read_all"),
    path("messages/<pk:pk>/", views.message_detail, name="message"),
]
