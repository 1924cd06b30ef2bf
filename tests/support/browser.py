"""A real browser for the web pages: Debian's headless Chromium, driven by Selenium.

Selenium blocks, so every step runs in a thread: the service under test shares the event
loop. Without Chromium a test skips, except under CI, where a missing browser is a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import pytest

T = TypeVar("T")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


def browser_or_skip() -> None:
    """Skip when there is no browser here (fail under CI, which must install one)."""
    if os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER):
        return
    if os.environ.get("CI"):
        pytest.fail(
            "Chromium and ChromeDriver are required under CI (apt: chromium chromium-driver)"
        )
    pytest.skip("no Chromium here: apt-get install chromium chromium-driver")


class Browser:
    """One headless Chromium window."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    async def run(self, step: Callable[[Any], T]) -> T:
        """Run one blocking step with the driver, off the event loop."""
        return await asyncio.to_thread(step, self.driver)


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Start headless Chromium with a fresh profile; quit it at the end."""
    browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="appealbot-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)

    def start() -> Any:
        return webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)

    driver = await asyncio.to_thread(start)
    try:
        yield Browser(driver)
    finally:
        await asyncio.to_thread(driver.quit)
        shutil.rmtree(profile, ignore_errors=True)
