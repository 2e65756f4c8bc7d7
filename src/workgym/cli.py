"""The ``workgym`` command: parses arguments, calls the library, turns its errors into messages.

Exit codes: 0 success, 1 the work failed (bad input that stops the run), 2 usage errors.
"""

from __future__ import annotations

import difflib
import json
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperArgument, TyperGroup, TyperOption

from workgym.anonymize.config import load_anon_config
from workgym.anonymize.explain import check_explain_path
from workgym.anonymize.keys import KeyFileError, keygen, load_key
from workgym.anonymize.run import (
    Audit,
    LeakError,
    anonymize_outputs,
    anonymize_workspace,
    audit_path_for,
    failed_audit_path_for,
)
from workgym.ingest.config import load_ingest_config
from workgym.ingest.registry import UnknownFormatError, formats
from workgym.link.build import BuildReport, build_workspace
from workgym.link.config import load_link_config
from workgym.link.overview import Overview, overview
from workgym.outputs import (
    DIFFICULTY,
    FOLDER,
    KEY,
    LOG,
    LOG_HEADER,
    REPORT,
    REVIEW,
    RUN,
    TASKS,
    WORKSPACE,
    OutputError,
    Staged,
    claim,
    write_text,
)
from workgym.store import StoreError, connect


class _HelpAsWritten(TyperGroup):
    """The app, its commands and their options with help texts shown as written.

    Typer reads help through Rich markup, in which a bracketed word (``workgym[ray]``, a TOML
    ``[section]``) is a style tag and vanishes. Each text is escaped once here, so none is lost.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.rich_markup_mode != "rich":
            return
        for command in (self, *self.commands.values()):
            command.help = escape(command.help) if command.help else command.help
            command.short_help = escape(command.short_help) if command.short_help else command.short_help
            for param in command.params:
                if isinstance(param, TyperOption | TyperArgument) and param.help:
                    param.help = escape(param.help)


app = typer.Typer(
    name="workgym",
    help="Turn real workspace exports into anonymized, cross-linked RL environments.",
    cls=_HelpAsWritten,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False)


def sample_workspace() -> Path:
    """The bundled sample workspace (a fictional company, in real export formats)."""
    return Path(str(files("workgym") / "samples" / "acme"))


def sample_sources() -> list[Path]:
    """The sample's export folders (its README and manifest describe it and are not ingested)."""
    return sorted(p for p in sample_workspace().iterdir() if p.is_dir())


def _fail(message: str, code: int = 1, to: Console | None = None) -> typer.Exit:
    (to or console).print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


@contextmanager
def _errors(to: Console | None = None) -> Iterator[None]:
    """Map library errors to clean messages (on ``to``, default stdout) and exit codes."""
    try:
        yield
    except (
        FileNotFoundError,
        FileExistsError,
        UnknownFormatError,
        StoreError,
        KeyFileError,
        OutputError,
        ValueError,
    ) as exc:
        raise _fail(str(exc), to=to) from None
    except sqlite3.Error as exc:
        raise _fail(f"database error: {exc}", to=to) from None


Force = Annotated[
    bool,
    typer.Option(
        "--force", help="Replace outputs that workgym did not write (never an input); see docs/formats.md."
    ),
]


def _ingest(sources: list[Path], out: Path, config: Path | None, force: bool = False) -> BuildReport:
    claim([(out, WORKSPACE)], inputs=[*sources, config], force=force)
    link_config = load_link_config(config) if config else None
    limits = load_ingest_config(config) if config else None
    with Progress(
        TextColumn("[bold]reading[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.description}", style="dim"),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=label[-50:])

        with Staged() as stage:  # the workspace already there stays whole until the new one is
            report = build_workspace(
                sources, stage.path(out), config=link_config, progress=progress, limits=limits
            )
        report.out = out
        return report


def _short(path: str, width: int = 32) -> str:
    """A path that fits a table column: its last two parts behind an ellipsis when too long."""
    if len(path) <= width:
        return path
    return "…/" + "/".join(Path(path).parts[-2:])


def _print_report(report: BuildReport, seconds: float) -> None:
    table = Table(title="Sources", title_justify="left")
    for col in ("#", "format", "path", "stored", "quarantined"):
        table.add_column(col, justify="right" if col in ("#", "stored", "quarantined") else "left")
    for s in report.sources:
        table.add_row(str(s.id), s.format, _short(s.path), f"{s.stored:,}", f"{s.quarantined:,}")
    console.print(table)

    kinds: dict[str, int] = {}
    for s in report.sources:
        for kind, n in s.by_kind.items():
            kinds[kind] = kinds.get(kind, 0) + n
    console.print(
        "[bold]Records[/]  "
        + ", ".join(f"{kind} {n:,}" for kind, n in sorted(kinds.items(), key=lambda kv: -kv[1]))
    )
    console.print(
        f"[bold]People[/]   {report.persons:,} persons from {report.identities:,} identities "
        f"({report.merges:,} merges, evidence in table person_merge)"
    )
    reasons: dict[str, int] = {}
    for s in report.sources:
        for reason, n in s.quarantine_reasons.items():
            reasons[reason] = reasons.get(reason, 0) + n
    if reasons:
        console.print(
            "[bold]Quarantined[/] "
            + ", ".join(f"{n:,} {reason}" for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]))
            + "  (table quarantine: locator, reason, raw)"
        )
    kinds_ref = sorted(set(report.refs_resolved) | set(report.refs_unresolved))
    if kinds_ref:
        console.print(
            "[bold]References[/] "
            + ", ".join(
                f"{k} {report.refs_resolved[k]:,}/{report.refs_resolved[k] + report.refs_unresolved[k]:,}"
                for k in kinds_ref
            )
            + "  (resolved/all)"
        )
    rate = report.read / seconds if seconds > 0 else 0.0
    console.print(
        f"[bold]Accounting[/] read {report.read:,} = stored {report.stored:,} + quarantined {report.quarantined:,}"
        f"   ({seconds:.1f} s, {rate:,.0f} records/s)"
    )


def _print_overview(view: Overview) -> None:
    table = Table(title="Workspace", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in view.counts.items():
        table.add_row(name, f"{n:,}")
    console.print(table)
    if view.refs:
        refs = Table(title="References by kind", title_justify="left")
        for col in ("kind", "resolved", "unresolved"):
            refs.add_column(col, justify="left" if col == "kind" else "right")
        for kind, resolved, unresolved in view.refs:
            refs.add_row(kind, f"{resolved:,}", f"{unresolved:,}")
        console.print(refs)
    if view.most_linked:
        console.print("[bold]Most-linked records[/]")
        for node, n in view.most_linked:
            console.print(f"  {n:>4} refs  {node.kind} {node.id}  [dim]{node.title}[/]")
    if view.hubs:
        console.print("[bold]Cross-source chains[/]")
        for hub in view.hubs:
            console.print(f"  {hub.node.kind} {hub.node.id}  [dim]{hub.node.title}[/]")
            for arrow, other in hub.neighbours:
                console.print(f"      {arrow} {other.kind} {other.id}  [dim]{other.title}[/]")


@app.command()
def ingest(
    sources: Annotated[
        list[Path], typer.Argument(help="Export files or folders (walked recursively), or .zip.")
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="The workspace file to write.")] = Path(
        "workspace.db"
    ),
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="A TOML file with [link] patterns and ticket prefixes, [ingest] archive caps."
        ),
    ] = None,
    force: Force = False,
) -> None:
    """Read exports into one linked workspace (a SQLite file).

    Formats are recognised from each path by name and content; `workgym formats` lists them.
    Replaces a raw workspace an earlier ingest wrote at OUT; any other file there only with --force.

    Example:
        workgym ingest slack-export.zip jira/ mail/list.mbox docs/ -o workspace.db
    """
    with _errors():
        started = time.perf_counter()
        report = _ingest(sources, out, config, force)
        _print_report(report, time.perf_counter() - started)
    console.print(f"Wrote [bold]{out}[/]. Look inside: [bold]workgym inspect {out}[/]")


@app.command()
def inspect(workspace: Annotated[Path, typer.Argument(help="A workspace file.")]) -> None:
    """Show what a workspace holds: counts, references, most-linked records, cross-source chains.

    Example:
        workgym inspect workspace.db
    """
    with _errors():
        conn = connect(workspace)
        try:
            _print_overview(overview(conn))
        finally:
            conn.close()


