"""The sign-up, confirm and unsubscribe pages in a real browser, as a reader uses them."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from emulator import BotApiEmulator
from storage.enums import SubscriberState
from tests.support.browser import chromium
from tests.support.mail import body, link, publish_appeal, subscriber
from tests.support.smtp import Sink

MAY_DAY = 3


def text_of(driver: Any) -> str:
    """Return the page's text; "" while the page is being replaced by the next one."""
    try:
        return str(driver.find_element(By.TAG_NAME, "body").text)
    except WebDriverException as exc:
        # The body found belonged to the page that was just left (a navigation in between).
        if "does not belong to the document" in str(exc):
            return ""
        raise


def shows(expected: str) -> Callable[[Any], bool]:
    """Wait (in the browser's thread) until the page that loads says ``expected``."""

    def step(driver: Any) -> bool:
        wait = WebDriverWait(driver, 10, ignored_exceptions=[StaleElementReferenceException])
        return bool(wait.until(lambda d: expected in text_of(d)))

    return step


async def test_sign_up_confirm_and_unsubscribe_in_a_browser(
    mail_bot: tuple[BotApiEmulator, str], seeded_url: str, sink: Sink
) -> None:
    _, web = mail_bot
    async with chromium() as browser:
        await browser.run(lambda d: d.get(f"{web}/subscribe"))
        assert await browser.run(shows("Urgent appeals by email"))
        # The page's style is allowed by its hash alone, and it does apply: the trap for
        # robots is out of sight.
        trap = await browser.run(lambda d: d.find_element(By.ID, "website").rect)
        assert trap["x"] < -1000, trap

        def sign_up(driver: Any) -> None:
            driver.find_element(By.ID, "email").send_keys("browser@example.org")
            driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

        await browser.run(sign_up)
        assert await browser.run(shows("a confirmation link is on its way"))
        [confirmation] = await sink.wait_for(1)
        await browser.run(lambda d: d.get(link(body(confirmation), "/email/confirm/")))
        assert await browser.run(shows("Start getting urgent appeals"))
        found = await subscriber(seeded_url, "browser@example.org")
        assert found is not None
        assert found.state is SubscriberState.PENDING, "opening the page changes nothing"
        await browser.run(lambda d: d.find_element(By.TAG_NAME, "button").click())
        assert await browser.run(shows("Confirmed"))
        found = await subscriber(seeded_url, "browser@example.org")
        assert found is not None
        assert found.state is SubscriberState.ACTIVE

        await publish_appeal(seeded_url, MAY_DAY)
        [_, appeal] = await sink.wait_for(2)
        unsubscribe = link(body(appeal), "/email/unsubscribe/")
        await browser.run(lambda d: d.get(unsubscribe))
        assert await browser.run(shows("Stop getting appeals"))
        found = await subscriber(seeded_url, "browser@example.org")
        assert found is not None
        assert found.state is SubscriberState.ACTIVE, "opening the page changes nothing"
        await browser.run(lambda d: d.find_element(By.TAG_NAME, "button").click())
        assert await browser.run(shows("No more appeals will be sent"))
        assert await subscriber(seeded_url, "browser@example.org") is None, "the address is gone"
        assert re.search(r"/email/unsubscribe/", unsubscribe)
