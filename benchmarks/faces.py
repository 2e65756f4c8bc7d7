"""What the world's network faces cost per step, beside the same step in process.

For the sample (and titanium when present): the p50 of one read step (``get_ticket``) called
in process (the baseline), over the env server's HTTP with the package's client (keep-alive, one
session), and over MCP stdio with the ``mcp`` SDK's client (a subprocess); then the env server's
throughput with 64 sessions stepping at once from 64 client threads, beside 64 in-process
episodes stepped by 64 threads. Server and client share this machine's cores, so the ratios
include the client's own cost.

    python benchmarks/faces.py [--data ../shared/data] [--repeat 300]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from workgym.world import Limits, World
from workgym.world.client import EnvClient
from workgym.world.server import create_app, running
from workspaces import DEFAULT_DATA, workspaces  # benchmarks/workspaces.py


def p50_ms(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def first_ticket(world: World) -> str:
    with world.episode() as ep:  # the newest ticket
        text = ep.step({"name": "search_tickets", "arguments": {"jql": "ORDER BY created DESC"}}).text
    return text.split()[0]


def mcp_p50(db: Path, call: dict[str, Any], repeat: int) -> float:
    async def run() -> float:
        params = StdioServerParameters(
            command=sys.executable, args=["-m", "workgym.cli", "mcp", str(db), "--max-steps", "10000"]
        )
        async with Client(params) as client:
            first = await client.call_tool(call["name"], call["arguments"])  # warm
            assert not first.is_error, first
            times = []
            for _ in range(repeat):
                started = time.perf_counter()
                await client.call_tool(call["name"], call["arguments"])
                times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    return anyio.run(run)


def throughput(step: Callable[[int], Any], workers: int, steps: int) -> float:
    """Steps per second with ``workers`` threads, each running ``steps`` steps."""
    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda w: [step(w) for _ in range(steps)], range(workers)))
    return workers * steps / (time.perf_counter() - started)


def measure(db: Path, repeat: int) -> dict[str, float]:
    world = World.open(db)
    call = {"name": "get_ticket", "arguments": {"key": first_ticket(world)}}
    unlimited = Limits(max_steps=10_000)  # past 50 steps an episode is truncated and steps cost nothing
    local = world.episode(limits=unlimited)
    out = {"local_ms": p50_ms(lambda: local.step(call), repeat)}
    locals_ = [world.episode(limits=unlimited) for _ in range(64)]
    out["local_rate"] = throughput(lambda w: locals_[w].step(call), 64, repeat // 10)
    with running(create_app(world)) as url, EnvClient(url) as env:
        remote = env.reset(max_steps=10_000)
        out["http_ms"] = p50_ms(lambda: remote.step(call), repeat)
        sessions = [env.reset(max_steps=10_000) for _ in range(64)]
        out["http_rate"] = throughput(lambda w: sessions[w].step(call), 64, repeat // 10)
    out["mcp_ms"] = mcp_p50(db, call, repeat)
    for ep in [local, *locals_]:
        ep.close()
    return out


def report(name: str, m: dict[str, float]) -> None:
    print(f"\n{name}")
    print(f"  step p50   in process {m['local_ms']:.3f} ms (baseline)")
    print(f"             HTTP       {m['http_ms']:.3f} ms ({m['http_ms'] / m['local_ms']:.1f}x)")
    print(f"             MCP stdio  {m['mcp_ms']:.3f} ms ({m['mcp_ms'] / m['local_ms']:.1f}x)")
    print(
        f"  64 at once in process {m['local_rate']:,.0f} steps/s; HTTP {m['http_rate']:,.0f} steps/s "
        f"({m['local_rate'] / m['http_rate']:.1f}x fewer)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name, db in workspaces(Path(tmp), args.data):
            report(name, measure(db, args.repeat))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
