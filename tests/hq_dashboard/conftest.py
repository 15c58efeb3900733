"""A district HQ served by the real `counter hq serve`, staff accounts, and Debian's chromium via playwright."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from counter.hq import staff
from tests.stats.district import make_district
from tests.sync.fixtures import HQServer

ADMIN, VIEWER = "张科长", "lee.viewer"
PASSWORD = "correct horse battery"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Screenshots stay here for a person to look at (COUNTER_SCREENSHOTS overrides).
SHOTS = Path(os.environ.get("COUNTER_SCREENSHOTS", "/tmp/counter-dashboard-screenshots"))


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    root = tmp_path_factory.mktemp("dash")
    store, url, key_dir, stations = make_district(root, {"HP-01": 300, "HP-02": 200, "SH-01": 120})
    staff.add_user(store, ADMIN, "admin", PASSWORD)
    staff.add_user(store, VIEWER, "viewer", PASSWORD)
    server = HQServer(url, key_dir).start()
    yield store, server, stations
    server.stop()
    for st in stations.values():
        st.close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed (tests/system-packages.txt lists it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    pg = context.new_page()
    yield pg
    context.close()


def sign_in(page, server, name=ADMIN, password=PASSWORD):
    page.goto(f"{server.url}/dash/health")
    page.fill("#name", name)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("#submit")


def shot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5000
    return path
