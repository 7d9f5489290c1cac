"""Issue 16, target 3: `manage.py bench --load` / `bench_load` start gunicorn as README's
production section does, sign clients in through the login form and read pages over
keep-alive connections, then report throughput, latencies and errors, and stop gunicorn."""

import http.client
import re
from pathlib import Path

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password
from django.db import connection

from billing import bench_load

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "bench-load-pw-2026"


def production_password(*users):
    """The production settings hash with PBKDF2 (the tests' MD5 is not among their hashers)."""
    encoded = make_password(PASSWORD, hasher=PBKDF2PasswordHasher())  # once: it takes a while
    for user in users:
        user.password = encoded
        user.save(update_fields=["password"])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # gunicorn reads the rows from its own connections
def test_load_reads_pages_signed_in_through_gunicorn_and_counts_errors(admin, pob_member):
    production_password(admin, pob_member)
    lines = []
    result = bench_load.run_load(
        lines.append,
        database_url=bench_load.database_url(connection.settings_dict),
        users={"admin": (admin.username, PASSWORD), "member": (pob_member.username, PASSWORD)},
        urls=[
            ("admin", "/"),
            ("admin", "/members/"),
            ("member", "/pay-on-behalf/orders/"),
            ("member", "/members/"),  # A1: a member's users may not manage members: 403
        ],
        clients=2,
        seconds=2,
        warmup=0.5,
        workers=1,
    )
    started = next(line for line in lines if line.startswith("starting:"))
    assert "-c tco_console/gunicorn_conf.py --bind 127.0.0.1:" in started
    assert result["requests"] > 0 and result["rps"] > 0
    assert {key: page["count"] > 0 for key, page in result["pages"].items()} == {
        ("admin", "/"): True,
        ("admin", "/members/"): True,
        ("member", "/pay-on-behalf/orders/"): True,
        ("member", "/members/"): True,
    }
    # the member's forbidden page is every error, and each is listed with its status
    assert result["errors"] == result["pages"][("member", "/members/")]["count"]
    assert result["error_samples"]
    assert all(s.startswith("member /members/: 403") for s in result["error_samples"])
    assert result["p50"] <= result["p95"] <= result["p99"]
    assert 0 <= result["loadgen_cpu"] <= 1
    # gunicorn is stopped: nothing answers on its port any more
    port = int(re.search(r"--bind 127\.0\.0\.1:(\d+)", started).group(1))
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    with pytest.raises(OSError):
        conn.request("GET", "/accounts/login/")
    report = "\n".join(bench_load.format_report(result))
    assert "requests/s" in report and "NOT met" in report  # errors: the targets are not met


def test_load_starts_gunicorn_with_readmes_production_line():
    """The same command as README's "Production-like start" (and CI's prod_smoke.sh), bound
    to loopback instead of every interface."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Production-like start", 1)[1].split("\n## ", 1)[0]
    line = next(
        line.split("  #", 1)[0].strip()
        for line in section.splitlines()
        if line.startswith(".venv/bin/gunicorn")
    )
    command = bench_load.gunicorn_command(port=8123, workers=None)
    command[0] = str(Path(command[0]).relative_to(ROOT))
    assert " ".join(command) == line.replace("0.0.0.0:${PORT:-8000}", "127.0.0.1:8123")


def test_load_database_url_of_a_connections_settings():
    settings = {"USER": "tco", "PASSWORD": "p@ss/word", "HOST": "", "PORT": "", "NAME": "db_x"}
    assert bench_load.database_url(settings) == "postgresql://tco:p%40ss%2Fword@127.0.0.1:5432/db_x"


def test_load_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert bench_load.percentile(values, 50) == 50
    assert bench_load.percentile(values, 95) == 95
    assert bench_load.percentile(values, 99) == 99
    assert bench_load.percentile([7.0], 99) == 7
    assert bench_load.percentile([], 95) == 0
