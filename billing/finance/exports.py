"""F4 consolidated bills: request an export, build it in the background, download it for 24
hours, then drop it.

Reach (F1) is checked three times: when the export is requested (a forged account is
refused, nothing is saved), when the task builds it (an account no longer in reach, say a
member that revoked 4, is left out and named in the export's note; if none is left, or the
requesting user may no longer export, the export fails), and on each download (a file holding
an account no longer in reach is refused until it is back in reach or the file expires).

The tasks are defined here, beside the services they run, and re-exported by billing.tasks:
the request service enqueues the build, and billing.tasks importing this module (not the
other way round) keeps the import graph acyclic.
"""

from __future__ import annotations

import datetime as dt
import io
import logging

from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing.models import BillExport, ExportMode, ExportStatus
from organizations.audit import audit_record
from organizations.locks import lock_org
from organizations.scoping import console_context
from tco_console.errors import DomainError
from tco_console.msg import Msg

from .export_files import (
    export_targets,
    line_count,
    month_range_error,
    with_windows,
    write_zip,
    zip_name,
)

logger = logging.getLogger(__name__)

KEEP = dt.timedelta(hours=24)  # F4: a file can be downloaded for 24 hours
MAX_IN_PROGRESS = 3  # exports of one organization queued or running at once
PROGRESS_EVERY = 2000  # lines between two progress updates
EXPIRED = "ResourceNotFound.ExportExpired"


def _uins(accounts) -> str | Msg:
    """The first ten UINs, then how many more, in each reader's language (issue 17)."""
    uins = [a.uin for a in accounts]
    text = ", ".join(uins[:10])
    if len(uins) <= 10:
        return text
    return Msg(gettext_noop("%(uins)s and %(n)d more"), uins=text, n=len(uins) - 10)


@transaction.atomic(durable=True)
def bill_export_request(
    *, organization, accounts, month_from: dt.date, month_to: dt.date, mode: str, acting_user
) -> BillExport:
    """F4: queue an export of the accounts' bill lines of the bill months. The accounts must
    be in the user's reach now (F1): this account, its pay-on-behalf members and the self-pay
    members granting 4."""
    organization = lock_org(organization)  # counts the exports in progress one at a time
    ctx = console_context(acting_user)
    if not (ctx.is_admin and ctx.organization_id == organization.pk):
        raise DomainError(
            _("Only the organization's admin account exports consolidated bills."),
            code="UnauthorizedOperation",
        )
    accounts = list(accounts)
    if not accounts:
        raise DomainError(_("Choose at least one account."), field="accounts")
    targets = export_targets(ctx)
    reachable = targets.by_id()
    outside = [a for a in accounts if a.pk not in reachable]
    if outside:
        raise DomainError(
            _(
                "You may not export the bills of %(uins)s: a member must be paid for by this "
                "account or grant permission 4 (consolidated bills)."
            )
            % {"uins": _uins(outside)},
            code="ResourceNotFound.AccountNotInReach",
            field="accounts",
        )
    month_from, month_to = month_from.replace(day=1), month_to.replace(day=1)
    problem = month_range_error(month_from, month_to, timezone.localdate())
    if problem:
        raise DomainError(problem[1], code="InvalidParameter.MonthRange", field=problem[0])
    if mode not in ExportMode.values:
        raise DomainError(_("Choose how the files are split."), field="mode")
    busy = BillExport.objects.filter(organization=organization).in_progress().count()
    if busy >= MAX_IN_PROGRESS:
        raise DomainError(
            _("%(n)d exports are being prepared already; wait until one is ready.") % {"n": busy},
            code="LimitExceeded.Exports",
        )
    chosen = targets.ordered(a.pk for a in accounts)
    export = BillExport.objects.create(
        organization=organization,
        account=ctx.account,
        requested_by=acting_user,
        account_ids=[t.account.pk for t in chosen],
        month_from=month_from,
        month_to=month_to,
        mode=mode,
        created_at=timezone.now(),
    )
    audit_record(
        actor=acting_user,
        action="bill_export.request",
        message=Msg(
            gettext_noop(
                "Requested consolidated bills of %(n)d account(s), %(a)s to %(b)s: %(uins)s"
            ),
            n=len(chosen),
            a=f"{month_from:%Y-%m}",
            b=f"{month_to:%Y-%m}",
            uins=_uins(t.account for t in chosen),
        ),
        organization=organization,
        target_account=ctx.account,
        obj=export,
        changes={
            "accounts": [t.uin for t in chosen[:100]],
            "account_count": len(chosen),
            "month_from": f"{month_from:%Y-%m}",
            "month_to": f"{month_to:%Y-%m}",
            "mode": mode,
        },
    )
    transaction.on_commit(lambda: build_bill_export.enqueue(export.pk))
    return export


# ------------------------------------------------------------------ build


def _fail(export_id: int, message: Msg) -> None:
    """Mark the export failed; the requester reads why in its language (issue 17)."""
    BillExport.objects.filter(pk=export_id, status=ExportStatus.RUNNING).update(
        status=ExportStatus.FAILED,
        error=message.english()[:300],
        error_i18n=message,
        finished_at=timezone.now(),
    )


def _requester_context(export: BillExport):
    """The requesting user's console context now, if it may still export this org's bills."""
    user = export.requested_by
    if user is None or not user.is_active:
        return None
    ctx = console_context(user)
    if not (
        ctx.is_admin
        and ctx.organization_id == export.organization_id
        and ctx.account.pk == export.account_id
    ):
        return None
    return ctx


