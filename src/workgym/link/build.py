"""Build a workspace: read sources, merge identities, thread mail, extract references, write the store.

This is what ``workgym ingest`` runs. The file is written to a temporary name beside the output and
renamed into place only when complete, so an interrupted run never leaves a half-built workspace.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from workgym import __version__
from workgym.ingest.config import ArchiveLimits
from workgym.ingest.runner import Progress, ReadResult, SourceTally, read_sources
from workgym.link.config import LinkConfig
from workgym.link.identity import Resolution, resolve_identities
from workgym.link.refs import extract_refs
from workgym.link.threads import thread_emails
from workgym.model import Ref
from workgym.store import SourceInfo, Writer, connect


@dataclass
class BuildReport:
    """What a build did, for the CLI summary and for tests."""

    out: Path
    sources: list[SourceTally]
    persons: int
    identities: int
    merges: int
    refs_resolved: Counter[str] = field(default_factory=Counter)
    refs_unresolved: Counter[str] = field(default_factory=Counter)
    unrecognised: list[tuple[str, str]] = field(default_factory=list)

    @property
    def read(self) -> int:
        """Records read from all sources, derived ones included."""
        return sum(s.read + s.derived for s in self.sources)

    @property
    def stored(self) -> int:
        """Records stored."""
        return sum(s.stored for s in self.sources)

    @property
    def quarantined(self) -> int:
        """Records quarantined."""
        return sum(s.quarantined for s in self.sources)


def build_workspace(
    paths: Iterable[Path],
    out: Path,
    *,
    config: LinkConfig | None = None,
    progress: Progress | None = None,
    limits: ArchiveLimits | None = None,
) -> BuildReport:
    """Ingest source paths into a new workspace file at ``out`` (replacing any file there).

    ``limits`` caps how far archives are unpacked (the ``[ingest]`` section of the config TOML).

    Raises:
        FileNotFoundError: a source path does not exist.
        UnknownFormatError: a source path is a single file no format reads.
    """
    result = read_sources(paths, progress, limits)
    corpus = result.corpus
    resolution = resolve_identities(corpus.identities)
    corpus.emails[:] = thread_emails(corpus.emails)

    by_address = {key[1]: pid for key, pid in resolution.person_of.items() if key[1].startswith("email:")}

    def person_of(source_id: int, key: str) -> str | None:
        found = resolution.person_of.get((source_id, key))
        if found is None and key.startswith("email:"):
            found = by_address.get(key.lower())
        return found

    refs = extract_refs(corpus, person_of, config or LinkConfig())
    _write(out, result, resolution, refs)

    report = BuildReport(
        out=out,
        sources=result.sources,
        persons=len(resolution.persons),
        identities=len(corpus.identities),
        merges=len(resolution.merges),
        unrecognised=result.unrecognised,
    )
    for ref in refs:
        (report.refs_resolved if ref.dst_id is not None else report.refs_unresolved)[ref.ref_kind] += 1
    return report


def _write(out: Path, result: ReadResult, resolution: Resolution, refs: list[Ref]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.unlink(missing_ok=True)
    conn = connect(tmp, create=True)
    try:
        with conn:
            writer = Writer(conn, lambda sid, key: resolution.person_of[(sid, key)])
            writer.meta({"anonymized": "false", "workgym_version": __version__})
            writer.sources(
                SourceInfo(s.id, s.format, s.path, s.sha256, s.stored, s.quarantined) for s in result.sources
            )
            writer.quarantine(result.quarantine)
            writer.persons(resolution.persons, resolution.merges)
            for cls, items in result.corpus.lists():
                writer.records(cls, items)
            writer.refs(refs)
    finally:
        conn.close()
    os.replace(tmp, out)
