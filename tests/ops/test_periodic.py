"""Issue 11 (18): periodic tasks never pile up; a dead worker's RUNNING task is reclaimed."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from billing.tasks import settle_usage
from tco_console.management.commands.tick import PERIODIC_TASKS
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _rows(task):
    return DBTaskResult.objects.filter(task_path=task.module_path)


def test_prod_two_ticks_queue_each_periodic_task_once():
    call_command("tick")
    call_command("tick")
    for task in PERIODIC_TASKS:
        assert _rows(task).count() == 1, task.name
        assert _rows(task).get().status == TaskResultStatus.READY


def test_prod_tick_skips_a_task_that_is_running():
    result = settle_usage.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(minutes=5)
    )
    call_command("tick")
    assert _rows(settle_usage).count() == 1
    assert _rows(settle_usage).get().status == TaskResultStatus.RUNNING


def test_prod_tick_reclaims_a_stale_running_task_and_enqueues_again(settings):
    settings.TASKS_STALE_AFTER_SECONDS = 600
    result = settle_usage.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(minutes=11)
    )
    call_command("tick")
    stale = DBTaskResult.objects.get(pk=result.id)
    assert stale.status == TaskResultStatus.FAILED
    assert stale.finished_at is not None
    assert "TASKS_STALE_AFTER_SECONDS=600" in stale.traceback
    assert stale.exception_class_path.endswith("StaleTaskReclaimed")
    fresh = _rows(settle_usage).exclude(pk=result.id)
    assert [r.status for r in fresh] == [TaskResultStatus.READY]


def test_prod_tick_enqueues_again_once_the_last_run_finished():
    call_command("tick")
    _rows(settle_usage).update(status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now())
    call_command("tick")
    assert _rows(settle_usage).filter(status=TaskResultStatus.READY).count() == 1


def test_prod_operators_see_stuck_tasks_in_the_admin(client, settings):
    settings.TASKS_STALE_AFTER_SECONDS = 600
    stuck = settle_usage.enqueue()
    DBTaskResult.objects.filter(pk=stuck.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )
    running = settle_usage.enqueue()
    DBTaskResult.objects.filter(pk=running.id).update(
        status=TaskResultStatus.RUNNING, started_at=timezone.now()
    )
    assert DBTaskResult in admin.site._registry
    operator = UserFactory(account=None, is_owner=False, is_staff=True, is_superuser=True)
    client.force_login(operator)
    page = client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist") + "?stuck=yes")
    assert page.status_code == 200
    shown = {str(r.pk) for r in page.context["cl"].result_list}
    assert shown == {str(stuck.id)}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_prod_two_ticks_at_once_queue_each_task_once():
    from tests.concurrency import run_concurrently

    results = run_concurrently(*[lambda: call_command("tick", stdout=StringIO())] * 2)
    assert [exc for _r, exc in results] == [None, None]
    for task in PERIODIC_TASKS:
        assert _rows(task).count() == 1, task.name
