"""F12, F13: the Fund transfer page (permission 3). The admin account's users with
view_finance see the self-pay members that grant 3 and the transfers; those with
manage_finance transfer funds in and take unspent funds back. `?account=<UIN>` shows one
member: 404 when it does not grant 3 now (F1). Members get 403 on the page: they see
transfers in their transaction details and message center (B13)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from organizations.scoping import object_or_404
from tco_console.htmx import is_partial
from tco_console.viewkit import bound_data, form_view, require_admin

from ..finance import transfers as svc
from ..finance.reach import member_reach
from ..forms import FundTransferForm
from ..models import FundTransfer, Wallet
from ..tables import RecentTransferTable, TransferMemberTable, TransferRecordTable
from ..templatetags.billing_tags import format_cny

EVENTS = ("transfersChanged", "balanceChanged")


def _url(uin: str = "") -> str:
    base = reverse("billing:transfers")
    return f"{base}?account={uin}" if uin else base


@login_required
def transfers(request):
    require_admin(request, "billing.view_finance")
    ctx = request.console
    admin_wallet = Wallet.objects.filter(account=ctx.account).first()
    can_manage = ctx.can("billing.manage_finance")
    context = {
        "admin_wallet": admin_wallet,
        "transferable": svc.transferable(admin_wallet),
        "can_manage": can_manage,
    }
    uin = (request.GET.get("account") or "").strip()
    if uin:
        reach = member_reach(ctx, uin, svc.PERM)  # 404 unless it grants 3 now
        wallet = Wallet.objects.filter(account=reach.account).first()
        records = TransferRecordTable(
            svc.records_of(reach.account, ctx.account).select_related("created_by"),
            revocable=lambda record: svc.revocable(record, wallet),
            can_manage=can_manage,
        )
        _paginate(request, records)
        context |= {"member": reach.membership, "wallet": wallet, "records": records}
    else:
        members = TransferMemberTable(svc.transfer_members(ctx), can_manage=can_manage)
        recent = RecentTransferTable(
            FundTransfer.objects.filter(source=ctx.account).select_related(
                "target__membership", "created_by"
            ),
            prefix="recent-",
        )
        _paginate(request, members, recent)
        context |= {"members": members, "recent": recent}
    template = "billing/transfers.html#region" if is_partial(request) else "billing/transfers.html"
    return render(request, template, context)


def _paginate(request, *tables):
    for table in tables:
        RequestConfig(request, paginate={"per_page": table._meta.per_page}).configure(table)


@login_required
def transfer_in(request, uin):
    reach = member_reach(request.console, uin, svc.PERM)  # A2: 404 before 403
    require_admin(request, "billing.manage_finance")
    member = reach.membership
    form = FundTransferForm(bound_data(request))

    def on_valid(form):
        d = form.cleaned_data
        record = svc.fund_transfer_in(
            membership=member,
            amount=d["amount"],
            acting_user=request.user,
            idempotency_key=d["idempotency_key"],
        )
        return _("Transferred %(amount)s to %(name)s.") % {
            "amount": format_cny(record.amount),
            "name": member.name,
        }

    can = svc.transferable(Wallet.objects.filter(account=request.console.account).first())
    return form_view(
        request,
        form=form,
        title=_("Transfer funds to %(name)s") % {"name": member.name},
        description=_(
            "Moves cash from this account to %(name)s (%(uin)s). You can transfer up to "
            "%(can)s now. The member can spend the funds but not transfer them on; you can "
            "take back what it has not spent."
        )
        % {"name": member.name, "uin": member.account.uin, "can": format_cny(can)},
        submit_label=_("Transfer"),
        on_valid=on_valid,
        success_url=_url(member.account.uin),
        events=EVENTS,
    )


@login_required
def take_back(request, pk):
    # A2: another account's record is a 404 first; then 403 without manage_finance
    record = object_or_404(FundTransfer.objects.select_related("target"), request, "change", pk=pk)
    require_admin(request, "billing.manage_finance")
    reach = member_reach(request.console, record.target.uin, svc.PERM)  # 3 still granted
    wallet = Wallet.objects.filter(account=reach.account).first()
    can = svc.revocable(record, wallet)
    form = FundTransferForm(bound_data(request), initial={"amount": can or None})

    def on_valid(form):
        d = form.cleaned_data
        done = svc.fund_take_back(
            record=record,
            amount=d["amount"],
            acting_user=request.user,
            idempotency_key=d["idempotency_key"],
        )
        return _("Took back %(amount)s from %(name)s.") % {
            "amount": format_cny(done.amount),
            "name": reach.membership.name,
        }

    return form_view(
        request,
        form=form,
        title=_("Take back funds from %(name)s") % {"name": reach.membership.name},
        description=_(
            "Of the %(amount)s transferred on %(date)s, %(can)s can be taken back now: what "
            "remains of it, within the member's unspent transferred funds and its available "
            "balance."
        )
        % {
            "amount": format_cny(record.amount),
            "date": timezone.localtime(record.created_at).strftime("%Y-%m-%d"),
            "can": format_cny(can),
        },
        submit_label=_("Take back"),
        on_valid=on_valid,
        success_url=_url(record.target.uin),
        events=EVENTS,
    )
