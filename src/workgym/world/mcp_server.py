"""The MCP face of the world: one episode's tools served over stdio or streamable HTTP (``mcp`` 2.x).

``workgym mcp anon.db --persona P0003 --cutoff 2024-04-01T09:00Z`` serves the tools of one
episode to an MCP client (an agent harness, a desktop assistant, an evaluation loop):

* ``tools/list`` gives the episode's tools with the input schemas the world derives from their
  signatures (the same as :meth:`World.tools`), and annotations: a reading tool is
  ``readOnlyHint``, and every tool is closed-world (``openWorldHint`` false).
* ``tools/call`` is :meth:`Episode.step`: the text of the observation, ``isError`` when the call
  was bad or the tool refused, and the episode's step, time, reward and ended flags in ``_meta``
  under ``workgym/observation``. A bad call is a tool result, never a protocol error, so the
  model sees what was wrong and the valid schema.
* ``resources/read`` of ``workgym://episode/state`` gives the state hash, step, time, answer and
  the state diff (JSON), for the harness that checks the episode afterwards.

Given a task (``workgym mcp anon.db --tasks tasks.jsonl --task ID``), the server is that task's
episode (:class:`~workgym.tasks.env.TaskEnv`): its cutoff, persona and tools; the server's
instructions are the task's prompt (the workplace policy, the opening text, the instruction);
each call's ``_meta`` carries the task's reward, and the call that ends the episode also its
``score`` (reward, partial credit and each check's result), as does the state resource.

The server is built on the SDK's low-level ``Server`` rather than ``MCPServer``: ``MCPServer``
derives schemas from Python signatures itself and validates arguments before the tool runs, which
would write each schema twice and turn a bad call into an exception instead of an observation.

One server is one episode. Over stdio that is one per client process; over streamable HTTP the
protocol (2026-07-28) is per request, so every client of one server acts in the same episode.
For many private episodes at once, use the env server (``workgym serve-env``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import anyio
import mcp_types as types
from anyio.streams.memory import MemoryObjectSendStream
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared._stream_protocols import ReadStream, WriteStream
from mcp.shared.message import SessionMessage
from pydantic import ValidationError

from workgym.world.core import Episode
from workgym.world.guard import ASGIApp, check_exposure, guarded
from workgym.world.server import MAX_BODY_BYTES
from workgym.world.tasking import TaskSession

STATE_URI = "workgym://episode/state"
"""The resource holding the episode's state (hash, step, time, answer, diff) as JSON."""

META_KEY = "workgym/observation"
"""Where a tool result's ``_meta`` carries the observation's step, time, reward and flags."""


def build_server(episode: Episode, *, name: str = "workgym", task: TaskSession | None = None) -> Server[Any]:
    """An MCP server whose tools are ``episode``'s; each call is one step of it.

    Args:
        episode: the episode served.
        name: the server's name.
        task: the task ``episode`` runs (its :class:`~workgym.tasks.env.TaskEnv`): calls are its
            steps, rewarded, and the instructions are its prompt.
    """
    step = task.step if task is not None else episode.step
    tools = [
        types.Tool(
            name=t.name,
            description=t.description,
            input_schema=t.schema()["function"]["parameters"],
            annotations=types.ToolAnnotations(
                read_only_hint=not t.writes,
                destructive_hint=False if t.writes else None,
                idempotent_hint=not t.writes,
                open_world_hint=False,
            ),
        )
        for t in episode.tools.values()
    ]

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        call = {"name": params.name, "arguments": params.arguments or {}}
        observation = await anyio.to_thread.run_sync(step, call)
        meta = {
            **observation.info,
            "reward": observation.reward,
            "terminated": observation.terminated,
            "truncated": observation.truncated,
        }
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=observation.text)],
            is_error=observation.info.get("error") is not None,
            _meta={META_KEY: meta},
        )

    async def list_resources(
        ctx: Any, params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    name="episode-state",
                    uri=STATE_URI,
                    description="The episode's state hash, step, time, answer and state diff.",
                    mime_type="application/json",
                )
            ]
        )

    async def read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        if str(params.uri) != STATE_URI:
            raise ValueError(f"no resource {str(params.uri)[:100]!r}; the one resource is {STATE_URI}")
        text = await anyio.to_thread.run_sync(_state_text, episode, task)
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=STATE_URI, mime_type="application/json", text=text)]
        )

    return Server(
        name,
        version="1",
        instructions=episode.intro()
        if task is None
        else f"{task.prompt.system}\n\n{task.prompt.instruction}",
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )


