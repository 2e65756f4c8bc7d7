"""World and Episode: a workspace opened once, and private episodes that act on it through tools.

::

    world = World.open("anon.db")
    with world.episode(cutoff="2024-04-01T09:00:00Z", persona="P0003", seed=7) as ep:
        obs = ep.step({"name": "search_tickets", "arguments": {"jql": "status = Open"}})
        branch = ep.fork()                       # an independent copy, mid-episode
        ep.step('{"name": "post_message", "arguments": {"channel": "general", "text": "on it"}}')
        ep.state_diff()                          # what changed, row by row and field by field
        ep.reset()                               # back to the start: the overlay emptied

An episode's text goes in (a call) and text comes out (an :class:`Observation` with reward,
terminated, truncated and info): what the Gymnasium, MCP and HTTP faces need. ``step`` never
raises: a bad call or a failing tool is an error observation.
"""

from __future__ import annotations

import difflib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from workgym.store import SCHEMA_VERSION, StoreError
from workgym.world.context import ToolContext
from workgym.world.facts import Facts
from workgym.world.fts import ensure_index, fingerprint, ro_uri
from workgym.world.schema import REGISTRY, CallError, Tool, ToolError
from workgym.world.state import EMPTY_HASH, State, StateDiff, StateError
from workgym.world.text import clip, iso, normalize_time, parse_iso
from workgym.world.tools import APPS
from workgym.world.views import Layout, LayoutError, Scope

MAX_CALL_CHARS = 100_000
"""Largest call accepted, as JSON text."""

USER_TOOLS = frozenset({"ask_user"})
"""Tools that need a simulated user: offered by default only to an episode that has one."""

User = Callable[[str], str]
"""A simulated user: their reply to the agent's question."""


@dataclass(frozen=True, slots=True)
class Observation:
    """What an episode returns for a step (and for a reset).

    Attributes:
        text: what the agent reads.
        reward: always 0.0 from the world's own faces (an episode has no task to score it by); a
            task environment (:class:`workgym.tasks.TaskEnv`) sets it, with
            :func:`dataclasses.replace`, on the observation that ends the episode (or on every
            step, for its dense reward).
        terminated: the episode ended by itself (an answer was submitted).
        truncated: the episode was cut off by its step or wall-time limit.
        info: step number, episode time, tool name, and ``error`` (None, or the kind of failure:
            bad_call, unknown_tool, tool_error, tool_crash, over, closed, internal).
    """

    text: str
    reward: float = 0.0
    terminated: bool = False
    truncated: bool = False
    info: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Limits:
    """An episode's limits.

    Attributes:
        max_steps: steps before the episode is truncated.
        max_seconds: wall-clock seconds before it is truncated.
        step_seconds: how far the episode's clock moves per step.
        observation_chars: the size budget of one observation's text.
        calendar_days: how far past the cutoff calendar events are visible.
    """

    max_steps: int = 50
    max_seconds: float = 600.0
    step_seconds: int = 60
    observation_chars: int = 6000
    calendar_days: int = 14


