"""The survey page in a real headless browser on a phone-sized screen: Debian's chromium and chromedriver through
Selenium, against uvicorn serving the web role on a free port. Stars clicked, a comment typed, the form sent; the
answer is in the database and the owner told of the low score.

Without chromium the tests skip saying why, unless SALESBOT_REQUIRE_BROWSER=1 (CI), which makes that a failure.
SALESBOT_SURVEY_SCREENSHOT=docs/survey.png saves the filled-in page (the README's picture).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.surveys import Door
from bot.web import Parts, build
from handlers.context import Settings
from handlers.core import Core
from sales import surveys
from sales.demo import load_demo
from storage.models import Customer, Outbox, Survey, User
from tests.conftest import FakeClock
from tests.standins.web import in_thread

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
REQUIRE = os.environ.get("SALESBOT_REQUIRE_BROWSER") == "1"
PHONE = (390, 844)  # CSS pixels of a common phone
pytestmark = pytest.mark.slow


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless chromium at a phone's size; skipped (or failed, in CI) when it is not installed."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not (Path(p).exists() or shutil.which(Path(p).name))]
    if missing:
        reason = (f"{', '.join(missing)} not installed: apt-get install -y chromium chromium-driver "
                  "(the survey page's browser test)")
        if REQUIRE:
            pytest.fail("SALESBOT_REQUIRE_BROWSER=1 but " + reason)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={PHONE[0]},{PHONE[1]}", "--lang=zh-CN", "--hide-scrollbars"):
        options.add_argument(arg)
    options.add_experimental_option("mobileEmulation", {
        "deviceMetrics": {"width": PHONE[0], "height": PHONE[1], "pixelRatio": 2.0, "touch": True}})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)  # selenium-manager not asked
    try:
        yield driver
    finally:
        driver.quit()


def _wait(browser: Any, element_id: str) -> Any:
    """The element once the page showing it has loaded (a form post's answer)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.ID, element_id)))


def _survey(engine: Engine, now: Any, lang: str | None) -> str:
    load_demo(engine, customers=4, now=now, activities_per_customer=0)
    with Session(engine) as s:
        alice = s.exec(select(User).where(col(User.name) == "alice")).one()
        c = s.exec(select(Customer).where(col(Customer.owner_id) == alice.id)).first()
        assert c is not None
        made = surveys.offer(s, customer_id=c.id or 0, subject_kind="order", subject_id=1024, owner=alice, now=now,
                             lang=lang)
        s.commit()
        return made.token


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)  # the database's part is tested on both elsewhere
def test_a_customer_answers_on_a_phone(browser: Any, engine: Engine, clock: FakeClock) -> None:
    from selenium.webdriver.common.by import By

    token = _survey(engine, clock(), "zh")
    core = Core(engine, clock=clock, settings=Settings(default_lang="zh", company_name="华东智造"))
    with in_thread(build(Parts(engine=engine, core=core, survey_door=Door(limit=50)))) as url:
        browser.get(f"{url}/s/{token}")
        assert "您对订单 #1024满意吗？" in browser.find_element(By.TAG_NAME, "h1").text
        assert browser.execute_script("return window.innerWidth") == PHONE[0]
        assert browser.execute_script("return document.documentElement.scrollWidth") <= PHONE[0]  # no sideways
        star = browser.find_element(By.CSS_SELECTOR, "label[for=s2]")
        assert star.size["width"] >= 44 and star.size["height"] >= 40  # a finger's size
        star.click()
        assert browser.find_element(By.ID, "s2").is_selected()
        browser.find_element(By.ID, "comment").send_keys("安装师傅迟到了两个小时，包装也破了。")
        shot = os.environ.get("SALESBOT_SURVEY_SCREENSHOT")
        if shot:
            browser.save_screenshot(shot)
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        assert "谢谢" in _wait(browser, "thanks").text
        browser.get(f"{url}/s/{token}")  # the link is used now
        assert browser.find_elements(By.ID, "unavailable")
    with Session(engine) as s:
        (row,) = s.exec(select(Survey)).all()
        assert (row.score, row.comment) == (2, "安装师傅迟到了两个小时，包装也破了。")
        assert len(s.exec(select(Outbox)).all()) == 2  # alice and her manager


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_the_form_is_not_sent_without_stars(browser: Any, engine: Engine, clock: FakeClock) -> None:
    from selenium.webdriver.common.by import By

    token = _survey(engine, clock(), "en")
    core = Core(engine, clock=clock, settings=Settings(default_lang="zh"))
    with in_thread(build(Parts(engine=engine, core=core, survey_door=Door(limit=50)))) as url:
        browser.get(f"{url}/s/{token}")
        assert "How satisfied are you with order #1024?" in browser.find_element(By.TAG_NAME, "h1").text
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()  # the browser asks for a star first
        assert browser.find_elements(By.CSS_SELECTOR, "form") and not browser.find_elements(By.ID, "thanks")
        browser.find_element(By.CSS_SELECTOR, "label[for=s5]").click()
        browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        assert "Thank you" in _wait(browser, "thanks").text
    with Session(engine) as s:
        assert [r.score for r in s.exec(select(Survey)).all()] == [5]