@app.command(name="formats")
def list_formats() -> None:
    """List the export formats workgym reads."""
    for fmt in formats():
        console.print(f"  [bold]{fmt.name:10}[/] {fmt.description}")


def _anonymize(
    workspace: Path,
    out: Path,
    key: Path,
    config: Path | None,
    workers: int,
    executor: str,
    force: bool = False,
    *,
    address: str | None = None,
    explain: Path | None = None,
) -> Audit:
    if explain is not None:
        check_explain_path(explain, workspace, out)
    claim(anonymize_outputs(out, explain), inputs=[workspace, key, config], force=force)
    anon_config = load_anon_config(config) if config else None
    secret = load_key(key)
    with Progress(
        TextColumn("[bold]{task.description:8}[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("", total=None)

        def progress(done: int, total: int, stage: str) -> None:
            bar.update(task, completed=done, total=total, description=stage)

        try:
            return anonymize_workspace(
                workspace,
                out,
                secret,
                config=anon_config,
                workers=workers,
                executor=executor,
                address=address,
                progress=progress,
                explain=explain,
            )
        except LeakError as exc:
            bar.stop()
            _print_audit(exc.audit, failed_audit_path_for(out))
            _print_leak_causes(exc.audit)
            if exc.explanation is not None:
                console.print(
                    f"[bold yellow]wrote {escape(str(exc.explanation))}[/]: each leaking value, its place"
                    " and its cause. It holds ORIGINAL values (mode 0600): keep it beside the raw"
                    " workspace, never share it, and delete it once the leaks are fixed."
                )
                where = f"{exc.explanation} (values and causes)"
            else:
                where = f"{failed_audit_path_for(out)} (leak_locations; --explain FILE for the values)"
            raise _fail(
                f"{exc}. Where: {where}. Add the values to [anonymize.dictionaries] or report the"
                " layer that missed them, then run again."
            ) from None
        except ImportError as exc:
            if executor != "ray":
                raise
            raise _fail(f"{exc}: the ray executor needs pip install 'workgym[ray]'") from None
        except ConnectionError as exc:
            if executor != "ray":
                raise
            raise _fail(f"could not reach the Ray cluster at {address}: {exc}") from None


def _print_leak_causes(audit: Audit) -> None:
    """The leaks grouped by the layer that should have caught them, with the columns they are in."""
    if not audit.leak_causes:
        return
    table = Table(title="leaks by cause", show_edge=False)
    table.add_column("cause")
    table.add_column("leaks", justify="right")
    table.add_column("where (table.column: leaks)")
    for cause, columns in audit.leak_causes.items():
        where = ", ".join(f"{column}: {n:,}" for column, n in columns.items())
        table.add_row(cause, f"{sum(columns.values()):,}", where)
    console.print(table)


def _print_audit(audit: Audit, audit_file: Path) -> None:
    table = Table(title="replacements by kind", show_edge=False)
    table.add_column("kind")
    table.add_column("replaced", justify="right")
    for kind, n in sorted(audit.replacements.items(), key=lambda kv: -kv[1]):
        table.add_row(kind, f"{n:,}")
    console.print(table)
    records_in = sum(audit.records_in.values())
    records_out = sum(audit.records_out.values())
    leak_style = "green" if not audit.leaks.count else "bold red"
    links = audit.links
    console.print(
        f"people {audit.persons:,}   records {records_in:,} in, {records_out:,} out,"
        f" {len(audit.withheld):,} withheld   learned values {sum(audit.learned.values()):,}"
    )
    console.print(
        f"links preserved {links.preserved:,}/{links.resolved_before:,} ({links.ratio:.2%})   "
        f"[{leak_style}]leaks {audit.leaks.count:,}[/]   key fingerprint {audit.key_fingerprint}"
    )
    console.print(f"audit: {audit_file}")


def _keygen(keyfile: Path, force: bool) -> bytes:
    claim([(keyfile, KEY)], force=force)
    with Staged() as stage:  # readable by its owner only from the first byte
        return keygen(stage.path(keyfile, mode=0o600), overwrite=True)


@app.command(name="keygen")
def keygen_command(
    keyfile: Annotated[Path, typer.Argument(help="Where to write the new key (keep it out of outputs).")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing key file.")] = False,
) -> None:
    """Make a secret key for anonymizing; outputs record only its fingerprint.

    Never replaces a file already there (a key least of all) unless --force.

    Example:
        workgym keygen ~/.workgym/acme.key
    """
    from workgym.anonymize.keys import fingerprint

    with _errors():
        key = _keygen(keyfile, force)
    console.print(f"wrote {keyfile} (fingerprint {fingerprint(key)}); keep it secret and out of every output")


@app.command()
def anonymize(
    workspace: Annotated[Path, typer.Argument(help="A workspace file from `workgym ingest`.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="The anonymized workspace to write.")],
    key: Annotated[Path, typer.Option("--key", help="A key file from `workgym keygen`.")],
    config: Annotated[
        Path | None, typer.Option("--config", help="TOML with [anonymize] (and [link]).")
    ] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, help="Worker processes (or Ray CPUs).")] = 1,
    executor: Annotated[
        str, typer.Option("--executor", help="local or ray (pip install workgym[ray]).")
    ] = "local",
    address: Annotated[
        str | None, typer.Option("--address", help="With --executor ray: an existing cluster's host:port.")
    ] = None,
    explain: Annotated[
        Path | None,
        typer.Option(
            "--explain",
            help="On a leak, write each leaking ORIGINAL value, its place and its cause here (mode 0600;"
            " beside the raw workspace, never in OUT's folder).",
        ),
    ] = None,
    force: Force = False,
) -> None:
    """Replace every person, address, number and secret by a keyed surrogate; audit for leaks.

    Writes OUT and OUT's .audit.json. When the audit finds a leak it exits 1, leaves OUT and its
    audit as they were and writes the audit to OUT's .failed.audit.json. Replaces an anonymized
    workspace an earlier run wrote at OUT; any other file only with --force; never an input.
    The summary groups leaks by the layer that should have caught them; --explain FILE also
    writes each leaking value (it holds original values: keep it beside the raw workspace).

    Example:
        workgym anonymize workspace.db -o anon.db --key acme.key --workers 2
        workgym anonymize raw/workspace.db -o out/anon.db --key acme.key --explain raw/leaks.json
        workgym anonymize workspace.db -o anon.db --key acme.key --executor ray --address 10.0.0.5:6379
    """
    started = time.perf_counter()
    with _errors():
        audit = _anonymize(
            workspace, out, key, config, workers, executor, force, address=address, explain=explain
        )
    _print_audit(audit, audit_path_for(out))
    if explain is not None:
        console.print(f"no leaks: nothing to explain ({explain} not written)")
    console.print(f"wrote {out} in {time.perf_counter() - started:.1f} s")


def _token(token_file: Path | None, host: str) -> str | None:
    """The bearer token for a server; refuses a bind beyond loopback without one."""
    from workgym.world.guard import ExposureError, check_exposure, load_token

    try:
        token = load_token(token_file)
        check_exposure(host, token)
    except ExposureError as exc:
        raise _fail(str(exc), 2) from None
    return token


TokenFile = Annotated[
    Path | None,
    typer.Option("--token-file", help="Bearer token (else $WORKGYM_TOKEN); needed beyond loopback."),
]

AllowHost = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-host",
        help="Another name clients reach the server by (a DNS name, a proxy's); repeatable. "
        "Any other Host header is refused.",
    ),
]


@app.command(name="mcp")
def mcp_command(
    workspace: Annotated[Path, typer.Argument(help="A workspace file (raw or anonymized).")],
    cutoff: Annotated[
        str | None, typer.Option("--cutoff", help="The world as it stood then (ISO 8601).")
    ] = None,
    persona: Annotated[
        str | None, typer.Option("--persona", help="Who acts: a person id, name, handle or address.")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Makes new ids.")] = 0,
    tools: Annotated[
        str | None, typer.Option("--tools", help="Comma-separated tools to serve (default all).")
    ] = None,
    max_steps: Annotated[
        int, typer.Option("--max-steps", min=1, help="Steps before the episode is truncated.")
    ] = 50,
    max_seconds: Annotated[
        float, typer.Option("--max-seconds", min=1, help="Wall seconds before the episode is truncated.")
    ] = 600.0,
    http: Annotated[
        bool, typer.Option("--http", help="Serve streamable HTTP at /mcp instead of stdio.")
    ] = False,
    host: Annotated[str, typer.Option("--host", help="Address to bind with --http.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port with --http.")] = 8200,
    token_file: TokenFile = None,
    allow_host: AllowHost = None,
    tasks_file: Annotated[
        Path | None, typer.Option("--tasks", help="A tasks.jsonl of this workspace; serve one of its tasks.")
    ] = None,
    task_id: Annotated[
        str | None, typer.Option("--task", help="The task to serve (with --tasks; default the first).")
    ] = None,
) -> None:
    """Serve one episode's tools to an MCP client, over stdio (default) or streamable HTTP.

    Over stdio nothing but the protocol is written to stdout; errors go to stderr. With --tasks the
    episode is a task's (its cutoff, persona and tools): each call carries the task's reward and
    the one that ends the episode its score.

    Example:
        workgym mcp anon.db --persona P0003 --cutoff 2024-04-01T09:00Z
        workgym mcp anon.db --http --port 8200
        workgym mcp anon.db --tasks tasks.jsonl --task lookup-3f2a
    """
    from workgym.world import Limits, World
    from workgym.world.mcp_server import serve_http, serve_stdio

    out = console if http else Console(stderr=True, highlight=False)  # over stdio, stdout is the protocol's
    token = _token(token_file, host) if http else None
    with _errors(out):
        names = [t.strip() for t in tools.split(",") if t.strip()] if tools else None
        limits = Limits(max_steps=max_steps, max_seconds=max_seconds)
        task_env = None
        if tasks_file is not None:
            from workgym.tasks import TaskSet

            if cutoff or persona or names:
                raise ValueError("--cutoff, --persona and --tools come from the task with --tasks")
            taskset = TaskSet.open(workspace, tasks_file)
            if not taskset.tasks:
                raise ValueError(f"{tasks_file}: no tasks")
            try:
                task_env = taskset.env(task_id or taskset.tasks[0].id, seed=seed, limits=limits)
            except KeyError as exc:
                raise ValueError(str(exc.args[0])) from None
            episode = task_env.episode
        elif task_id is not None:
            raise ValueError("--task needs --tasks tasks.jsonl")
        else:
            episode = World.open(workspace).episode(
                cutoff=cutoff, persona=persona, seed=seed, tools=names, limits=limits
            )
    try:
        if http:
            console.print(
                f"MCP (streamable HTTP) at http://{host}:{port}/mcp; {episode.intro().split(' Tools:')[0]}"
            )
            serve_http(
                episode, host=host, port=port, token=token, allowed_hosts=allow_host or (), task=task_env
            )
        else:
            serve_stdio(episode, task=task_env)
    finally:
        episode.close()


@app.command(name="serve-env")
def serve_env(
    workspace: Annotated[Path, typer.Argument(help="A workspace file (raw or anonymized).")],
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8100,
    token_file: TokenFile = None,
    allow_host: AllowHost = None,
    max_sessions: Annotated[int, typer.Option("--max-sessions", min=1, help="Sessions open at once.")] = 256,
    idle_timeout: Annotated[
        float, typer.Option("--idle-timeout", min=1, help="Seconds before an unused session is closed.")
    ] = 900.0,
    max_body: Annotated[
        int, typer.Option("--max-body", min=1024, help="Largest request body, bytes.")
    ] = 1_000_000,
    tasks_file: Annotated[
        Path | None,
        typer.Option("--tasks", help="A tasks.jsonl of this workspace: a reset may name a task_id."),
    ] = None,
) -> None:
    """Serve the world over HTTP: sessions with reset/step/state/fork/close, for many clients at once.

    Use it from Python with workgym.world.client.EnvClient (docs/world.md). With --tasks a reset
    may name a task_id: each observation carries the task's reward, the last its score; GET
    /tasks lists them.

    Example:
        workgym serve-env anon.db --port 8100
        workgym serve-env anon.db --tasks tasks.jsonl
        WORKGYM_TOKEN=$(openssl rand -hex 24) workgym serve-env anon.db --host 0.0.0.0
    """
    from workgym.world import World
    from workgym.world.server import serve

    token = _token(token_file, host)
    taskset = None
    with _errors():
        if tasks_file is not None:
            from workgym.tasks import TaskSet

            taskset = TaskSet.open(workspace, tasks_file)
            world = taskset.world
        else:
            world = World.open(workspace)
    auth = "bearer token required" if token else "loopback only, no token"
    served = f"; {len(taskset)} tasks" if taskset is not None else ""
    console.print(
        f"env server at http://{host}:{port} ({auth}); {len(world.tools())} tools{served}; Ctrl-C stops it"
    )
    serve(
        world,
        tasks=taskset,
        host=host,
        port=port,
        token=token,
        max_sessions=max_sessions,
        idle_seconds=idle_timeout,
        max_body_bytes=max_body,
        allowed_hosts=allow_host or (),
    )


@app.command(name="serve-openenv")
def serve_openenv_command(
    workspace: Annotated[Path, typer.Argument(help="A workspace file (the one the tasks were mined from).")],
    tasks_file: Annotated[Path, typer.Option("--tasks", help="The tasks.jsonl to serve.")],
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8300,
    token_file: TokenFile = None,
    allow_host: AllowHost = None,
    max_sessions: Annotated[int, typer.Option("--max-sessions", min=1, help="Sessions open at once.")] = 256,
    reward: Annotated[
        str, typer.Option("--reward", help="binary (the task's reward at the end) or dense (progress).")
    ] = "binary",
) -> None:
    """Serve the tasks with OpenEnv's protocol (WebSocket sessions, /health, /schema), for OpenEnv clients.

    Needs the openenv extra (docs/training.md). A reset names the task: reset(task_id=...).

    Example:
        workgym serve-openenv anon.db --tasks tasks.jsonl --port 8300
    """
    from workgym.tasks import TaskSet

    token = _token(token_file, host)
    with _errors():
        if reward not in ("binary", "dense"):
            raise ValueError(f"--reward is binary or dense, not {reward!r}")
        try:
            from workgym.integrations.openenv import serve_openenv
        except ImportError as exc:
            raise ValueError(f"OpenEnv is not installed ({exc}); see docs/training.md") from None
        taskset = TaskSet.open(workspace, tasks_file)
    auth = "bearer token required" if token else "loopback only, no token"
    console.print(f"OpenEnv server at http://{host}:{port} ({auth}); {len(taskset)} tasks; Ctrl-C stops it")
    serve_openenv(
        taskset,
        host=host,
        port=port,
        token=token,
        max_sessions=max_sessions,
        reward=reward,
        allowed_hosts=allow_host or (),
    )


def _tasks(
    workspace: Path,
    out: Path,
    n: int,
    seed: int,
    families: list[str] | None,
    splits: tuple[str, str],
    test_share: float,
    frontier: tuple[Path, float, float] | None = None,
    force: bool = False,
    level: dict[str, int] | None = None,
    harder: tuple[list[Path], str | None] | None = None,
    workers: int = 1,
) -> None:
    from dataclasses import replace

    from workgym.tasks import generate_tasks, write_tasks
    from workgym.tasks.calibrate import Calibration
    from workgym.tasks.calibrate import frontier as frontier_of
    from workgym.tasks.generate import assign_splits
    from workgym.tasks.review import review
    from workgym.world import World

    md = out.with_suffix(".md")
    fitted = out.with_suffix(".difficulty.json")  # with --harder-than: the fit behind the choice
    outputs = [(out, TASKS), (md, REVIEW), *([(fitted, DIFFICULTY)] if harder else [])]
    runs_read = [p for r in harder[0] for p in _run_files(r)] if harder else []
    claim(outputs, inputs=[workspace, frontier[0] if frontier else None, *runs_read], force=force)
    # the runs are read before the long part, so that a bad run folder stops it at once
    fitted_runs = _fit_runs(*harder) if harder is not None else None
    world = World.open(workspace)
    with Progress(
        TextColumn("[bold]validating[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        job = bar.add_task("validate", total=None)
        tasks, report = generate_tasks(
            world,
            n=n,
            seed=seed,
            families=families,
            splits=splits,
            test_share=test_share,
            progress=lambda done, total: bar.update(job, completed=done, total=total),
            level=level,
            workers=workers,
        )
    if frontier is not None:
        path, low, high = frontier
        calibration = Calibration.from_dict(json.loads(path.read_text(encoding="utf-8")))
        keep = set(frontier_of(calibration, [t.id for t in tasks], low, high))
        before = len(tasks)
        tasks = [
            replace(t, difficulty=round(calibration.difficulties[t.id], 4)) for t in tasks if t.id in keep
        ]
        console.print(
            f"frontier: {len(tasks)} of {before} tasks are solved {low:.0%}-{high:.0%} of the time by "
            f"{calibration.strongest} ({path})"
        )
    fit_file = None
    if fitted_runs is not None:
        kept, fit_file = _harder_than(tasks, *fitted_runs, show=False)
        step = _next_level(*fitted_runs, level or {}) if len(kept) < n // 4 else None
        if step is not None:  # few are beyond the agent: draft the next level up once, and choose again
            console.print(f"{len(kept)} kept of {len(tasks)}: drafting at the next level up ({step})")
            more, _ = generate_tasks(
                world,
                n=n,
                seed=seed,
                families=families,
                splits=splits,
                test_share=test_share,
                level=step,
                workers=workers,
            )
            seen = {t.id for t in tasks}
            tasks = assign_splits([*tasks, *(t for t in more if t.id not in seen)], splits, test_share, seed)
        tasks, fit_file = _harder_than(tasks, *fitted_runs)
    text = review(world, tasks)
    with Staged() as stage:  # the tasks and their review replace the old ones together
        write_tasks(tasks, stage.path(out))
        stage.path(md).write_text(text, encoding="utf-8")
        if fit_file is not None:
            stage.path(fitted).write_text(fit_file, encoding="utf-8")
    table = Table("family", "drafts", "validated", "kept", *splits, title="tasks")
    for family in report.drafts:
        kept = [t for t in tasks if t.family == family]
        table.add_row(
            family,
            str(report.drafts[family]),
            str(report.validated[family]),
            str(len(kept)),  # after --frontier or --harder-than, what is left of report.kept
            *(str(sum(t.split == s for t in kept)) for s in splits),
        )
    console.print(table)
    for (family, reason), count in sorted(report.dropped.items()):
        console.print(f"  dropped {count:>4} {family}: {reason}")
    multi = report.share(tasks, lambda t: t.features.get("sources", 1) >= 2)
    replay = report.share(tasks, lambda t: t.family == "replay")
    console.print(
        f"{len(tasks)} tasks in {report.seconds:.1f} s: every one solved by the oracle (1.0) and failed by "
        f"the noop and plausible-wrong agents (0.0); {multi:.0%} span 2+ sources, {replay:.0%} replay real history"
    )
    console.print(f"wrote {out} and {md} (a review of a sample, with the evidence behind each)")
    if fit_file is not None:
        console.print(f"wrote {fitted} (the runs' Rasch fit and the difficulty model behind the choice)")


def _fit_runs(runs: list[Path], agent: str | None) -> tuple[Any, str]:
    """The runs' Rasch fit and difficulty model (:func:`workgym.tasks.frontier.fit_frontier`), and whose step it is."""
    from workgym.rollout import load_trajectories, run_tasks
    from workgym.tasks import Task
    from workgym.tasks.frontier import fit_frontier

    trajectories, ran = [], {}
    for r in runs:
        if not (r / "trajectories.jsonl").is_file():
            raise _fail(f"{r} is not a run folder with trajectories (`workgym run ... -o {r}` writes one)")
        trajectories += load_trajectories(r / "trajectories.jsonl")
        ran.update({k: Task.from_dict(v) for k, v in run_tasks(r).items()})
    fitted = fit_frontier(trajectories, ran)
    who = agent or fitted.calibration.strongest
    if who not in fitted.calibration.abilities:
        names = ", ".join(sorted(fitted.calibration.abilities))
        raise _fail(f"no agent {who!r} in the runs (oracle and noop are not fitted); agents: {names}", 2)
    return fitted, who


def _next_level(fitted: Any, who: str, level: dict[str, int]) -> dict[str, int] | None:
    """The level above what the agent solves: gold longer than the longest it solved in every try."""
    longest = max((row["longest"] for row in fitted.levels(who).values()), default=0)
    if not longest or level.get("min_actions", 0) > longest:
        return None  # it solved nothing (all is harder), or the floor is above it already
    return {**level, "min_actions": longest + 1}


def _harder_than(candidates: list[Any], fitted: Any, who: str, show: bool = True) -> tuple[list[Any], str]:
    """The frontier loop's step: the candidates predicted harder than the runs' agent; and the fit, as JSON."""
    from dataclasses import replace

    from workgym.tasks.frontier import harder_than

    who, kept = harder_than(fitted, candidates, who)
    if not show:
        return kept, ""
    c = fitted.calibration
    table = Table("family", "tried", "solved every try", "longest gold solved", title=f"what {who} solves")
    for family, row in fitted.levels(who).items():
        table.add_row(family, str(row["tried"]), str(row["solved_every_try"]), str(row["longest"]))
    console.print(table)
    r_in, r_cv = fitted.correlation, fitted.cv_correlation
    console.print(
        f"Rasch fit: {len(c.difficulties)} tasks, {len(c.abilities)} agents; {who}'s ability "
        f"{c.abilities[who]:+.2f}, solved {len(fitted.solved(who))}. Difficulty model on task features: "
        f"r = {'-' if r_in is None else f'{r_in:.2f}'} (cross-validated "
        f"{'-' if r_cv is None else f'{r_cv:.2f}'}) with the measured difficulties"
    )
    new = sum(t.id not in c.observed for t in candidates)
    mean = sum(p.success for p in kept) / len(kept) if kept else float("nan")
    console.print(
        f"harder than {who}: {len(kept)} of {new} new candidates are predicted harder than its ability "
        f"and every task it solved (predicted difficulty > {fitted.threshold(who):+.2f}); "
        f"its predicted success on them: {mean:.2f}"
    )
    data = fitted.to_dict()
    data["harder_than"] = {
        "agent": who,
        "threshold": round(fitted.threshold(who), 4),
        "levels": fitted.levels(who),
        "kept": {
            p.task.id: {"difficulty": round(p.difficulty, 4), "success": round(p.success, 4)} for p in kept
        },
    }
    tasks = [replace(p.task, difficulty=round(p.difficulty, 4)) for p in kept]
    return tasks, json.dumps(data, indent=2, sort_keys=True) + "\n"


@app.command()
def tasks(
    workspace: Annotated[Path, typer.Argument(help="A workspace file (raw or anonymized).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="The tasks file to write (JSONL).")] = Path(
        "tasks.jsonl"
    ),
    n: Annotated[int, typer.Option("--n", min=1, help="How many tasks to aim for.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Makes the draws.")] = 0,
    families: Annotated[
        str | None, typer.Option("--families", help="Comma-separated families (default all).")
    ] = None,
    split: Annotated[str, typer.Option("--split", help="The two splits' names.")] = "train,test",
    test_share: Annotated[
        float,
        typer.Option("--test-share", min=0.0, max=1.0, help="About what share goes to the second split."),
    ] = 0.2,
    frontier: Annotated[
        Path | None, typer.Option("--frontier", help="A difficulty.json from `workgym calibrate`.")
    ] = None,
    band: Annotated[
        str, typer.Option("--band", help="With --frontier: the strongest agent's success band to keep.")
    ] = "0.2-0.6",
    min_actions: Annotated[
        int,
        typer.Option("--min-actions", min=0, help="Keep tasks whose gold takes at least this many calls."),
    ] = 0,
    hops: Annotated[int, typer.Option("--hops", min=0, help="Keep tasks of at least this many hops.")] = 0,
    apps: Annotated[
        int, typer.Option("--apps", min=0, help="Keep tasks touching at least this many apps.")
    ] = 0,
    distractors: Annotated[
        int,
        typer.Option("--distractors", min=0, help="Name records among at least this many look-alikes."),
    ] = 0,
    harder_than: Annotated[
        list[Path] | None,
        typer.Option(
            "--harder-than", help="Run folders: keep new tasks predicted harder than their agent; repeatable."
        ),
    ] = None,
    agent: Annotated[
        str | None, typer.Option("--agent", help="With --harder-than: whose runs (default the strongest).")
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Processes that validate drafts; the tasks are the same.")
    ] = 1,
    force: Force = False,
) -> None:
    """Mine validated tasks from a workspace: lookup, chain, aggregate, workflow, replay, clarify, compose.

    Writes OUT (one task per line) and OUT with .md (a review with the evidence behind each),
    replacing tasks files workgym wrote; any other file there only with --force.
    With --frontier, keeps only the tasks the strongest calibrated agent solves within --band.
    With --harder-than, fits a Rasch model on the runs' outcomes and a difficulty model on the
    tasks' features, and keeps the new tasks predicted harder than the agent (docs/tasks.md); the
    fit goes to OUT with .difficulty.json.

    Example:
        workgym tasks anon.db -o tasks.jsonl --n 1000 --seed 0
        workgym tasks anon.db --families replay,workflow --split train,test
        workgym tasks anon.db --frontier difficulty.json --band 0.2-0.6 -o frontier.jsonl
        workgym tasks anon.db --families compose --min-actions 10 --apps 3 --distractors 2
        workgym tasks anon.db --harder-than runs/qwen --seed 1 -o harder.jsonl
    """
    names = tuple(s.strip() for s in split.split(",") if s.strip())
    if len(names) != 2 or names[0] == names[1]:
        raise _fail(f"--split takes two different names, e.g. train,test (got {split!r})", 2)
    chosen = [f.strip() for f in families.split(",") if f.strip()] if families else None
    edge = None
    if frontier is not None:
        try:
            low, high = (float(x) for x in band.split("-", 1))
        except ValueError:
            raise _fail(f"--band takes LOW-HIGH, e.g. 0.2-0.6 (got {band!r})", 2) from None
        if not 0 <= low <= high <= 1:
            raise _fail(f"--band needs 0 <= LOW <= HIGH <= 1 (got {band!r})", 2)
        edge = (frontier, low, high)
    if harder_than and frontier is not None:
        raise _fail("--harder-than and --frontier choose tasks two ways; give one", 2)
    if agent is not None and not harder_than:
        raise _fail("--agent goes with --harder-than RUN_DIR", 2)
    harder = (list(harder_than), agent) if harder_than else None
    with _errors():
        level = {"min_actions": min_actions, "hops": hops, "apps": apps, "distractors": distractors}
        _tasks(
            workspace,
            out,
            n,
            seed,
            chosen,
            (names[0], names[1]),
            test_share,
            edge,
            force,
            level,
            harder,
            workers,
        )


def _agent_specs(
    agents: list[str],
    model: str | None,
    base_url: str | None,
    temperature: float,
    timeout: float,
    *,
    top_p: float | None = None,
    max_tokens: int = 1024,
    logprobs: bool = False,
    max_turns: int = 30,
    max_seconds: float | None = None,
    max_context: int | None = None,
    compact_tools: bool = False,
) -> list[Any]:
    from workgym.agents import KINDS, AgentSpec, ModelEndpoint, graded_skill

    specs = []
    for name in agents:
        if name not in KINDS and graded_skill(name) is None:  # upto-N: scripted, of graded skill
            close = difflib.get_close_matches(name, KINDS, n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            raise _fail(f"unknown agent {name!r}.{hint} Agents: {', '.join(KINDS)}", 2)
        endpoint = None
        if name in ("openai", "react"):
            if not model:
                raise _fail(f"the {name} agent needs --model (and --base-url for a local server)", 2)
            endpoint = ModelEndpoint(
                model=model,
                base_url=base_url,
                temperature=temperature,
                top_p=top_p,
                timeout=timeout,
                max_tokens=max_tokens,
                logprobs=logprobs,
            )
            specs.append(AgentSpec(name, endpoint, max_turns, max_seconds, max_context, compact_tools))
            continue
        specs.append(AgentSpec(name, endpoint))
    return specs


def _run(
    workspace: Path,
    tasks_file: Path,
    specs: list[Any],
    trials: int,
    concurrency: int,
    out: Path,
    executor: str,
    address: str | None,
    max_steps: int,
    seed: int,
    prices: tuple[float, float] | None = None,
    force: bool = False,
) -> dict[str, Any]:
    from workgym.rollout import RunConfig, run
    from workgym.tasks import load_tasks

    claim([(out, RUN)], inputs=[workspace, tasks_file], force=force)
    try:
        tasks = load_tasks(tasks_file)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    with Progress(
        TextColumn("[bold]running[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        job = bar.add_task("", total=None)

        def progress(done: int, total: int, won: int) -> None:
            bar.update(
                job, completed=done, total=total, description=f"success {won / done:.0%}" if done else ""
            )

        config = RunConfig(
            workspace=workspace,
            tasks=tasks,
            agents=specs,
            trials=trials,
            concurrency=concurrency,
            out=out,
            executor=executor,
            address=address,
            max_steps=max_steps,
            seed=seed,
            tasks_file=tasks_file,
            prices=prices,
            progress=progress,
            notice=lambda message: console.print(f"[yellow]note:[/] {escape(message)}"),
        )
        return run(config)


def _print_run(summary: dict[str, Any], out: Path) -> None:
    table = Table(
        "agent",
        "episodes",
        "success (95% CI)",
        "partial",
        "pass^1 … pass^k",
        "steps",
        "failures",
        title="run",
    )
    for agent, s in sorted(summary["by_agent"].items()):
        lo, hi = s["success_rate_ci95"]
        curve = " ".join(f"{v:.2f}" for _, v in sorted(s["pass_hat_k"].items(), key=lambda kv: int(kv[0])))
        failures = ", ".join(f"{k} {v}" for k, v in s["failures"].items()) or "-"
        if s.get("format_failures", {}).get("replies"):  # replies neither a call nor an answer
            failures += f" (format: {s['format_failures']['replies']} replies)"
        table.add_row(
            agent,
            str(s["episodes"]),
            f"{s['success_rate']:.0%} ({lo:.0%}-{hi:.0%})",
            f"{s['partial_credit']:.2f}",
            curve,
            f"{s['steps_mean']:.1f}",
            failures,
        )
    console.print(table)
    if summary.get("cost_usd") is not None:
        console.print(f"cost: ${summary['cost_usd']:.4f} (at --price, per million tokens in and out)")
    console.print(f"wrote {out / 'trajectories.jsonl'} and {out / 'summary.json'}")


@app.command(name="run")
def run_command(
    workspace: Annotated[Path, typer.Argument(help="The workspace the tasks were mined from.")],
    tasks_file: Annotated[Path, typer.Argument(help="A tasks.jsonl from `workgym tasks`.")],
    agent: Annotated[
        list[str],
        typer.Option(
            "--agent", help="oracle, noop, random, openai, react, wrong or partial; repeat for several."
        ),
    ],
    out: Annotated[Path, typer.Option("-o", "--out", help="The run's folder.")] = Path("runs/run"),
    trials: Annotated[
        int, typer.Option("--trials", min=1, help="Tries per agent and task (pass^k needs k).")
    ] = 1,
    concurrency: Annotated[int, typer.Option("--concurrency", min=1, help="Episodes at once.")] = 1,
    model: Annotated[str | None, typer.Option("--model", help="The model, for openai and react.")] = None,
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="An OpenAI-compatible endpoint (key: $OPENAI_API_KEY).")
    ] = None,
    temperature: Annotated[float, typer.Option("--temperature", min=0, help="Sampling temperature.")] = 0.0,
    top_p: Annotated[
        float | None, typer.Option("--top-p", min=0, max=1, help="Nucleus sampling (default: the server's).")
    ] = None,
    timeout: Annotated[
        float,
        typer.Option("--timeout", min=1, help="Seconds to wait for one model answer (cold CPU: minutes)."),
    ] = 300.0,
    max_turns: Annotated[
        int, typer.Option("--max-turns", min=1, help="Model calls before an LLM agent gives up.")
    ] = 30,
    max_tokens: Annotated[
        int, typer.Option("--max-tokens", min=1, help="The longest completion of one model turn.")
    ] = 1024,
    max_seconds: Annotated[
        float,
        typer.Option("--max-seconds", min=1, help="Seconds in the environment (not model time) per episode."),
    ] = 600.0,
    max_context: Annotated[
        int | None,
        typer.Option("--max-context", min=256, help="The conversation's token budget; old observations go."),
    ] = None,
    logprobs: Annotated[
        bool, typer.Option("--logprobs", help="Ask for logprobs and token ids; the trajectories keep them.")
    ] = False,
    compact_tools: Annotated[
        bool,
        typer.Option(
            "--compact-tools", help="Shorter tool schemas in the prompt (for small models and contexts)."
        ),
    ] = False,
    executor: Annotated[
        str, typer.Option("--executor", help="local or ray (pip install workgym[ray]).")
    ] = "local",
    address: Annotated[str | None, typer.Option("--address", help="A Ray cluster's address.")] = None,
    max_steps: Annotated[
        int, typer.Option("--max-steps", min=1, help="Steps before an episode is cut off.")
    ] = 30,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Added to each trial's seed.")] = 0,
    price: Annotated[
        str | None,
        typer.Option("--price", help="USD per million tokens, IN,OUT (e.g. 0.15,0.6), for a cost."),
    ] = None,
    force: Force = False,
) -> None:
    """Run agents on tasks, K tries each; stream trajectories, then write summary.json.

    Resumable: run the same command again after a kill and only the missing episodes run.
    OUT is a run folder (with its run.json), or a new or empty one; another folder only with --force.

    Example:
        workgym run anon.db tasks.jsonl --agent oracle --agent random --trials 4 -o runs/base
        workgym run anon.db tasks.jsonl --agent openai --model qwen3 --base-url http://127.0.0.1:8000/v1 --trials 8 --concurrency 16 -o runs/qwen
    """
    specs = _agent_specs(
        agent,
        model,
        base_url,
        temperature,
        timeout,
        top_p=top_p,
        max_tokens=max_tokens,
        logprobs=logprobs,
        max_turns=max_turns,
        max_seconds=max_seconds,
        max_context=max_context,
        compact_tools=compact_tools,
    )
    prices = _prices(price) if price is not None else None
    with _errors():
        summary = _run(
            workspace,
            tasks_file,
            specs,
            trials,
            concurrency,
            out,
            executor,
            address,
            max_steps,
            seed,
            prices,
            force,
        )
    _print_run(summary, out)


def _prices(price: str) -> tuple[float, float]:
    """``--price IN,OUT``: US dollars per million prompt and completion tokens."""
    parts = price.split(",")
    try:
        per_in, per_out = (float(x) for x in parts)
    except ValueError:
        raise _fail(
            f"--price takes IN,OUT in USD per million tokens, e.g. 0.15,0.6 (got {price!r})", 2
        ) from None
    if not all(0 <= x < float("inf") for x in (per_in, per_out)):
        raise _fail(f"--price takes two prices of 0 or more (got {price!r})", 2)
    return per_in, per_out


@app.command()
def calibrate(
    runs: Annotated[list[Path], typer.Argument(help="Run folders (their trajectories.jsonl).")],
    out: Annotated[Path, typer.Option("-o", "--out", help="The difficulty file to write.")] = Path(
        "difficulty.json"
    ),
    include: Annotated[
        list[str] | None, typer.Option("--include", help="Diagnostic agents to fit too (oracle, noop).")
    ] = None,
    force: Force = False,
) -> None:
    """Fit a Rasch model over agents x tasks: each task's difficulty, each agent's ability.

    Replaces a difficulty file workgym wrote at OUT; any other file only with --force.

    Example:
        workgym calibrate runs/qwen runs/llama -o difficulty.json
        workgym tasks anon.db --frontier difficulty.json --band 0.2-0.6 -o frontier.jsonl
    """
    from workgym.rollout import load_trajectories
    from workgym.tasks.calibrate import fit, frontier, outcomes

    with _errors():
        claim([(out, DIFFICULTY)], inputs=[p for r in runs for p in _run_files(r)], force=force)
        trajectories = [t for r in runs for t in load_trajectories(r / "trajectories.jsonl")]
        if not trajectories:
            raise _fail(f"no trajectories in {', '.join(map(str, runs))}")
        calibration = fit(outcomes(trajectories, include=include or ()))
        write_text(out, json.dumps(calibration.to_dict(), indent=2, sort_keys=True) + "\n")
    table = Table("agent", "ability (logits)", title="calibration")
    for name, ability in sorted(calibration.abilities.items(), key=lambda kv: -kv[1]):
        table.add_row(name, f"{ability:+.2f}")
    console.print(table)
    middle = frontier(calibration, calibration.difficulties)
    console.print(
        f"{len(calibration.difficulties)} tasks calibrated; {len(middle)} on the frontier (the strongest, "
        f"{calibration.strongest}, solves them 20-60% of the time). Wrote {out}"
    )


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run folder from `workgym run`.")],
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Where to write (default RUN/report.html).")
    ] = None,
    force: Force = False,
) -> None:
    """Write a self-contained report.html of a run (no network needed to view it) and summarise it here.

    Replaces a report workgym wrote at OUT; any other file only with --force.

    Example:
        workgym report runs/base
    """
    from workgym.report import load_run
    from workgym.rollout.runner import cut_off_line

    with _errors():
        summary, _, _ = load_run(run_dir)
        path = _report(run_dir, out, force)
    _print_run(summary, run_dir)
    if (line := cut_off_line(run_dir / "trajectories.jsonl")) is not None:
        console.print(
            f"[yellow]note:[/] line {line} of trajectories.jsonl is cut off (a run killed while writing) "
            "and was left out; `workgym run` into the folder again resumes and repairs it"
        )
    console.print(f"report: {path}")


def _run_files(run_dir: Path) -> list[Path]:
    """What a command reads from a run folder (none of which it may write)."""
    names = ("trajectories.jsonl", "run.json", "summary.json", "tasks.jsonl")
    return [run_dir, *(run_dir / name for name in names)]


def _report(run_dir: Path, out: Path | None, force: bool) -> Path:
    from workgym.report import write_report

    path = out or run_dir / "report.html"
    claim([(path, REPORT)], inputs=_run_files(run_dir), force=force)
    with Staged() as stage:
        write_report(run_dir, stage.path(path))
    return path


def _export(runs: list[Path], out: Path, options: Any) -> None:
    from workgym.export import ExportLeakError, export

    try:
        report = export(runs, out, options)
    except ExportLeakError as exc:
        raise _fail(f"leak check failed: {exc}") from None
    table = Table("file", "records", title="export")
    for path, count in report.files.items():
        table.add_row(path, f"{count:,}")
    console.print(table)
    left_out = ", ".join(f"{reason} {n:,}" for reason, n in sorted(report.dropped.items())) or "nothing"
    console.print(
        f"{report.trajectories:,} trajectories read, {report.selected:,} selected; left out: {left_out}"
    )
    if report.leak is not None:
        console.print(
            f"leak check: {report.leak.strings:,} strings of {report.leak.records:,} records, no original identifier"
        )
    console.print(f"dataset card: {report.card}   manifest: {report.manifest}")


@app.command(name="export")
def export_command(
    runs: Annotated[list[Path], typer.Argument(help="Run folders from `workgym run`.")],
    out: Annotated[
        Path,
        typer.Option(
            "-o", "--out", help="out.jsonl or out.parquet; a folder (no suffix) for several formats."
        ),
    ],
    format_: Annotated[
        list[str],
        typer.Option("--format", help="openai-chat, react, sharegpt, toolformer, dpo or rl; repeatable."),
    ],
    agent: Annotated[
        list[str] | None, typer.Option("--agent", help="Only these agents (label or kind).")
    ] = None,
    success_only: Annotated[
        bool, typer.Option("--success-only", help="Only trajectories that solved their task.")
    ] = False,
    min_reward: Annotated[
        float | None, typer.Option("--min-reward", help="Only trajectories with this reward or more.")
    ] = None,
    no_dedupe: Annotated[bool, typer.Option("--no-dedupe", help="Keep identical trajectories.")] = False,
    max_length: Annotated[
        int | None, typer.Option("--max-length", min=1, help="Longest record, characters (or tokens).")
    ] = None,
    tokenizer: Annotated[
        str | None, typer.Option("--tokenizer", help="tiktoken: count tokens (from its local cache).")
    ] = None,
    no_split: Annotated[bool, typer.Option("--no-split", help="One file, not one per split.")] = False,
    loss_mask: Annotated[bool, typer.Option("--loss-mask", help="Mark model-written spans.")] = False,
    negatives: Annotated[
        bool, typer.Option("--negatives", help="dpo: add invented-call negatives with their fix.")
    ] = False,
    parquet: Annotated[
        bool, typer.Option("--parquet", help="Parquet files (a .parquet OUT implies it).")
    ] = False,
    raw: Annotated[
        Path | None, typer.Option("--raw", help="The raw workspace, for the final leak check.")
    ] = None,
    key: Annotated[Path | None, typer.Option("--key", help="The key it was anonymized with.")] = None,
    workspace: Annotated[
        Path | None, typer.Option("--workspace", help="The runs' workspace, for rl (default from run.json).")
    ] = None,
    force: Force = False,
) -> None:
    """Export runs as training data: SFT (openai-chat, react, sharegpt, toolformer), dpo pairs, rl steps.

    OUT as a file (data/sft.jsonl): one file per split named from it (data/sft.train.jsonl,
    data/sft.test.jsonl), the dataset card data/sft.card.md and data/sft.manifest.json. OUT as a
    folder (no suffix, or several formats): FORMAT.SPLIT.jsonl, README.md (the card) and
    manifest.json inside it. The manifest says which files an export wrote: a later one replaces
    those, and any other file in its way only with --force. With --raw and --key, every record is
    re-scanned for original identifiers first; on a leak nothing is written and the exit code is 1.

    Example:
        workgym export runs/base --format openai-chat --success-only -o data/sft.jsonl
        workgym export runs/qwen runs/base --format dpo --negatives -o data/dpo.parquet --raw workspace.db --key acme.key
        workgym export runs/base --format openai-chat --format react --loss-mask -o data/
    """
    from workgym.export import ExportOptions

    options = ExportOptions(
        formats=format_,
        agents=agent or (),
        success_only=success_only,
        min_reward=min_reward,
        dedupe=not no_dedupe,
        max_length=max_length,
        tokenizer=tokenizer,
        split=not no_split,
        loss_mask=loss_mask,
        negatives=negatives,
        parquet=parquet or out.suffix == ".parquet",
        raw=raw,
        key=key,
        workspace=workspace,
        force=force,
    )
    if (raw is None) != (key is None):
        raise _fail("the leak check needs both --raw and --key", 2)
    with _errors():
        _export(runs, out, options)


@app.command()
def view(
    workspace: Annotated[Path, typer.Argument(help="A workspace file (raw or anonymized).")],
    runs: Annotated[Path | None, typer.Option("--runs", help="A run folder, or a folder of them.")] = None,
    tasks_file: Annotated[
        Path | None, typer.Option("--tasks", help="A tasks.jsonl (default: the runs' own).")
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1.")] = 8300,
    episode: Annotated[
        bool, typer.Option("--episode", help="Operable: forms that act through an episode.")
    ] = False,
    persona: Annotated[str | None, typer.Option("--persona", help="Who acts, with --episode.")] = None,
    cutoff: Annotated[str | None, typer.Option("--cutoff", help="The world as it stood then.")] = None,
    task: Annotated[
        str | None, typer.Option("--task", help="With --episode: a task's episode, to check it.")
    ] = None,
    raw: Annotated[
        Path | None, typer.Option("--raw", help="The raw workspace: raw and anonymized side by side.")
    ] = None,
    key: Annotated[
        Path | None, typer.Option("--key", help="The key the workspace was anonymized with (with --raw).")
    ] = None,
) -> None:
    """Browse the workspace, its tasks and its runs in a web page; with --episode, operate the world.

    Serves on 127.0.0.1 only (the pages show the workspace; --raw shows the raw one beside it).
    Open the address it prints: it carries a token made at this start, which the browser then
    keeps in a cookie; a request without it, from another site, or naming another host is refused.

    Example:
        workgym view anon.db --runs runs/
        workgym view anon.db --runs runs/base --episode --task workflow-3f2a1b9c0d1e
        workgym view anon.db --raw workspace.db --key acme.key
    """
    from workgym.anonymize.keys import fingerprint, load_key
    from workgym.report.viewer import create_viewer, serve_viewer, viewer_address
    from workgym.world import World

    if (raw is None) != (key is None):
        raise _fail("raw and anonymized side by side needs both --raw and --key", 2)
    with _errors():
        world = World.open(workspace)
        if raw is not None and key is not None:
            conn = connect(workspace)
            try:
                row = conn.execute("SELECT value FROM meta WHERE key = 'key_fingerprint'").fetchone()
            finally:
                conn.close()
            if row is None or row[0] != fingerprint(load_key(key)):
                raise _fail(f"{key} is not the key {workspace} was anonymized with")
        viewer = create_viewer(
            world,
            runs=runs,
            tasks=tasks_file,
            operable=episode or task is not None,
            persona=persona,
            cutoff=cutoff,
            task_id=task,
            raw=raw,
        )
    address = viewer_address(viewer, f"http://127.0.0.1:{port}")
    console.print(f"viewer at {address} (open this address; Ctrl-C stops it)", soft_wrap=True)
    serve_viewer(viewer, host="127.0.0.1", port=port)


def _demo_episode(anon: Path) -> str | None:
    """Act as the assignee of an open ticket: search, read, comment; then diff, fork and reset."""
    from workgym.world import EMPTY_HASH, World

    conn = connect(anon)
    try:
        found = conn.execute(
            "SELECT id, assignee FROM ticket WHERE status = 'Open' AND assignee != '' ORDER BY id LIMIT 1"
        ).fetchone()
    finally:
        conn.close()
    if found is None:
        console.print("no open ticket with an assignee to act on")
        return None
    key, persona = found
    world = World.open(anon)
    episode = world.episode(persona=persona, seed=0)
    first = episode.reset().text.split(" Tools:")[0]
    console.print(f"{len(world.tools())} tools; {first}")
    calls = [
        {"name": "search_tickets", "arguments": {"jql": f"assignee = {persona} AND status = Open"}},
        {"name": "get_ticket", "arguments": {"key": key}},
        {"name": "comment_ticket", "arguments": {"key": key, "body": "Looking into this today."}},
        {"name": "get_ticket", "arguments": {"key": "NOPE-1", "page": 2}},
    ]
    for call in calls:
        observation = episode.step(call)
        lines = observation.text.splitlines()
        console.print(f"[bold]> {call['name']}[/] {json.dumps(call['arguments'])}")
        for line in lines[:3]:
            console.print(f"  {escape(line[:100])}")
        if len(lines) > 3:
            console.print(f"  … {len(lines) - 3} more lines")
    changed = Counter(f"{c.table} {c.kind}" for c in episode.state_diff().changes)
    fork = episode.fork()
    fork.step({"name": "comment_ticket", "arguments": {"key": key, "body": "A second thought, in the fork."}})
    forked = fork.state_hash() != episode.state_hash()
    episode.reset()
    console.print(
        f"changes: {dict(changed)}; a fork diverges on its own: {forked}; "
        f"reset restores the untouched state: {episode.state_hash() == EMPTY_HASH}"
    )
    fork.close()
    episode.close()
    return str(persona)


def _demo_faces(anon: Path, persona: str, log: Path) -> None:
    """The same world over the network: sessions on the env server (HTTP) and one episode over MCP (stdio)."""
    import sys

    import anyio
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters, stdio_client
    from mcp_types import TextContent

    from workgym.world import World
    from workgym.world.client import EnvClient
    from workgym.world.server import create_app, running

    world = World.open(anon)
    with running(create_app(world)) as url, EnvClient(url) as env:
        sessions = [env.reset(persona=persona, seed=i) for i in range(4)]
        for i, ep in enumerate(sessions):
            ep.step({"name": "post_message", "arguments": {"channel": "general", "text": f"note {i}"}})
        hashes = {ep.state_hash() for ep in sessions}
        open_now = env.health()["sessions"]
        for ep in sessions:
            ep.close()
    console.print(
        f"env server at {url}: {open_now} sessions at once, {len(hashes)} distinct states "
        "(reset/step/state/fork/close over JSON; workgym serve-env)"
    )

    async def over_mcp() -> tuple[int, str]:
        args = ["-m", "workgym.cli", "mcp", str(anon), "--persona", persona]
        server = StdioServerParameters(command=sys.executable, args=args)
        with log.open("w", encoding="utf-8") as errlog:  # the server's stderr
            errlog.write(LOG_HEADER)  # the mark by which a later demo knows the log as its own
            errlog.flush()
            async with Client(stdio_client(server, errlog=errlog)) as client:
                listed = await client.list_tools()
                found = await client.call_tool("search_tickets", {"jql": "status = Open"})
        text = "".join(c.text for c in found.content if isinstance(c, TextContent))
        return len(listed.tools), text.splitlines()[0]

    count, first = anyio.run(over_mcp)
    console.print(f"MCP over stdio: {count} tools; search_tickets -> {escape(first[:80])} (workgym mcp)")


def _demo_show_tasks(path: Path) -> None:
    """One task of each family, as an agent would read it."""
    from workgym.tasks import load_tasks

    shown: set[str] = set()
    for task in load_tasks(path):
        if task.family not in shown:
            shown.add(task.family)
            console.print(f"  [bold]{task.family:9}[/] {escape(task.instruction)}")


@app.command()
def demo(
    out: Annotated[Path, typer.Option("-o", "--out", help="Folder for the demo's outputs.")] = Path(
        "workgym-demo"
    ),
    force: Force = False,
    local_llm: Annotated[
        bool,
        typer.Option(
            "--local-llm/--no-local-llm",
            help="Add a real small model (workgym[llm], on this machine) on a few tasks, when installed.",
        ),
    ] = True,
) -> None:
    """Run every stage on the bundled sample workspace and say where to look.

    Writes only inside OUT, and there only the demo's own files (run it again and it replaces
    them); a file of yours at one of their names stops it before it starts, unless --force.

    Example:
        workgym demo -o workgym-demo
    """
    sample = sample_workspace()
    db, key, anon = out / "workspace.db", out / "demo.key", out / "anon.db"
    tasks_file, runs, log = out / "tasks.jsonl", out / "runs" / "demo", out / "mcp-server.log"
    llm_tasks, llm_runs = out / "tasks-local-llm.jsonl", out / "runs" / "demo-local-llm"
    console.rule("[bold]workgym demo[/]")
    console.print(f"Sample workspace: a fictional company in real export formats ({sample})\n")
    with _errors():
        claim(  # everything the demo writes, before it writes any (the export checks its own)
            [
                (out, FOLDER),
                (db, WORKSPACE),
                *([] if key.exists() else [(key, KEY)]),  # a key already there is used, never replaced
                *anonymize_outputs(anon),
                (log, LOG),
                (tasks_file, TASKS),
                (tasks_file.with_suffix(".md"), REVIEW),
                (runs, RUN),
                (runs / "report.html", REPORT),
                (llm_tasks, TASKS),
                (llm_runs, RUN),
                (llm_runs / "report.html", REPORT),
            ],
            force=force,
        )
        console.rule("1. ingest: exports -> workspace.db")
        started = time.perf_counter()
        report = _ingest(sample_sources(), db, None, force)
        _print_report(report, time.perf_counter() - started)
        console.rule("2. inspect: what the workspace holds")
        conn = connect(db)
        try:
            _print_overview(overview(conn))
        finally:
            conn.close()
        console.rule("3. anonymize: workspace.db -> anon.db + anon.audit.json")
        if not key.exists():
            _keygen(key, force)
        _print_audit(_anonymize(db, anon, key, None, 1, "local", force), audit_path_for(anon))
        console.rule("4. world: an episode on anon.db, through the tools people use")
        persona = _demo_episode(anon)
        if persona is not None:
            console.rule("5. faces: the same world over HTTP sessions and MCP")
            _demo_faces(anon, persona, log)
        console.rule("6. tasks: anon.db -> tasks.jsonl + tasks.md")
        _tasks(anon, tasks_file, 150, 0, None, ("train", "test"), 0.2, None, force)
        _demo_show_tasks(tasks_file)
        console.rule("7. run: agents x tasks x 3 tries -> runs/demo")
        specs = _agent_specs(["oracle", "noop", "random"], None, None, 0.0, 60.0)
        model = os.environ.get("WORKGYM_MODEL")
        if model:  # an endpoint is configured: an LLM agent joins
            specs += _agent_specs(["openai"], model, os.environ.get("OPENAI_BASE_URL"), 0.0, 60.0)
        else:
            console.print("(set WORKGYM_MODEL, OPENAI_BASE_URL and OPENAI_API_KEY to add an LLM agent)")
        summary = _run(anon, tasks_file, specs, 3, 2, runs, "local", None, 30, 0, None, force)
        if local_llm and not model:
            _demo_local_llm(anon, tasks_file, llm_tasks, llm_runs, force)
        console.rule("8. report: runs/demo -> report.html")
        _print_run(summary, runs)
        console.print(f"report: {_report(runs, None, force)}")
        console.rule("9. export: runs/demo -> training data (openai-chat, dpo), leak-checked")
        from workgym.export import ExportOptions

        data = out / "data"
        options = ExportOptions(
            formats=["openai-chat", "dpo"], success_only=True, raw=db, key=key, force=force
        )
        _export([runs], data, options)
    console.rule("Where to look")
    console.print(f"  workspace   {db}   (SQLite: sqlite3 {db} '.tables')")
    console.print(f"  anonymized  {anon}   audit {audit_path_for(anon)}   (key {key}: keep it apart)")
    console.print(f"  inspect     workgym inspect {db}")
    console.print("  world       python: World.open(...).episode(...).step(...)   (docs/world.md)")
    console.print(f"  serve it    workgym serve-env {anon}   |   workgym mcp {anon} --persona ...")
    console.print(f"  tasks       {out / 'tasks.jsonl'}   review {out / 'tasks.md'}")
    console.print(f"  runs        {out / 'runs' / 'demo'}   (trajectories.jsonl, summary.json)")
    console.print(f"  [bold]report[/]      {out / 'runs' / 'demo' / 'report.html'}   (open it in a browser)")
    console.print(f"  data        {out / 'data'}   (openai-chat and dpo, train/test, README.md card)")
    console.print(f"  browse      workgym view {anon} --runs {out / 'runs'}")
    console.print(
        f"  your data   workgym ingest YOUR_EXPORTS... -o {out / 'mine.db'}   "
        "(Slack, Jira, GitHub issues via gh api, mail, docs, git; `workgym formats` lists them)"
    )
    _print_training_recipes(anon, out / "tasks.jsonl")


def _print_training_recipes(anon: Path, tasks: Path) -> None:
    """The demo trains nothing; it ends with the three lines that train on its tasks, per trainer."""
    console.print("\n[bold]Train on these tasks[/] (docs/training.md):")
    console.print("  TRL        from workgym.integrations.trl import grpo_spec")
    console.print(f'             spec = grpo_spec("{anon}", "{tasks}", split="train")')
    console.print(
        "             GRPOTrainer(model=..., train_dataset=spec.train_dataset, "
        "environment_factory=spec.environment_factory).train()"
    )
    console.print(f"  OpenEnv    workgym serve-openenv {anon} --tasks {tasks}")
    console.print('             env = GenericEnvClient(base_url="http://127.0.0.1:8300").sync()')
    console.print('             env.reset(task_id=...); env.step({"name": tool, "arguments": {...}}).reward')
    console.print("  Gymnasium  import workgym.tasks.gym")
    console.print(
        f'             env = gymnasium.make("workgym/Task-v0", workspace="{anon}", tasks="{tasks}")'
    )
    console.print("             env.reset(seed=0); env.step(json_call)  # reward on the step that ends it")


DEMO_LLM_TASKS = 3
"""Tasks the demo gives the local model (one try each, 3 turns at most: a CPU model is slow)."""


def _demo_local_llm(anon: Path, tasks_file: Path, llm_tasks: Path, llm_runs: Path, force: bool) -> None:
    """A real small model (workgym[llm]) on a few of the demo's tasks, when it is installed; else say so."""
    from workgym.agents.local_model import LocalModel, ModelUnavailable, unavailable_reason
    from workgym.tasks import load_tasks, write_tasks

    reason = unavailable_reason()
    if reason:
        console.print(f"(a real local model joins when installed: {reason})")
        return
    picked: dict[str, Any] = {}
    for task in sorted(load_tasks(tasks_file), key=lambda t: (len(t.tools), t.id)):  # short prompts first
        picked.setdefault(task.family, task)
    write_tasks(list(picked.values())[:DEMO_LLM_TASKS], llm_tasks)
    console.rule(f"7b. run: a real small model x {DEMO_LLM_TASKS} tasks -> runs/demo-local-llm")
    try:
        model = LocalModel.start(context=4096)
    except ModelUnavailable as exc:
        console.print(f"(the local model could not start: {exc})")
        return
    try:
        console.print(f"{model.name}, served by llama.cpp at {model.base_url} (CPU: minutes per task)")
        specs = _agent_specs(["openai"], model.name, model.base_url, 0.0, 1800.0, max_tokens=128, max_turns=3)
        summary = _run(anon, llm_tasks, specs, 1, 1, llm_runs, "local", None, 30, 0, None, force)
    finally:
        model.close()
    _print_run(summary, llm_runs)
    console.print(f"report: {_report(llm_runs, None, force)}")


def main() -> None:
    """Entry point of the console script."""
    app()


if __name__ == "__main__":
    main()