class World:
    """A workspace opened read-only, with its full-text index and shared facts; it makes episodes.

    Use :meth:`open`. A world is cheap to share: episodes hold their own connections.
    """

    def __init__(self, path: Path, index: Path, layout: Layout, facts: Facts, digest: str) -> None:
        self.path = path
        self.index = index
        self.layout = layout
        self.facts = facts
        self.fingerprint = digest

    @classmethod
    def open(cls, path: str | Path) -> World:
        """Open a workspace file (raw or anonymized), building its full-text index if needed.

        Raises:
            StoreError: the file is missing, is not a workspace, or has another schema version.
        """
        path = Path(path)
        if not path.is_file():
            raise StoreError(f"{path}: no such workspace file")
        try:
            conn = sqlite3.connect(ro_uri(path), uri=True)
            try:
                row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
                version = int(row[0]) if row else 0
                if version != SCHEMA_VERSION:
                    raise StoreError(
                        f"{path}: schema version {version}; this workgym reads version {SCHEMA_VERSION}"
                    )
                layout = Layout.read(conn)
                facts = Facts.load(conn)
            finally:
                conn.close()
        except (sqlite3.DatabaseError, LayoutError) as exc:
            raise StoreError(f"{path}: not a workgym workspace ({exc})") from exc
        return cls(path, ensure_index(path), layout, facts, fingerprint(path))

    def tools(
        self, names: Sequence[str] | None = None, *, user: bool = False, compact: bool = False
    ) -> list[dict[str, Any]]:
        """The tools' schemas in OpenAI function-calling format (all, or those named).

        ``ask_user`` is among all tools only with ``user=True`` (an episode with a simulated user);
        ``compact`` gives shorter schemas (see :meth:`Tool.schema`).
        """
        return [t.schema(compact=compact) for t in _select_tools(names, user=user).values()]

    def episode(
        self,
        *,
        cutoff: str | datetime | None = None,
        persona: str | None = None,
        seed: int = 0,
        tools: Sequence[str] | None = None,
        limits: Limits | None = None,
        user: User | None = None,
        cache_kib: int = 32768,
        mmap_bytes: int = 0,
    ) -> Episode:
        """A new episode with a private state.

        Args:
            cutoff: the world as it stood at this time (later records are invisible); default: all.
            persona: who the episode acts as: a person id, or a name, handle or address naming one
                person; None for an observer who reads everything and cannot write.
            seed: makes new ids; the same seed and the same calls give the same observations.
            tools: the tools allowed (default all; ``ask_user`` only when there is a user).
            limits: step, time and size limits.
            user: the person who gave the task, simulated: answers ``ask_user``.
            cache_kib: the SQLite page cache, shared by every episode of the process.
            mmap_bytes: how much of the workspace to memory-map; 0 by default, since each episode's
                mapping counts again in the process's RSS (see :mod:`workgym.world.state`).

        Raises:
            ValueError: the cutoff is not a time, or the persona names nobody (or several people).
        """
        limits = limits or Limits()
        person = self._persona(persona)
        try:
            start = normalize_time(cutoff) if cutoff is not None else None
        except ValueError:
            raise ValueError(
                f"cutoff {clip(str(cutoff), 64)!r} is not an ISO 8601 time in the years 0001-9999 (UTC)"
            ) from None
        horizon = None
        if start is not None:
            horizon = _horizon(start, limits)
        scope = Scope(start, self.facts.hidden_channels(person), horizon)
        allowed = _select_tools(tools, user=user is not None)
        return Episode(self, scope, person, seed, allowed, limits, cache_kib, mmap_bytes, user=user)

    def _persona(self, persona: str | None) -> str | None:
        if persona is None:
            return None
        if persona in self.facts.people:
            return persona
        found = self.facts.find_people(persona)
        exact = [p for p in found if persona.strip().lower() in p.aliases()]
        if len(exact) == 1:
            return exact[0].id
        if len(found) == 1:
            return found[0].id
        if not found:
            raise ValueError(f"persona {persona!r} names nobody in the directory")
        raise ValueError(f"persona {persona!r} names several people: {', '.join(p.id for p in found[:8])}")


def _horizon(start: str, limits: Limits) -> str:
    """The calendar horizon of an episode starting at ``start``, checked to leave its clock room to run.

    Raises:
        ValueError: the episode's clock or calendar would run past the last time a datetime holds.
    """
    moment = parse_iso(start)
    try:
        moment + timedelta(seconds=limits.max_steps * limits.step_seconds)
        return iso(moment + timedelta(days=limits.calendar_days))
    except OverflowError:
        raise ValueError(
            f"cutoff {start[:19]} is too late: the episode's clock would run past year 9999"
        ) from None


def _select_tools(names: Sequence[str] | None, *, user: bool = False) -> dict[str, Tool]:
    """The tools named (all by default, less :data:`USER_TOOLS` without a user), app by app as in :data:`APPS`."""
    if names is None:
        every = sorted(REGISTRY, key=lambda t: APPS.index(t.app))
        return {t.name: t for t in every if user or t.name not in USER_TOOLS}
    out: dict[str, Tool] = {}
    for name in names:
        found = REGISTRY.get(name)
        if found is None:
            raise ValueError(f"unknown tool {name!r}; tools: {', '.join(REGISTRY.names())}")
        out[name] = found
    return out


def _parse_call(call: Any) -> tuple[str, Any]:
    """The tool name and raw arguments of a call given as a mapping or as JSON text.

    Accepts ``{"name", "arguments"}`` and the OpenAI ``{"type": "function", "function": {...}}``.

    Raises:
        CallError: the call is not of either shape.
    """
    shape = 'a call is {"name": "<tool>", "arguments": {...}}'
    if isinstance(call, str | bytes):
        if len(call) > MAX_CALL_CHARS:
            raise CallError(f"the call is too large ({len(call):,} characters; at most {MAX_CALL_CHARS:,})")
        try:
            call = json.loads(call)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise CallError(f"the call is not valid JSON ({exc}); {shape}") from None
        except RecursionError:
            raise CallError(f"the call is nested too deeply; {shape}") from None
    if not isinstance(call, Mapping):
        raise CallError(f"{shape}, not {type(call).__name__}")
    if "function" in call and isinstance(call["function"], Mapping):
        call = call["function"]
    extra = set(call) - {"name", "arguments", "id", "type"}
    name = call.get("name")
    if not isinstance(name, str) or not name:
        raise CallError(f"the call has no tool name; {shape}")
    if len(name) > 100:
        raise CallError(f"the tool name is {len(name):,} characters long; no tool's is")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: it would not survive the trip back as JSON
        raise CallError(f"the tool name {name!a} is not valid Unicode; {shape}") from None
    if extra:
        raise CallError(f"the call has unknown keys {sorted(map(str, extra))[:5]}; {shape}")
    return name, call.get("arguments")