def _state_text(episode: Episode, task: TaskSession | None = None) -> str:
    state = {
        "hash": episode.state_hash(),
        "steps": episode.steps,
        "time": episode.now,
        "answer": episode.answer,
        "terminated": episode.terminated,
        "truncated": episode.truncated,
        "diff": episode.state_diff().to_dict(),
    }
    if task is not None:
        state["task_id"] = task.task_id
        if task.done:  # never mid-episode: a check's detail names the expected values
            state["score"] = task.score().to_dict()
    return json.dumps(state, ensure_ascii=False, sort_keys=True)


def _unreadable(exc: Exception) -> types.JSONRPCError:
    """The JSON-RPC answer to a line that is not a message: parse error, or invalid request, id null."""
    invalid_json = isinstance(exc, ValidationError) and any(e["type"] == "json_invalid" for e in exc.errors())
    code, what = (
        (types.PARSE_ERROR, "Parse error: the line is not JSON")
        if invalid_json
        else (types.INVALID_REQUEST, "Invalid request: the line is not a JSON-RPC 2.0 message")
    )
    return types.JSONRPCError(jsonrpc="2.0", id=None, error=types.ErrorData(code=code, message=what))


async def answer_unreadable(
    read: ReadStream[SessionMessage | Exception],
    write: WriteStream[SessionMessage],
    forward: MemoryObjectSendStream[SessionMessage | Exception],
) -> None:
    """Pass messages from ``read`` on to ``forward``; answer each line that is none with an error.

    The SDK's stdio transport drops a line it cannot read (bad JSON, a lone surrogate, nesting
    too deep) without a word, so a client waits for an answer forever. JSON-RPC 2.0 answers such
    a line with an error whose id is null, as the SDK's HTTP transport does.
    """
    async with forward:
        async for item in read:
            if isinstance(item, Exception):
                await write.send(SessionMessage(_unreadable(item)))
            else:
                await forward.send(item)


def serve_stdio(episode: Episode, *, task: TaskSession | None = None) -> None:
    """Serve the episode's tools (``task``'s, rewarded, when given) over stdin/stdout until the client closes them."""
    server = build_server(episode, task=task)

    async def run() -> None:
        async with stdio_server() as (read, write):
            forward, messages = anyio.create_memory_object_stream[SessionMessage | Exception](0)
            async with anyio.create_task_group() as group, messages:
                group.start_soon(answer_unreadable, read, write, forward)
                await server.run(messages, write, server.create_initialization_options())
                group.cancel_scope.cancel()

    anyio.run(run)


def http_app(
    episode: Episode,
    *,
    host: str,
    token: str | None,
    max_body_bytes: int = MAX_BODY_BYTES,
    allowed_hosts: Sequence[str] = (),
    task: TaskSession | None = None,
) -> ASGIApp:
    """The episode's tools as a streamable HTTP app at ``/mcp``, behind the Host check, token and body limit.

    The SDK checks Host and Origin itself on loopback only (any port); :func:`guarded` checks
    them first, on every bind, at the bound port (see :class:`~workgym.world.guard.HostCheck`).
    """
    app = build_server(episode, task=task).streamable_http_app(host=host)
    return guarded(app, token=token, max_bytes=max_body_bytes, host=host, allowed_hosts=allowed_hosts)


def serve_http(
    episode: Episode,
    *,
    host: str = "127.0.0.1",
    port: int = 8200,
    token: str | None = None,
    allowed_hosts: Sequence[str] = (),
    task: TaskSession | None = None,
) -> None:
    """Serve the episode's tools (``task``'s, when given) over streamable HTTP at ``http://host:port/mcp``.

    Raises:
        ExposureError: ``host`` is beyond loopback and no token is given.
    """
    import uvicorn

    check_exposure(host, token)
    app = http_app(episode, host=host, token=token, allowed_hosts=allowed_hosts, task=task)
    uvicorn.run(app, host=host, port=port, log_level="warning")


__all__ = ["META_KEY", "STATE_URI", "build_server", "http_app", "serve_http", "serve_stdio"]
