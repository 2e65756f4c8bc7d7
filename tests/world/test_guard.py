"""The network guard: which hosts count as loopback, where tokens come from, when a bind is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from workgym.world.guard import TOKEN_ENV, ExposureError, check_exposure, is_loopback, load_token


@pytest.mark.parametrize(
    "host, loopback",
    [
        ("127.0.0.1", True),  # the usual
        ("127.8.9.10", True),  # all of 127/8 is loopback
        ("::1", True),  # IPv6
        ("[::1]", True),  # IPv6 as written in a URL
        ("localhost", True),  # the name
        ("0.0.0.0", False),  # every interface
        ("::", False),  # every IPv6 interface
        ("192.168.1.20", False),  # a LAN address
        ("example.org", False),  # a name that is not localhost
    ],
)
def test_when_a_host_is_classified_then_only_loopback_counts(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_when_binding_beyond_loopback_then_a_token_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    check_exposure("127.0.0.1", None)
    check_exposure("0.0.0.0", "t" * 16)
    with pytest.raises(ExposureError, match="--token-file"):
        check_exposure("0.0.0.0", None)


def test_when_tokens_are_loaded_then_file_beats_environment_and_short_ones_fail(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert load_token(None) is None
    monkeypatch.setenv(TOKEN_ENV, "e" * 20)
    assert load_token(None) == "e" * 20
    good = tmp_path / "token"
    good.write_text("f" * 24 + "\n")
    assert load_token(good) == "f" * 24
    short = tmp_path / "short"
    short.write_text("abc")
    with pytest.raises(ExposureError, match="at least 16"):
        load_token(short)
    with pytest.raises(ExposureError, match="cannot read"):
        load_token(tmp_path / "missing")