class EpisodeClosed(RuntimeError):
    """An episode used after :meth:`Episode.close`."""


class Episode:
    """One agent's private run in a world: its own state, clock, persona and limits.

    Made by :meth:`World.episode`. Not for use by two threads at once (a lock makes that safe, not
    concurrent): every method that touches the state, :meth:`close` included, holds the episode's
    lock, so a connection is never closed under a running query. After :meth:`close`, ``step``
    answers an error observation and the other methods raise :class:`EpisodeClosed`.
    """

    def __init__(
        self,
        world: World,
        scope: Scope,
        persona: str | None,
        seed: int,
        tools: dict[str, Tool],
        limits: Limits,
        cache_kib: int,
        mmap_bytes: int,
        *,
        user: User | None = None,
        state: State | None = None,
    ) -> None:
        self.world = world
        self.scope = scope
        self.persona = persona
        self.seed = seed
        self.tools = tools
        self.limits = limits
        self.user = user
        self._cache_kib, self._mmap_bytes = cache_kib, mmap_bytes
        self.state = state or State(
            world.path, world.index, world.layout, scope, cache_kib=cache_kib, mmap_bytes=mmap_bytes
        )
        self.start_time = scope.cutoff or world.facts.latest or "1970-01-01T00:00:00+00:00"
        self.ctx = ToolContext(self.state, world.facts, persona, self.start_time, seed, user=user)
        self.steps = 0
        self.terminated = False
        self.truncated = False
        self._started = time.monotonic()
        self._lock = threading.Lock()
        self._closed = False

    # -- the protocol ----------------------------------------------------------------------------

    def reset(self, *, seed: int | None = None) -> Observation:
        """Undo every change and start over (with a new seed if given); returns the opening observation."""
        with self._lock:
            self._check_open()
            self.state.reset()
            if seed is not None:
                self.seed = seed
            self.ctx = ToolContext(
                self.state, self.world.facts, self.persona, self.start_time, self.seed, user=self.user
            )
            self.steps = 0
            self.terminated = self.truncated = False
            self._started = time.monotonic()
            return Observation(self.intro(), info=self._info(None, None))

    def intro(self) -> str:
        """The opening text: who you are, when it is, which tools you have."""
        who = "an observer (read-only)"
        if self.persona:
            info = self.world.facts.people.get(self.persona)
            who = f"{info.name} ({self.persona})" if info else self.persona
        return (
            f"You are {who}. It is {self.start_time[:16].replace('T', ' ')} UTC. "
            f"Tools: {', '.join(self.tools)}."
        )

    def step(self, call: Any) -> Observation:
        """Run one tool call and return what it shows. Never raises.

        Args:
            call: ``{"name": ..., "arguments": {...}}`` (arguments may be a JSON string), the same as
                JSON text, or an OpenAI tool call.
        """
        with self._lock:
            if self._closed:
                return self._observe("Error: the episode is closed.", None, "closed", count=False)
            if self.terminated or self.truncated:
                why = "ended (an answer was submitted)" if self.terminated else "was truncated"
                return self._observe(
                    f"Error: the episode {why}; call reset() to start again.", None, "over", count=False
                )
            self.steps += 1
            name: str | None = None
            try:
                self.ctx.now = iso(
                    parse_iso(self.start_time) + timedelta(seconds=self.steps * self.limits.step_seconds)
                )
                name, raw = _parse_call(call)
                tool = self.tools.get(name)
                if tool is None:
                    return self._observe(self._unknown(name), name, "unknown_tool")
                try:
                    arguments = tool.check(raw)
                except CallError as exc:
                    return self._observe(
                        f"Error: bad call to {name}: {exc}.\nUsage: {tool.usage()}\nSchema: {_schema_text(tool)}",
                        name,
                        "bad_call",
                    )
                text, error = self._run(tool, arguments)
                if tool.ends_episode and error is None:
                    self.terminated = True
                return self._observe(text, name, error)
            except CallError as exc:
                return self._observe(f"Error: {exc}.", name, "bad_call")
            except Exception as exc:  # the last resort of "step never raises": recorded, not hidden
                return self._observe(
                    f"Error: the call could not be handled ({type(exc).__name__})", name, "internal"
                )

    def _run(self, tool: Tool, arguments: dict[str, Any]) -> tuple[str, str | None]:
        """Call a tool; its failures become error text (writes of a failed call are undone)."""
        try:
            with self.state.transaction() if tool.writes else nullcontext():
                return tool.fn(self.ctx, **arguments), None
        except (ToolError, StateError) as exc:
            return f"Error ({tool.name}): {exc}", "tool_error"
        except Exception as exc:  # a bug in a tool: reported, recorded, and the episode goes on
            return f"Error: {tool.name} failed ({type(exc).__name__}: {clip(str(exc), 300)})", "tool_crash"

    def _unknown(self, name: str) -> str:
        close = difflib.get_close_matches(name, list(self.tools), n=3)
        hint = f" Did you mean {' or '.join(close)}?" if close else ""
        return f"Error: there is no tool {clip(name, 60)!r}.{hint} Tools: {', '.join(self.tools)}."

    def _observe(self, text: str, tool: str | None, error: str | None, *, count: bool = True) -> Observation:
        budget = self.limits.observation_chars
        if len(text) > budget:
            text = (
                text[:budget].rstrip()
                + f"\n[… {len(text) - budget:,} more characters cut; narrow the query or page]"
            )
        if (
            count
            and not self.terminated
            and (
                self.steps >= self.limits.max_steps
                or time.monotonic() - self._started > self.limits.max_seconds
            )
        ):
            self.truncated = True
        info = self._info(tool, error)
        return Observation(text, 0.0, self.terminated, self.truncated, info)

    def _info(self, tool: str | None, error: str | None) -> dict[str, Any]:
        info: dict[str, Any] = {"step": self.steps, "time": self.ctx.now, "tool": tool, "error": error}
        if self.ctx.answer is not None:
            info["answer"] = self.ctx.answer
        return info

    def schemas(self, *, compact: bool = False) -> list[dict[str, Any]]:
        """The episode's tools in OpenAI function-calling format (shorter with ``compact``; see :meth:`Tool.schema`)."""
        return [t.schema(compact=compact) for t in self.tools.values()]

    # -- state -----------------------------------------------------------------------------------

    @property
    def now(self) -> str:
        """The episode's time (the cutoff plus ``step_seconds`` per step)."""
        return self.ctx.now

    @property
    def answer(self) -> str | None:
        """The answer submitted, if any."""
        return self.ctx.answer

    def fork(self) -> Episode:
        """An independent copy of this episode as it is now: state, clock, step count, answer."""
        with self._lock:
            self._check_open()
            state = State(
                self.world.path,
                self.world.index,
                self.world.layout,
                self.scope,
                cache_kib=self._cache_kib,
                mmap_bytes=self._mmap_bytes,
            )
            state.restore(self.state.snapshot())
            # a user with a conversation (a simulated one) goes on in each fork apart
            fork_user = getattr(self.user, "fork", None)
            user = fork_user() if callable(fork_user) else self.user
            child = Episode(
                self.world,
                self.scope,
                self.persona,
                self.seed,
                self.tools,
                self.limits,
                self._cache_kib,
                self._mmap_bytes,
                user=user,
                state=state,
            )
            child.ctx = ToolContext(
                state,
                self.world.facts,
                self.persona,
                self.ctx.now,
                self.seed,
                self.ctx.sequence,
                self.ctx.answer,
                user,
            )
            child.steps, child.terminated, child.truncated = self.steps, self.terminated, self.truncated
            child._started = self._started
            return child

    def state_diff(self) -> StateDiff:
        """Every row this episode inserted, updated or deleted, field by field, against its start."""
        with self._lock:
            self._check_open()
            return self.state.diff()

    def state_hash(self) -> str:
        """sha256 of the episode's changes; equal to :data:`EMPTY_HASH` when there are none."""
        with self._lock:
            self._check_open()
            return self.state.hash()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` has run."""
        return self._closed

    def close(self) -> None:
        """Release the episode's connection and overlay, once a running step (if any) is done.

        Idempotent. Waits for the episode's lock: closing a SQLite connection under a query running
        on another thread crashes the process, so a step in flight always finishes first.
        """
        with self._lock:
            if not self._closed:
                self._closed = True
                self.state.close()

    def _check_open(self) -> None:
        if self._closed:
            raise EpisodeClosed("the episode is closed")

    def __enter__(self) -> Episode:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _schema_text(tool: Tool) -> str:
    return json.dumps(tool.schema()["function"]["parameters"], ensure_ascii=False, separators=(",", ":"))


__all__ = ["EMPTY_HASH", "USER_TOOLS", "Episode", "EpisodeClosed", "Limits", "Observation", "User", "World"]
