"""Temporary shim, issue 12 sweep: request scoping lives in `organizations.scoping` now.

It reads organizations' models, so it belongs to that layer, not to the kernel (layers.md
§3.3, Step A). This re-export keeps the callers outside this change working
(billing/models/catalog.py, billing/models/orders.py) until the integrator points them at
`organizations.scoping`; then this file is deleted (the kernel imports no app).
"""

from organizations.scoping import (  # noqa: F401
    ConsoleContext,
    ConsoleContextMiddleware,
    ScopedQuerySet,
    console_context,
    forget_console_context,
    object_or_404,
    require_perm,
)
