"""What serves a browser episode: one loopback server for every open site, and which Chromium is launched.

The sites' server is exercised over real HTTP on loopback with two agent sites open at once: each
request reaches the site whose token it carries, a request with none (or a closed site's) gets
the guard's 403 with its headers, and a site's own guard still checks Host and form token. The
Chromium choice is checked against real files on a PATH made for the test.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip(
    "browsergym.core",
    reason='browsergym-core not installed: pip install --no-deps "browsergym-core==0.14.*" && pip install -e ".[browsergym]"',
)

from workgym.browser.chromium import HEADLESS_SHELL, BrowserNotFound, system_chromium
from workgym.browser.site import SiteServer, agent_site
from workgym.browser.task import open_episode
from workgym.tasks import Task
from workgym.world import World


def _two_tasks(tasks: list[Task]) -> tuple[Task, Task]:
    persona = [t for t in tasks if t.persona]
    first = persona[0]
    second = next(t for t in persona if t.persona != first.persona)
    return first, second


def test_when_two_sites_are_open_then_each_request_reaches_the_site_whose_token_it_carries(
    anon_world: World, sample_tasks: tuple[list[Task], Any]
) -> None:
    one, two = _two_tasks(sample_tasks[0])
    server = SiteServer()
    try:
        with open_episode(anon_world, one) as first, open_episode(anon_world, two) as second:
            app_one = agent_site(anon_world, one, first, token="a" * 32)
            app_two = agent_site(anon_world, two, second, token="b" * 32)
            with server.mounted(app_one) as base, server.mounted(app_two) as same_base:
                assert base == same_base and base.startswith("http://127.0.0.1:")
                names = {}
                for token, who in (("a" * 32, one.persona), ("b" * 32, two.persona)):
                    page = httpx.get(base + "/", headers={"Authorization": f"Bearer {token}"})
                    assert page.status_code == 200
                    names[token] = page.text
                    assert (
                        anon_world.facts.name(str(who)) in page.text
                    )  # the banner names this site's persona
                assert names["a" * 32] != names["b" * 32]
                # the start address stores the token in a cookie, and the cookie then finds the site
                with httpx.Client(base_url=base) as browser:
                    start = browser.get("/?token=" + "b" * 32)
                    assert start.status_code == 303 and start.cookies
                    assert anon_world.facts.name(str(two.persona)) in browser.get("/").text
                refused = httpx.get(base + "/")
                assert refused.status_code == 403
                assert "default-src 'none'" in refused.headers["content-security-policy"]
                wrong_host = httpx.get(
                    base + "/", headers={"Authorization": "Bearer " + "a" * 32, "Host": "evil.example"}
                )
                assert wrong_host.status_code == 400  # the site's own guard still checks the Host
                post = httpx.post(
                    base + "/op/ask_user",
                    data={"question": "q"},
                    cookies={f"workgym-viewer-{base.rsplit(':', 1)[1]}": "a" * 32},
                )
                assert post.status_code == 403  # a form without the form token is refused
            assert httpx.get(base + "/", headers={"Authorization": "Bearer " + "a" * 32}).status_code == 403
    finally:
        server.stop()


def _executable(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_when_the_headless_shell_is_installed_then_a_headless_launch_uses_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WORKGYM_CHROMIUM", raising=False)
    full = _executable(tmp_path, "chromium")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert system_chromium() == str(full)  # no headless shell: the full browser
    shell = _executable(tmp_path, HEADLESS_SHELL)
    assert system_chromium() == str(shell)
    assert system_chromium(headless=False) == str(full)  # a window needs the full browser
    chosen = _executable(tmp_path, "my-chromium")
    monkeypatch.setenv("WORKGYM_CHROMIUM", str(chosen))
    assert system_chromium() == str(chosen)  # the variable wins
    monkeypatch.setenv("WORKGYM_CHROMIUM", str(tmp_path / "absent"))
    with pytest.raises(BrowserNotFound, match="never downloads"):
        system_chromium()
