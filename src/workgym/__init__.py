"""workgym: real workspace exports in, anonymized cross-linked RL environments out."""

__version__ = "0.1.0"

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from workgym.tasks.env import Prompt, TaskEnv, TaskSet

_LAZY = {"Prompt": "workgym.tasks.env", "TaskEnv": "workgym.tasks.env", "TaskSet": "workgym.tasks.env"}
"""Names served from the package's top level, imported when first used (``import workgym`` stays light)."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'workgym' has no attribute {name!r}")


__all__ = ["Prompt", "TaskEnv", "TaskSet", "__version__"]
