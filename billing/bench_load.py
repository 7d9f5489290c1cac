"""Throughput under load (issue 16, target 3): the console behind gunicorn, started as README's
"Production-like start" says, read by many signed-in clients at once.

`run_load()` collects the static files into a temporary STATIC_ROOT, starts
`.venv/bin/gunicorn tco_console.wsgi -c tco_console/gunicorn_conf.py` on a free port of
127.0.0.1 with the production settings (DEBUG=0) made plain-HTTP as README says for a trial
without a proxy, waits until it answers, signs each client in through the real login form
(the CSRF token from the form, then a POST), then lets `clients` threads read the given pages
over keep-alive connections: `warmup` seconds not counted, then `seconds` counted. It reports
requests a second, p50/p95/p99 latencies, errors (any answer but 200, or an exception) and
what the load generator itself cost in CPU, and stops gunicorn whatever happens (an error,
Ctrl-C).

Only loopback: gunicorn binds 127.0.0.1 and the clients speak to nothing else. The clients are
threads with one `http.client` connection each (standard library, no parsing beyond the
status line and headers): cheap, because they share the machine's cores with gunicorn and
PostgreSQL.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
GUNICORN_CONF = "tco_console/gunicorn_conf.py"
HOST = "127.0.0.1"
LOGIN_PATH = "/accounts/login/"
# README "Production-like start": DEBUG=0 without a TLS proxy in front.
PLAIN_HTTP = {
    "SECURE_SSL_REDIRECT": "0",
    "SECURE_COOKIES": "0",
    "SECURE_HSTS_SECONDS": "0",
    "SECURE_PROXY_SSL_HEADER": "",
}
REQUEST_TIMEOUT = 30.0
STARTUP_TIMEOUT = 60.0
ERRORS_LISTED = 5

# A page the clients read: (role, path). `users` maps each role to (username, password).
Page = tuple[str, str]
# The main pages as admins and members read them (issue 16): the roles are billing.scale's
# admin (the payer), member (pay-on-behalf) and selfpay (a member that pays for itself).
MAIN_PAGES: list[Page] = [
    ("admin", "/"),
    ("admin", "/members/"),
    ("admin", "/pay-on-behalf/orders/"),
    ("admin", "/pay-on-behalf/bills/?tab=members"),
    ("admin", "/billing/"),
    ("admin", "/billing/?tab=transactions"),
    ("member", "/"),
    ("member", "/pay-on-behalf/orders/"),
    ("member", "/pay-on-behalf/bills/?tab=products"),
    ("member", "/billing/?tab=transactions"),
    ("selfpay", "/"),
    ("selfpay", "/billing/?tab=bills"),
    ("selfpay", "/billing/?tab=transactions"),
]


class LoadError(Exception):
    """The load could not be run (gunicorn did not start, a client could not sign in)."""


def database_url(settings_dict: dict) -> str:
    """The DATABASE_URL of a Django connection's settings (`connection.settings_dict`), for
    the gunicorn that run_load starts: e.g. the bench's own database once it is loaded."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(settings_dict.get("HOST") or "127.0.0.1", safe="")  # a socket folder too
    port = settings_dict.get("PORT") or 5432
    return f"postgresql://{auth}{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (the value at or below which p % of the values lie)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), -(-len(ordered) * p // 100)))
    return ordered[int(rank) - 1]


# ----------------------------------------------------------------------------- gunicorn


def gunicorn_env(*, database_url: str, static_root: str) -> dict[str, str]:
    """The environment of README's production start, plain HTTP on loopback."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SECURE_", "TRUSTED_PROXY", "SIGNIN_", "GUNICORN_"))
        and k not in {"DJANGO_SETTINGS_MODULE", "TCO_INSECURE_DEV_KEY", "TCO_PLAIN_STATIC"}
    }
    env.update(
        PLAIN_HTTP,
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY") or _secret_key(),
        ALLOWED_HOSTS=HOST,
        STATIC_ROOT=static_root,
        DJANGO_SETTINGS_MODULE="tco_console.settings",
    )
    return env


def _secret_key() -> str:
    import secrets

    return secrets.token_urlsafe(50)


def gunicorn_command(*, port: int, workers: int | None) -> list[str]:
    """README's production line (`--bind 0.0.0.0:${PORT}`), bound to loopback instead."""
    command = [str(GUNICORN), "tco_console.wsgi", "-c", GUNICORN_CONF, "--bind", f"{HOST}:{port}"]
    if workers is not None:
        command += ["--workers", str(workers)]
    return command


