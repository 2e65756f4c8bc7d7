"""The MCP face, through the `mcp` SDK's own client: over stdio (a real subprocess) and streamable HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from tests.world.helpers import CUTOFF, ME
from workgym.world import World
from workgym.world.mcp_server import META_KEY, STATE_URI, http_app
from workgym.world.server import running

TOKEN = "mcp-test-token-0123456789"


def stdio(db: Path, *args: str) -> StdioServerParameters:
    command = ["-m", "workgym.cli", "mcp", str(db), "--persona", ME, "--cutoff", CUTOFF, *args]
    return StdioServerParameters(command=sys.executable, args=command)


async def exercise(client: Client) -> dict[str, Any]:
    """List, call (a write, a bad call, an unknown tool), and read the state resource."""
    listed = await client.list_tools()
    wrote = await client.call_tool("post_message", {"channel": "general", "text": "hello over MCP"})
    bad = await client.call_tool("post_message", {"channel": "general", "txt": "typo"})
    unknown = await client.call_tool("post_mesage", {})
    state = await client.read_resource(STATE_URI)
    return {"listed": listed, "wrote": wrote, "bad": bad, "unknown": unknown, "state": state}


@pytest.mark.parametrize("mode", ["auto", "legacy"])  # the 2026-07-28 protocol; the initialize handshake
def test_when_served_over_stdio_then_an_mcp_client_acts_in_the_episode(
    sample_db: Path, world: World, mode: str
) -> None:
    async def run() -> dict[str, Any]:
        async with Client(stdio(sample_db), mode=mode) as client:
            assert client.instructions and ME in client.instructions
            return await exercise(client)

    seen = anyio.run(run)
    listed = {t.name: t for t in seen["listed"].tools}
    expected = {s["function"]["name"]: s["function"] for s in world.tools()}
    assert list(listed) == list(expected)
    for name, tool in listed.items():  # schemas are the world's own, never written twice
        assert tool.input_schema == expected[name]["parameters"]
        assert tool.description == expected[name]["description"]
    assert listed["get_ticket"].annotations.read_only_hint is True
    assert listed["post_message"].annotations.read_only_hint is False

    wrote = seen["wrote"]
    assert not wrote.is_error and "posted" in wrote.content[0].text
    assert wrote.meta[META_KEY]["step"] == 1 and wrote.meta[META_KEY]["error"] is None
    assert seen["bad"].is_error and "unknown argument 'txt'" in seen["bad"].content[0].text
    assert seen["unknown"].is_error and "Did you mean post_message" in seen["unknown"].content[0].text

    state = json.loads(seen["state"].contents[0].text)
    assert state["steps"] == 3
    [row] = state["diff"]["message"]["inserted"]
    assert row["text"] == "hello over MCP" and row["author"] == ME


def test_when_tools_are_restricted_then_only_they_are_served(sample_db: Path) -> None:
    async def run() -> list[str]:
        async with Client(stdio(sample_db, "--tools", "get_ticket,submit_answer")) as client:
            return [t.name for t in (await client.list_tools()).tools]

    assert anyio.run(run) == ["get_ticket", "submit_answer"]


def test_when_served_over_streamable_http_then_the_token_is_required(world: World) -> None:
    episode = world.episode(cutoff=CUTOFF, persona=ME, seed=0)
    with running(http_app(episode, host="127.0.0.1", token=TOKEN)) as base:
        refused = httpx.post(base + "/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert refused.status_code == 401

        async def run() -> dict[str, Any]:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            transport = streamable_http_client(base + "/mcp", http_client=httpx2.AsyncClient(headers=headers))
            async with Client(transport) as client:
                return await exercise(client)

        seen = anyio.run(run)
    assert not seen["wrote"].is_error and seen["bad"].is_error
    assert episode.state_diff().of("message", "inserted")  # the server's episode holds the write
    episode.close()


def test_when_the_workspace_is_missing_then_stdout_stays_clean_for_the_protocol(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "workgym.cli", "mcp", str(tmp_path / "missing.db")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == ""  # stdout belongs to the JSON-RPC stream
    assert "no such workspace file" in " ".join(done.stderr.split())  # the console wraps long paths
