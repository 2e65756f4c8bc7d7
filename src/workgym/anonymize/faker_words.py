"""Word lists read from Faker's locale providers, for the name and street-address detectors.

Faker is imported only when a function here is called (the detectors build their lists on first
use), so importing a detector stays cheap.
"""

from __future__ import annotations

import re


def words(text: str) -> frozenset[str]:
    """The words of a whitespace-separated list."""
    return frozenset(text.split())


def providers(package: str) -> list[type]:
    """The ``Provider`` class of every locale module of a Faker provider package."""
    import importlib
    import pkgutil

    base = importlib.import_module(package)
    return [
        importlib.import_module(f"{package}.{m.name}").Provider for m in pkgutil.iter_modules(base.__path__)
    ]


def values(value: object) -> list[str]:
    """The strings of a Faker list or weighted dict (tuples, such as name pairs, flattened)."""
    if isinstance(value, dict):
        value = list(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [s for v in value for s in ([v] if isinstance(v, str) else values(v))]
    return []


def tokens(strings: list[str]) -> set[str]:
    """The lower-cased words (two letters or more, not all digits) of ``strings``."""
    return {t for v in strings for t in re.split(r"[\s.]+", v.lower()) if len(t) >= 2 and not t.isdigit()}
