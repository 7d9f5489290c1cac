"""Periodic work run by django-tasks-db workers (`manage.py db_worker`), enqueued by `tick`."""

from django.tasks import task

from . import services


@task()
def expire_invitations() -> int:
    """O5: pending invitations older than 15 days become expired. Idempotent."""
    total = 0
    while True:
        n = services.invitations_expire()
        total += n
        if n == 0:
            return total


@task()
def expire_permission_changes() -> int:
    """F17: changes awaiting a member's consent for 15 days become expired. Idempotent."""
    total = 0
    while True:
        n = services.permission_changes_expire()
        total += n
        if n == 0:
            return total


@task()
def prune_api_rate_windows() -> int:
    """Issue 15: drop the API's per-second request counts older than a minute (no request
    counts them any more)."""
    import time

    from .models import ApiRateWindow

    deleted, _ = ApiRateWindow.objects.filter(second__lt=int(time.time()) - 60).delete()
    return deleted
