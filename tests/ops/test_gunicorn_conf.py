"""README's production start (tco_console/gunicorn_conf.py): what a worker builds on its first
requests is frozen once built, after a collection, so full collections stop walking it (issue
16: they had cost ~20 ms each, every ~130 requests, on whichever request they fell)."""

import gc
import itertools

from tco_console import gunicorn_conf


def test_a_worker_collects_then_freezes_after_its_10th_100th_and_1000th_request(monkeypatch):
    calls = []
    monkeypatch.setattr(gunicorn_conf, "_served", itertools.count(1))  # a new worker
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append(("collect", served[0])))
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(("freeze", served[0])))
    served = [0]
    for n in range(1, 1501):
        served[0] = n
        gunicorn_conf.post_request(None, None, {}, None)
    assert calls == [(step, n) for n in (10, 100, 1000) for step in ("collect", "freeze")]
