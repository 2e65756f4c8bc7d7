"""Constants and helpers shared by the world tests."""

from __future__ import annotations

from workgym.world import Episode

CUTOFF = "2024-04-01T09:00:00+00:00"
"""A cutoff in the middle of the sample's three months."""

ME = "P0003"
"""The persona of most tests: Daniel Okafor, a backend engineer."""


def call(episode: Episode, name: str, **arguments: object) -> str:
    """Run a tool and return its text, failing the test on an error observation."""
    obs = episode.step({"name": name, "arguments": arguments})
    assert obs.info["error"] is None, obs.text
    return obs.text