def collectstatic(env: dict[str, str]) -> None:
    """README's `manage.py collectstatic --noinput`, into the temporary STATIC_ROOT."""
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise LoadError(f"collectstatic failed:\n{result.stderr[-2000:]}")


@contextlib.contextmanager
def gunicorn(*, database_url: str, workers: int | None, write: Callable[[str], None]):
    """Start gunicorn as README says, yield (port, pid), stop it (SIGTERM, then SIGKILL to its
    process group) however the block ends."""
    with tempfile.TemporaryDirectory(prefix="tco-bench-load-") as tmp:
        env = gunicorn_env(database_url=database_url, static_root=str(Path(tmp) / "static"))
        collectstatic(env)
        port = free_port()
        log_path = Path(tmp) / "gunicorn.log"
        command = gunicorn_command(port=port, workers=workers)
        write(f"starting: {' '.join(command[1:])} (DEBUG=0, plain HTTP, loopback)")
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches us, not gunicorn; we stop it
            )
        try:
            _wait_until_up(port, process, log_path)
            yield port, process.pid
        finally:
            _stop(process)


def _wait_until_up(port: int, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LoadError(f"gunicorn exited ({process.returncode}):\n{_tail(log_path)}")
        conn = http.client.HTTPConnection(HOST, port, timeout=5)
        try:
            conn.request("GET", LOGIN_PATH)
            status = conn.getresponse().status
        except OSError:
            time.sleep(0.2)
            continue
        finally:
            conn.close()
        if status == 200:
            return
        raise LoadError(f"gunicorn answered {status} on {LOGIN_PATH}:\n{_tail(log_path)}")
    raise LoadError(f"gunicorn did not answer in {STARTUP_TIMEOUT:.0f} s:\n{_tail(log_path)}")


def _tail(path: Path, size: int = 3000) -> str:
    try:
        return path.read_bytes()[-size:].decode("utf-8", "replace")
    except OSError:
        return ""


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # graceful: workers finish what they serve
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # any worker left behind
    if process.poll() is None:
        process.wait(timeout=5)


def process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by `pid` and its live children (gunicorn's
    master and workers), read from /proc; 0.0 where /proc is not there."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def _children(pid: int) -> list[int]:
    found = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            found += [int(c) for c in text]
    return found


def database_cpu(database: str) -> float:
    """CPU seconds used so far by the PostgreSQL server for `database` on this machine: its
    live backends (`postgres: user database host(port) …`), plus what the postmaster's exited
    children used (backends of every database that closed their connection, and a few server
    processes: an approximation when other databases are busy too). 0.0 where /proc is not
    there or the server is elsewhere."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    postmasters = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")[0].decode()
            if not cmdline.startswith("postgres: ") or f" {database} " not in cmdline:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
        postmasters.add(fields[1])
    for pid in postmasters:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[13]) + int(fields[14])) / tick  # cutime, cstime
    return total


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values) - idle) / tick, sum(values) / tick


# ------------------------------------------------------------------------------ clients


class Client:
    """One browser: a keep-alive connection and its cookies (kept by hand: a few names)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        headers = {"Host": f"{HOST}:{self.port}", "Accept-Encoding": "identity"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://{HOST}:{self.port}"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            content = response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()  # the next request opens a fresh connection
            raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        if response.will_close:
            self.conn.close()
        return response.status, content

    def sign_in(self, username: str, password: str) -> None:
        """The login form as a browser fills it: GET (CSRF cookie and token), then POST."""
        status, html = self.request("GET", LOGIN_PATH)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        if status != 200 or not token:
            raise LoadError(f"{username}: the login page answered {status} without a form")
        body = urlencode(
            {
                "csrfmiddlewaretoken": token.group(1).decode(),
                "username": username,
                "password": password,
            }
        )
        status, html = self.request("POST", LOGIN_PATH, body)
        if status != 302 or "sessionid" not in self.cookies:
            raise LoadError(
                f"{username}: sign-in answered {status}, not a redirect with a session: "
                f"{html[:200]!r}"
            )

    def close(self) -> None:
        self.conn.close()


@dataclass
class Sample:
    began: float  # monotonic, when the request was sent
    ms: float
    url: str
    role: str
    status: int | None  # None: an exception
    detail: str = ""


@dataclass
class Shared:
    stop: float  # monotonic: no request is sent from then on
    samples: list[Sample] = field(default_factory=list)
    sign_in_errors: list[str] = field(default_factory=list)
    ready: threading.Barrier | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def _client_loop(port, role, credentials, pages, offset, shared: Shared) -> None:
    client = Client(port)
    try:
        try:
            client.sign_in(*credentials)
        except Exception as error:  # reported by run_load, which then stops
            with shared.lock:
                shared.sign_in_errors.append(f"{role}: {type(error).__name__}: {error}")
        try:
            shared.ready.wait()  # everyone signed in (or failed): the clock starts together
        except threading.BrokenBarrierError:
            return
        if shared.sign_in_errors:
            return
        mine = []
        i = offset
        while True:
            began = time.monotonic()
            if began >= shared.stop:
                break
            url = pages[i % len(pages)]
            i += 1
            try:
                status, body = client.request("GET", url)
                detail = "" if status == 200 else body[:120].decode("utf-8", "replace")
            except (http.client.HTTPException, OSError) as error:
                status, detail = None, f"{type(error).__name__}: {error}"
            mine.append(Sample(began, (time.monotonic() - began) * 1000, url, role, status, detail))
        with shared.lock:
            shared.samples += mine
    finally:
        client.close()


def run_load(
    write: Callable[[str], None],
    *,
    database_url: str,
    users: dict[str, tuple[str, str]],
    urls: list[Page],
    clients: int = 20,
    seconds: float = 30,
    warmup: float = 5,
    workers: int | None = None,
) -> dict:
    """Read `urls` ((role, path) pairs) from `clients` concurrent signed-in clients against
    gunicorn started as README says on `database_url`; see the module's docstring.

    Client i reads as role i mod (the roles of `urls`, in their first order), going round its
    role's pages from its own offset. Returns a dict: rps, p50/p95/p99 (ms), requests, errors,
    error_samples (the first few), pages ({(role, path): {count, p50, p95}}), loadgen_cpu (the
    generator's share of the machine's cores during the timed window), gunicorn_cpu and
    machine_cpu (the same for gunicorn and for the whole machine), gunicorn_cpu_ms and
    database_cpu_ms (CPU a request, gunicorn's and about PostgreSQL's), workers. Raises
    LoadError when gunicorn does not start or a client cannot sign in."""
    if clients < 1 or seconds <= 0 or warmup < 0:
        raise ValueError("clients ≥ 1, seconds > 0, warmup ≥ 0")
    roles = list(dict.fromkeys(role for role, _ in urls))
    missing = [role for role in roles if role not in users]
    if not roles or missing:
        raise ValueError(f"every role of urls needs a user; missing: {missing or 'all'}")
    pages = {role: [path for r, path in urls if r == role] for role in roles}
    write = write or (lambda line: None)
    database = unquote(urlsplit(database_url).path.lstrip("/"))

    with gunicorn(database_url=database_url, workers=workers, write=write) as (port, pid):
        shared = Shared(stop=float("inf"), ready=threading.Barrier(clients + 1))
        threads = []
        for i in range(clients):
            role = roles[i % len(roles)]
            thread = threading.Thread(
                target=_client_loop,
                args=(port, role, users[role], pages[role], i // len(roles), shared),
                name=f"bench-load-{i}",
                daemon=True,
            )
            threads.append(thread)
            thread.start()
        write(f"signing in {clients} clients ({', '.join(roles)}) through the login form")
        began = time.monotonic()
        try:
            try:
                shared.ready.wait(timeout=REQUEST_TIMEOUT * 2 + clients)
            except threading.BrokenBarrierError:
                raise LoadError("the clients did not sign in in time") from None
            now = time.monotonic()
            window = (now + warmup, now + warmup + seconds)
            shared.stop = window[1]
            if shared.sign_in_errors:
                errors = "; ".join(shared.sign_in_errors[:ERRORS_LISTED])
                raise LoadError(f"sign-in failed: {errors}")
            write(
                f"signed in ({now - began:.1f} s); warm-up {warmup:g} s, "
                f"then {seconds:g} s counted, {clients} clients, keep-alive"
            )
            time.sleep(warmup)
            cpu0 = _cpu_now(pid, database)
            time.sleep(seconds)
            cpu1 = _cpu_now(pid, database)
        finally:
            shared.stop = 0.0  # on an error or Ctrl-C too: no client sends another request
            shared.ready.abort()  # releases clients still waiting to start, if any
            for thread in threads:
                thread.join(timeout=REQUEST_TIMEOUT + 5)
        stuck = sum(thread.is_alive() for thread in threads)
        if stuck:
            raise LoadError(f"{stuck} clients waited {REQUEST_TIMEOUT:.0f} s for an answer")
    return _report(shared, window, cpu0, cpu1, clients=clients, workers=workers)


def _cpu_now(pid: int, database: str) -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    busy, total = machine_cpu()
    return {
        "wall": time.monotonic(),
        "self": usage.ru_utime + usage.ru_stime,
        "gunicorn": process_tree_cpu(pid),
        "database": database_cpu(database),
        "busy": busy,
        "total": total,
    }


def _report(shared: Shared, window, cpu0, cpu1, *, clients, workers) -> dict:
    start, end = window
    seconds = end - start
    counted = [s for s in shared.samples if start <= s.began < end]
    times = [s.ms for s in counted]
    failed = [s for s in counted if s.status != 200]
    cores = os.cpu_count() or 1
    wall = cpu1["wall"] - cpu0["wall"]
    machine = cpu1["total"] - cpu0["total"]

    def share(key: str) -> float:
        # of all the machine's cores over the window (1.0 = every core busy all along)
        return (cpu1[key] - cpu0[key]) / (wall * cores) if wall > 0 else 0.0

    def per_request(key: str) -> float:
        return (cpu1[key] - cpu0[key]) * 1000 / len(counted) if counted else 0.0

    by_page: dict[tuple[str, str], list[float]] = {}
    for s in counted:
        by_page.setdefault((s.role, s.url), []).append(s.ms)
    return {
        "clients": clients,
        "workers": workers,
        "seconds": seconds,
        "requests": len(counted),
        "rps": len(counted) / seconds,
        "p50": statistics.median(times) if times else 0.0,
        "p95": percentile(times, 95),
        "p99": percentile(times, 99),
        "errors": len(failed),
        "error_samples": [
            f"{s.role} {s.url}: {s.status or 'exception'} {s.detail}".strip()
            for s in failed[:ERRORS_LISTED]
        ],
        "pages": {
            key: {"count": len(v), "p50": statistics.median(v), "p95": percentile(v, 95)}
            for key, v in by_page.items()
        },
        # CPU time per counted request, whatever else the machine was doing: gunicorn's (the
        # web tier) and PostgreSQL's for this database (approximate, see database_cpu)
        "gunicorn_cpu_ms": per_request("gunicorn"),
        "database_cpu_ms": per_request("database"),
        "loadgen_cpu": share("self"),
        "gunicorn_cpu": share("gunicorn"),
        "machine_cpu": (cpu1["busy"] - cpu0["busy"]) / machine if machine > 0 else 0.0,
    }


def format_report(result: dict) -> list[str]:
    """The report as lines: per page, then the totals and the targets of issue 16."""
    lines = [f"{'role':<8} {'page':<52} {'n':>5} {'p50':>7} {'p95':>7}"]
    for (role, url), page in sorted(result["pages"].items()):
        lines.append(
            f"{role:<8} {url[:52]:<52} {page['count']:>5} {page['p50']:7.0f} {page['p95']:7.0f}"
        )
    lines.append(
        f"load: {result['clients']} clients, {result['seconds']:g} s: {result['requests']} "
        f"requests, {result['rps']:.1f} requests/s, p50 {result['p50']:.0f} ms, p95 "
        f"{result['p95']:.0f} ms, p99 {result['p99']:.0f} ms, {result['errors']} errors"
    )
    lines += [f"  error: {line}" for line in result["error_samples"]]
    lines.append(
        f"cpu (share of all cores): machine {result['machine_cpu']:.0%}, gunicorn "
        f"{result['gunicorn_cpu']:.0%}, load generator {result['loadgen_cpu']:.1%}; a request "
        f"cost {result['gunicorn_cpu_ms']:.1f} ms of gunicorn's CPU and about "
        f"{result['database_cpu_ms']:.1f} ms of PostgreSQL's"
    )
    met = result["rps"] >= 50 and result["p95"] <= 1000 and result["errors"] == 0
    lines.append(
        f"targets: ≥ 50 requests/s, p95 ≤ 1000 ms, 0 errors: {'met' if met else 'NOT met'}"
    )
    return lines
