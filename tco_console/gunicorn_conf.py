"""gunicorn's settings for README's production start:

    gunicorn tco_console.wsgi -c tco_console/gunicorn_conf.py --bind 0.0.0.0:8000

A flag on the command line overrides any of them; `WEB_CONCURRENCY` sets the number of worker
processes.

Measured with `manage.py bench_load` (issue 16: 20 signed-in clients reading the main pages) on
a 2-core machine, where a page costs tens of milliseconds of CPU in Python and PostgreSQL runs
beside gunicorn: the work is CPU-bound, so processes beyond the cores only queue for the same
cores (3, 4 and 5 sync workers served no more than 2 processes of 4 threads, which used the
least CPU a request), while threads let a process go on with another request while one waits
for PostgreSQL. gthread workers also keep connections alive (sync workers close each one), a
slow client holds a thread rather than a whole process, and two processes take half the memory
of four.
"""

import gc
import itertools
import os

# One process per core, each serving up to `threads` requests at once.
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
worker_class = "gthread"
threads = 4
# Seconds an idle keep-alive connection is kept (a proxy in front reuses its connections).
keepalive = 5

# The app is imported once, in the master, and what it made is frozen before each fork: the
# workers' collector then never walks Django's own thousands of long-lived objects (and the
# pages holding them stay shared between the processes).
preload_app = True


def pre_fork(server, worker):
    gc.collect()
    gc.freeze()


# What a worker builds on its first requests and keeps (compiled templates, URL patterns, static
# files' headers: ~50,000 objects) is frozen too, once built: left to the collector, each full
# collection walked it all (~20 ms, every ~130 requests, issue 16), on whichever request it
# fell. Collected first, so no garbage is frozen; requests after the last of these only add
# what they cache for good (a template not asked for before), left to the collector.
FREEZE_AFTER = frozenset({10, 100, 1000})
_served = itertools.count(1)  # per worker: the master serves no request, workers start at 1


def post_request(worker, req, environ, resp):
    if next(_served) in FREEZE_AFTER:
        gc.collect()
        gc.freeze()
