"""The browser BrowserGym drives: the machine's own Chromium, launched once and shared, never downloaded.

BrowserGym launches two browsers on every ``reset`` (the task's and its chat's) through one global
Playwright instance, with Playwright's own downloaded Chromium. :func:`use_system_chromium` gives
it a Playwright whose ``chromium.launch`` starts the system's Chromium (``$WORKGYM_CHROMIUM``, else
for a headless launch Debian's ``chromium-headless-shell`` where it is installed, else
``/usr/bin/chromium``) once per set of launch options and hands out that one browser again: each
``close`` closes only the contexts it opened. A reset then costs a new context, not a new process.

The headless shell is the build Playwright itself drives for headless runs: the browser without
its windowing layer, less work per screenshot and per observation than ``chromium --headless``
(measured in benchmarks/bench_browser.py and docs/browser.md).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
"""Chromium flags for a headless browser that talks to loopback only."""


class BrowserNotFound(RuntimeError):
    """No Chromium on this machine (workgym never downloads one)."""


HEADLESS_SHELL = "chromium-headless-shell"
"""Debian's headless-only Chromium (``apt-get install chromium-headless-shell``), preferred when headless."""


def system_chromium(*, headless: bool = True) -> str:
    """The Chromium to drive: ``$WORKGYM_CHROMIUM``, else (headless) the headless shell, else ``chromium``.

    Args:
        headless: whether the launch is headless (only then can the headless shell serve).

    Raises:
        BrowserNotFound: none exists.
    """
    shell = shutil.which(HEADLESS_SHELL) if headless else None
    chosen = os.environ.get("WORKGYM_CHROMIUM") or shell or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chosen).exists():
        raise BrowserNotFound(
            f"no Chromium at {chosen}: install the system's (apt-get install chromium) "
            "or set WORKGYM_CHROMIUM; workgym never downloads a browser"
        )
    return chosen


class _SharedBrowser:
    """One launched browser handed out again; ``close`` closes only the contexts this handle opened."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser
        self._contexts: list[Any] = []

    def new_context(self, **kwargs: Any) -> Any:
        context = self._browser.new_context(**kwargs)
        self._contexts.append(context)
        return context

    def close(self) -> None:
        for context in self._contexts:
            context.close()
        self._contexts.clear()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


class _SystemChromium:
    """A ``BrowserType`` whose ``launch`` starts the system Chromium once per headless/slow-mo setting."""

    def __init__(self, chromium: Any, executable: str | None) -> None:
        self._chromium = chromium
        self._executable = executable
        self._launched: dict[tuple[bool, float], Any] = {}

    def launch(self, *, headless: bool = True, slow_mo: float | None = None, **kwargs: Any) -> _SharedBrowser:
        key = (bool(headless), float(slow_mo or 0))
        browser = self._launched.get(key)
        if browser is None or not browser.is_connected():
            args = [*FLAGS, *(a for a in kwargs.pop("args", None) or () if a not in FLAGS)]
            kwargs.setdefault("executable_path", self._executable or system_chromium(headless=headless))
            browser = self._chromium.launch(headless=headless, slow_mo=slow_mo, args=args, **kwargs)
            self._launched[key] = browser
        return _SharedBrowser(browser)

    def close(self) -> None:
        for browser in self._launched.values():
            browser.close()
        self._launched.clear()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._chromium, name)


class _Playwright:
    """Playwright with :class:`_SystemChromium` as its ``chromium``."""

    def __init__(self, playwright: Any, executable: str | None) -> None:
        self._playwright = playwright
        self.chromium = _SystemChromium(playwright.chromium, executable)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._playwright, name)


def use_system_chromium(executable: str | None = None) -> None:
    """Make BrowserGym launch the system Chromium, once, for every environment of this process.

    Idempotent. Call it before the first ``reset`` (:func:`workgym.browser.register_tasks` does).

    Args:
        executable: the Chromium to launch (default: :func:`system_chromium`'s choice per launch,
            the headless shell for a headless one where it is installed).

    Raises:
        BrowserNotFound: no Chromium on this machine.
    """
    import browsergym.core as core
    from playwright.sync_api import sync_playwright

    current = core._PLAYWRIGHT
    if isinstance(current, _Playwright):
        return
    if executable is None:
        system_chromium()  # fail now, not at the first reset
    playwright = current or sync_playwright().start()
    core._set_global_playwright(_Playwright(playwright, executable))


def close_browsers(*, stop: bool = False) -> None:
    """Close the shared browsers (they close with the process otherwise).

    Args:
        stop: also stop Playwright's driver and the agent sites' server. Playwright's sync API
            keeps an event loop running in this thread, so ``asyncio.run`` (an MCP client, an
            async server) fails here until it stops; the next :func:`use_system_chromium`
            starts it again.
    """
    import browsergym.core as core

    from workgym.browser.site import SITES

    if stop:
        SITES.stop()
    current = core._PLAYWRIGHT
    if isinstance(current, _Playwright):
        current.chromium.close()
        if stop:
            current._playwright.stop()
            core._set_global_playwright(None)


__all__ = [
    "FLAGS",
    "HEADLESS_SHELL",
    "BrowserNotFound",
    "close_browsers",
    "system_chromium",
    "use_system_chromium",
]
