"""A resource's status changes, and the history the usage meter reads (B8, B9).

A leaf of billing's services: orders, lifecycle and payg all change statuses, so the one
door for a status change lives below all three.
"""

from __future__ import annotations

from billing.models import Resource, ResourceStatusChange


def set_status(
    resources: list[Resource], *, status: str, reason: str = "", at, fields: tuple[str, ...] = ()
) -> None:
    """Every status change of a resource goes through here (B8, B9): it sets the status and
    suspension reason, saves them (with any other changed `fields`), and appends the change to
    the resources' status history, from which the usage meter reads each cycle. The caller has
    locked the resources; `at` is when the change happens (now)."""
    if not resources:
        return
    for res in resources:
        res.status, res.suspended_reason = status, reason
    Resource.objects.bulk_update(resources, ["status", "suspended_reason", *fields])
    ResourceStatusChange.objects.bulk_create(
        ResourceStatusChange(resource=res, status=status, suspended_reason=reason, at=at)
        for res in resources
    )
