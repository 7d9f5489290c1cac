"""`manage.py worker`: django-tasks-db's `db_worker` that survives a database outage.

`db_worker` exits on the first connection error (PostgreSQL restarted or stopped), and with
it settlement, expiry and the arrears sweep stop. This worker runs the same loop; when the
database is gone it closes its connections, waits (1 s, doubling up to 30 s) and goes on,
logging each attempt. A task that was running when the connection broke stays RUNNING and is
reclaimed by `tick` after TASKS_STALE_AFTER_SECONDS (tco_console/periodic.py). Every option of
db_worker is accepted. SIGTERM / Ctrl-C stop it as they stop db_worker.
"""

import logging
import time

from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.management.commands import db_worker
from django_tasks_db.utils import is_locked_database_exception

logger = logging.getLogger("django_tasks_db")

BACKOFF_START = 1.0
BACKOFF_MAX = 30.0


class SurvivingWorker(db_worker.Worker):
    def run(self) -> None:
        delay = BACKOFF_START
        while self.running:
            started = time.monotonic()
            try:
                return super().run()
            except (OperationalError, InterfaceError) as error:
                if is_locked_database_exception(error):  # SQLite busy: try again shortly
                    time.sleep(0.1)
                    continue
                if time.monotonic() - started > BACKOFF_MAX:
                    delay = BACKOFF_START  # it ran a good while: a fresh outage
                logger.warning(
                    "Database unavailable (%s); worker %s retries in %.0f s",
                    (str(error).strip().splitlines() or [type(error).__name__])[0],
                    self.worker_id,
                    delay,
                )
                for conn in connections.all(initialized_only=True):
                    try:
                        conn.close()
                    except Exception:  # a dead connection may fail to close
                        conn.connection = None
                time.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
        return None


class Command(db_worker.Command):
    help = "Run the background worker; it survives database restarts (reconnects and goes on)."

    def handle(self, *args, **options):
        # db_worker.Command.handle builds `Worker(...)` by its module-level name: run it with
        # ours, so every option and signal behaves exactly as db_worker's.
        original = db_worker.Worker
        db_worker.Worker = SurvivingWorker
        try:
            return super().handle(*args, **options)
        finally:
            db_worker.Worker = original
