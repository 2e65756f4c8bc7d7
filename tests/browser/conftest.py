"""The browser tests share one Chromium per module, then stop Playwright for the tests after them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="module")
def _stop_playwright_after() -> Iterator[None]:
    """Playwright's sync API holds a running event loop in this thread: stop it after each module."""
    yield
    from workgym.browser.chromium import close_browsers

    with contextlib.suppress(ImportError):  # browsergym-core not installed: nothing was started
        close_browsers(stop=True)
