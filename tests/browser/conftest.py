"""Browser-test plumbing: the system Chromium (never `playwright install`), the live server,
logging in as a person does, and screenshots at the steps worth looking at.

Run in its own process:
    DJANGO_ALLOW_ASYNC_UNSAFE=1 .venv/bin/python -m pytest -m browser tests/browser -q

Every page a test opens is watched: an uncaught JavaScript error fails a test that otherwise
passed, and a failing (or xfailing) test leaves a screenshot of each of its pages.
"""

import contextlib
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser_support import find_chromium

SHOTS_DIR = Path("/tmp/browser-shots")
# Auto-waiting budgets: htmx swaps here take a few hundred ms at most.
EXPECT_TIMEOUT_MS = 7_000
ACTION_TIMEOUT_MS = 10_000

PAGES = pytest.StashKey[list]()
JS_ERRORS = pytest.StashKey[list]()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch arguments, pointed at the system Chromium."""
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium found: install Debian's 'chromium' package or set CHROMIUM")
    return {
        **browser_type_launch_args,
        "executable_path": executable,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_next_to_playwright():
    """Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
    there unless told it is safe (it is: the calls are sequential). Scoped to these tests."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "1"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session", autouse=True)
def _expect_timeout():
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 900}}


def _test_name(item) -> str:
    return re.sub(r"[^\w.-]+", "_", item.originalname)


def _screenshot(page, path: Path) -> Path:
    SHOTS_DIR.mkdir(parents=True, exist_ok=True)
    # animations="disabled" finishes Bootstrap's fades, so a modal is not caught half-drawn.
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


# Every Content-Security-Policy violation (the live server sends the production CSP) is
# reported to the console, where _watch collects it as an error.
CSP_WATCH = """document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline")
    + " at " + e.sourceFile + ":" + e.lineNumber);
});"""


def _csp_error(text: str) -> bool:
    return text.startswith("CSP violation") or "Content Security Policy" in text


def _watch(item, page):
    """Remember the page and record its uncaught JavaScript errors and CSP violations (see
    the hook below)."""
    item.stash.setdefault(PAGES, []).append(page)
    errors = item.stash.setdefault(JS_ERRORS, [])
    page.on("pageerror", lambda error: errors.append(f"{page.url}: {error.stack or error}"))
    page.add_init_script(CSP_WATCH)
    page.on(
        "console",
        lambda msg: errors.append(f"{page.url}: {msg.text}") if _csp_error(msg.text) else None,
    )
    page.set_default_timeout(ACTION_TIMEOUT_MS)
    return page


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Screenshot every page of a failing test; fail a passing test that left an uncaught
    JavaScript error or a CSP violation (the person met a broken page even where no assertion
    looked)."""
    try:
        result = yield
    except BaseException:
        for n, page in enumerate(item.stash.get(PAGES, []), start=1):
            with contextlib.suppress(PlaywrightError):
                _screenshot(page, SHOTS_DIR / f"{_test_name(item)}-failure-{n}.png")
        raise
    errors = item.stash.get(JS_ERRORS, [])
    assert not errors, "JavaScript error(s) or CSP violation(s) in the page:\n" + "\n".join(errors)
    return result


@pytest.fixture
def page(request, page, live_server):
    """pytest-playwright's page; requesting it starts the live server (and a transactional db,
    which the live server's thread shares with the test)."""
    return _watch(request.node, page)


@pytest.fixture
def new_page(request, browser, browser_context_args, live_server):
    """new_page() opens a page in a fresh browser context: a second person, another computer."""
    contexts = []

    def make():
        context = browser.new_context(**browser_context_args)
        contexts.append(context)
        return _watch(request.node, context.new_page())

    yield make
    for context in contexts:
        context.close()


def login(page, live_server, username, password):
    """Sign in through the login form, as a person does, and land on the overview."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


@pytest.fixture
def shot(request):
    """shot(page, "step") saves /tmp/browser-shots/<test-name>-<step>.png (full page)."""
    name = _test_name(request.node)

    def take(page, step):
        return _screenshot(page, SHOTS_DIR / f"{name}-{step}.png")

    return take
