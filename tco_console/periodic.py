"""Periodic tasks never pile up, and a dead worker's task is reclaimed (SPEC §7, issue 11).

`manage.py tick` runs every minute and calls `enqueue_periodic` for each periodic task. A task
is enqueued only when no equal one (same task path) is waiting (READY) or running (RUNNING):
when settling takes longer than a minute, the next tick finds it running and skips it.

A worker killed in the middle of a task (or one that lost the database) leaves its row RUNNING
for ever. A RUNNING row started more than `TASKS_STALE_AFTER_SECONDS` ago is taken for such a
one: it is marked FAILED with the reason in its traceback, and the periodic task is enqueued
again. Every periodic task is idempotent and locks what it changes, so if the "stale" worker
was only slow and is still running, the two runs do the work once (settlement: one
UsageSettlement per resource and cycle). Operators see stuck tasks in the admin (Task results,
filter "Stuck").
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import connections, router, transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult


class StaleTaskReclaimed(Exception):
    """The exception class recorded on a reclaimed task (it is never raised)."""


def stale_cutoff(now=None):
    """RUNNING rows started before this moment are stale."""
    return (now or timezone.now()) - timedelta(seconds=settings.TASKS_STALE_AFTER_SECONDS)


def stuck_tasks(now=None):
    """Task rows RUNNING for longer than the stale timeout (what operators look for)."""
    return DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, started_at__lt=stale_cutoff(now)
    )


def reclaim_stale(*, task_path: str | None = None, now=None) -> int:
    """Mark stale RUNNING rows FAILED, saying why; return how many."""
    now = now or timezone.now()
    rows = stuck_tasks(now)
    if task_path is not None:
        rows = rows.filter(task_path=task_path)
    limit = settings.TASKS_STALE_AFTER_SECONDS
    return rows.update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        exception_class_path=f"{__name__}.{StaleTaskReclaimed.__qualname__}",
        traceback=(
            f"Reclaimed by manage.py tick at {now.isoformat()}: RUNNING for longer than "
            f"TASKS_STALE_AFTER_SECONDS={limit}; its worker died or lost the database."
        ),
    )


def enqueue_periodic(task, *, now=None) -> tuple[object | None, int]:
    """Enqueue `task` unless an equal one is queued or running: (result or None, reclaimed)."""
    if not isinstance(task.get_backend(), DatabaseBackend):
        return task.enqueue(), 0
    using = router.db_for_write(DBTaskResult)
    with transaction.atomic(using=using):
        if connections[using].vendor == "postgresql":
            # Two ticks at once (cron on two machines) check and enqueue one at a time.
            with connections[using].cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [task.module_path])
        reclaimed = reclaim_stale(task_path=task.module_path, now=now)
        pending = DBTaskResult.objects.filter(
            task_path=task.module_path,
            status__in=[TaskResultStatus.READY, TaskResultStatus.RUNNING],
        ).exists()
        return (None if pending else task.enqueue()), reclaimed
