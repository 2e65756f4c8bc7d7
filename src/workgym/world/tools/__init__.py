"""The world's tools, one module per app; importing this package registers them all.

Each module holds plain typed functions decorated with :func:`workgym.world.schema.tool`. An
import error here is a bug and propagates: the registry is never left half-built.
"""

from workgym.world.tools import answer, calendar, chat, code, directory, docs, mail, tracker

APPS: tuple[str, ...] = ("directory", "chat", "tracker", "docs", "mail", "calendar", "code", "answer")
"""The apps, in the order their tools are listed."""

__all__ = ["APPS", "answer", "calendar", "chat", "code", "directory", "docs", "mail", "tracker"]
