"""SPEC §7, issue 11 (19): the background worker survives a database outage.

The shared PostgreSQL server is not restarted (other suites use it): the worker reaches it
through a small TCP proxy in this test, and the "outage" cuts every proxied connection and
refuses new ones for a few seconds, which is what the worker sees when PostgreSQL restarts or
stops.
"""

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from organizations.tasks import expire_invitations
from tco_console.management.commands.tick import PERIODIC_TASKS

ROOT = Path(__file__).resolve().parents[2]


class Proxy:
    """Forwards 127.0.0.1:<port> to the database server until cut; restores on `up()`."""

    def __init__(self, target):
        self.target = target
        self.port = None
        self.listener = None
        self.sockets = []
        self.lock = threading.Lock()

    def up(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port or 0))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def down(self):
        """The database 'stops': the listening socket closes and every connection drops."""
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self.sockets.clear()

    def _accept(self, listener):
        while True:
            try:
                client, _addr = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


def _url(port):
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@127.0.0.1:{port}/{db['NAME']}"


def _manage(*args, port, **kwargs):
    env = {
        **os.environ,
        "DATABASE_URL": _url(port),
        "DJANGO_SETTINGS_MODULE": "tco_console.settings_test",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        "DEBUG": "0",
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def _wait_done(result_id, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = DBTaskResult.objects.get(pk=result_id)
        if row.status == TaskResultStatus.SUCCESSFUL:
            return True
        time.sleep(0.2)
    return False


WORKER = os.environ.get("TCO_TEST_WORKER_COMMAND", "worker")  # "db_worker" shows the defect


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_prod_worker_survives_a_database_outage():
    db = settings.DATABASES["default"]
    proxy = Proxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    proxy.up()
    worker = _manage(
        WORKER, "--no-reload", "--interval", "0.2", "--no-startup-delay", port=proxy.port
    )
    try:
        first = expire_invitations.enqueue()
        assert _wait_done(first.id, 15), "the worker never ran a task"

        proxy.down()  # PostgreSQL "restarts": connections drop, new ones are refused
        time.sleep(4)
        assert worker.poll() is None, "the worker died with the database"
        proxy.up()

        after = expire_invitations.enqueue()
        assert _wait_done(after.id, 20), "the worker did not go on after the outage"
        assert worker.poll() is None

        # tick, through the same proxy after the outage, enqueues; the worker runs it all
        tick = _manage("tick", port=proxy.port)
        out, _ = tick.communicate(timeout=30)
        assert tick.returncode == 0, out
        assert "enqueued expire_invitations" in out
        ticked = DBTaskResult.objects.exclude(pk__in=[first.id, after.id])
        ids = list(ticked.values_list("pk", flat=True))
        assert len(ids) == len(PERIODIC_TASKS)  # one of each periodic task
        for pk in ids:
            assert _wait_done(pk, 20)
        assert worker.poll() is None
    finally:
        worker.terminate()
        try:
            out, _ = worker.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            worker.kill()
            out, _ = worker.communicate()
        proxy.down()
    assert "Database unavailable" in out
