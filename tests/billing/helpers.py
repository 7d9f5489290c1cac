"""Helpers for billing tests: catalog lookups, funding, and reading balances from the ledger."""

from decimal import Decimal

from django.db.models import Sum

from billing import services
from billing.models import Entry, Product, Region, Spec, Wallet
from billing.models.choices import Book

D = Decimal


def spec(code: str) -> Spec:
    return Spec.objects.select_related("product").get(code=code)


def product(code: str) -> Product:
    return Product.objects.get(code=code)


def region(code: str = "ap-guangzhou") -> Region:
    return Region.objects.get(code=code)


def fund(user_or_account, amount, actor=None):
    account = getattr(user_or_account, "account", user_or_account)
    services.wallet_top_up(account=account, amount=D(amount), acting_user=actor)


def cash(account) -> Decimal:
    account = getattr(account, "account", account)
    wallet = Wallet.objects.filter(account=account).first()
    return wallet.cash if wallet else D("0.00")


def ledger_cash(account) -> Decimal:
    account = getattr(account, "account", account)
    total = Entry.objects.filter(account=account, book=Book.CASH).aggregate(s=Sum("amount"))["s"]
    return total or D("0.00")


def buy(user, code="S5.MEDIUM4", months=1, **kw):
    return services.order_buy(
        owner=user.account, acting_user=user, spec=spec(code), region=region(), months=months, **kw
    )