def _build(export: BillExport) -> str:
    ctx = _requester_context(export)
    targets = export_targets(ctx) if ctx is not None else None
    if targets is None or targets.own is None:
        _fail(
            export.pk,
            Msg(gettext_noop("The user who asked for this export may no longer export bills.")),
        )
        return "failed"
    chosen = targets.ordered(export.account_ids)  # F1 again: reach now, at build time
    included = {t.account.pk for t in chosen}
    left_out = [pk for pk in export.account_ids if pk not in included]
    if not chosen:
        _fail(
            export.pk, Msg(gettext_noop("None of the chosen accounts is in reach any more (F1)."))
        )
        return "failed"
    chosen = with_windows(chosen, export.organization_id)
    span = (export.account_id, export.month_from, export.month_to)
    total = sum(line_count(t, *span) for t in chosen)
    BillExport.objects.filter(pk=export.pk).update(lines_total=total)

    def progress(n: int) -> None:
        BillExport.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(
            lines_written=n, lines_total=max(total, n)
        )

    out = io.BytesIO()
    written = write_zip(
        out,
        targets=chosen,
        payer_id=export.account_id,
        month_from=export.month_from,
        month_to=export.month_to,
        mode=export.mode,
        progress=progress,
        every=PROGRESS_EVERY,
    )
    note = None
    if left_out:
        note = Msg(gettext_noop("Left out, no longer in reach: %(n)d account(s)."), n=len(left_out))
    finished = timezone.now()
    data = out.getvalue()
    BillExport.objects.filter(pk=export.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE,
        account_ids=[t.account.pk for t in chosen],
        result=data,
        filename=zip_name(ctx.account.uin, export.month_from, export.month_to),
        size=len(data),
        lines_written=written,
        lines_total=written,
        finished_at=finished,
        expires_at=finished + KEEP,
        note=note.english() if note else "",
        note_i18n=note,
    )
    return "done"


def bill_export_build(export_id: int) -> str:
    """F4: build the ZIP of a queued export (once: the first run takes it from queued to
    running). Any error marks the export failed with a message; nothing is raised."""
    started = timezone.now()
    taken = BillExport.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
        status=ExportStatus.RUNNING, started_at=started
    )
    if not taken:
        return "skipped"
    try:
        export = BillExport.objects.select_related("requested_by").defer("result").get(pk=export_id)
        return _build(export)
    except Exception:
        logger.exception("Consolidated bills export %s failed", export_id)
        _fail(export_id, Msg(gettext_noop("The export could not be prepared. Request it again.")))
        return "failed"


# ------------------------------------------------------------------ download and expiry


@transaction.atomic(durable=True)
def bill_export_download(*, export: BillExport, acting_user) -> tuple[str, bytes]:
    """F4: the ZIP of a ready export, within 24 hours, audited (A4). Refused when it expired
    or holds an account no longer in the user's reach (F1)."""
    row = (
        BillExport.objects.filter(
            pk=export.pk, status=ExportStatus.DONE, expires_at__gt=timezone.now()
        )
        .only("pk", "result", "filename", "account_ids", "organization_id", "account_id")
        .first()
    )
    if row is None or row.result is None:
        raise DomainError(_("This file has expired."), code=EXPIRED)
    reachable = export_targets(console_context(acting_user)).by_id()
    if any(pk not in reachable for pk in row.account_ids):
        raise DomainError(
            _("The file holds an account that is no longer in reach. Request a new export."),
            code="ResourceNotFound.AccountNotInReach",
        )
    audit_record(
        actor=acting_user,
        action="bill_export.download",
        message=Msg(gettext_noop("Downloaded consolidated bills %(name)s"), name=row.filename),
        organization=export.organization,
        target_account=export.account,
        obj=row,
    )
    return row.filename, bytes(row.result)


def bill_exports_expire(now=None) -> int:
    """F4: drop the files older than 24 hours (status expired, bytes deleted); fail the
    exports whose worker died (running past the stale timeout) or that no worker took within
    24 hours. Idempotent single UPDATEs. Returns how many files were dropped."""
    now = now or timezone.now()
    dropped = BillExport.objects.filter(status=ExportStatus.DONE, expires_at__lte=now).update(
        status=ExportStatus.EXPIRED, result=None
    )
    stale = now - dt.timedelta(seconds=settings.TASKS_STALE_AFTER_SECONDS)
    BillExport.objects.filter(status=ExportStatus.RUNNING, started_at__lt=stale).update(
        status=ExportStatus.FAILED,
        error=(
            why := Msg(gettext_noop("The export stopped before it was ready. Request it again."))
        ).english(),
        error_i18n=why,
        finished_at=now,
    )
    BillExport.objects.filter(status=ExportStatus.QUEUED, created_at__lt=now - KEEP).update(
        status=ExportStatus.FAILED,
        error=(
            why := Msg(
                gettext_noop("No worker started the export within 24 hours. Request it again.")
            )
        ).english(),
        error_i18n=why,
        finished_at=now,
    )
    return dropped


# ------------------------------------------------------------------ tasks


@task()
def build_bill_export(export_id: int) -> str:
    """F4: build one export's ZIP (enqueued on commit of the request)."""
    return bill_export_build(export_id)


@task()
def expire_bill_exports() -> int:
    """F4: the periodic sweep (`manage.py tick`)."""
    return bill_exports_expire()
