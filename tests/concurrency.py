"""Run callables at the same moment in real threads, each on its own database connection."""

import threading

from django.db import connections


def run_concurrently(*fns, timeout: float = 30):
    """Start all callables together; return a list of (result, exception) in call order."""
    barrier = threading.Barrier(len(fns))
    results: list = [None] * len(fns)

    def runner(i, fn):
        try:
            barrier.wait(timeout=timeout)
            results[i] = (fn(), None)
        except Exception as exc:
            results[i] = (None, exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results
