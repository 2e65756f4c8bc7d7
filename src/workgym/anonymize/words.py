"""Everyday words: what a handle, a name token or an organisation label may also be.

A person whose chat handle is ``mail``, whose surname is ``Driver`` or whose domain is
``kernel.org`` shares that value with every ``@mail.gmail.com``, every sentence about a device
driver and every mention of the kernel. Such a value names the person only where the context says
so (a mention, an address, a full name); :mod:`workgym.anonymize.directory` asks :func:`is_word`
which values those are.

The words are English words from pyspellchecker's frequency list (built from subtitles; it ships
inside the package, nothing is downloaded) seen at least :data:`MIN_COUNT` times there, less the
given names and surnames of every Faker locale (``Julia``, ``Cook``, ``Smith`` stay names), plus
the labels public hosts are made of (:data:`HOST_LABELS`) and the names of programming languages
and tools (:data:`TOOL_WORDS`), which technical workspaces write as often as English words.
"""

from __future__ import annotations

import re
from functools import cache

from workgym.anonymize.faker_words import words as _words

MIN_COUNT = 200
"""How often a word must occur in pyspellchecker's English list to count as everyday (35,000 words)."""

HOST_LABELS: frozenset[str] = _words(
    """www www2 mail mails email e-mail webmail smtp smtps imap imaps pop pop3 mx mx1 mx2 ns ns1 ns2
    dns ftp sftp web lists list listserv mailman news nntp relay gateway gw mta mailhost localhost
    localdomain host server proxy vpn cdn static api docs wiki git svn cvs jira bugs bugzilla forum
    forums groups blog blogs shop store status login auth sso admin portal intranet extranet files
    download downloads upload uploads cloud apps app dev test stage staging prod beta alpha demo"""
)
"""Labels of public host names (``mail`` of ``mail.gmail.com``): never a person's name alone."""

TOOL_WORDS: frozenset[str] = _words(
    """julia python perl raku ruby rust go golang java kotlin scala groovy clojure haskell ocaml
    erlang elixir elm lua dart swift fortran cobol pascal delphi ada lisp scheme racket prolog
    matlab octave mathematica maple sage numpy scipy pandas jupyter pluto makie flux zig nim
    crystal haxe typescript javascript coffeescript php bash zsh fish powershell tcl awk sed
    sql sqlite postgres postgresql mysql mariadb mongodb redis cassandra kafka spark hadoop
    docker kubernetes helm terraform ansible puppet chef vagrant nginx apache tomcat jenkins
    travis gitlab github bitbucket jira confluence slack discourse zulip discord gitter irc
    linux unix freebsd openbsd netbsd debian ubuntu fedora centos arch gentoo alpine android
    windows macos ios emacs vim neovim vscode atom eclipse intellij xcode llvm clang gcc cuda
    opencl vulkan metal webgl opengl mips arm riscv sparc powerpc x86 amd64 aarch64 qemu kvm"""
)
"""Names of programming languages, libraries, systems and tools: words of a technical workspace."""

_SEPARATORS = re.compile(r"[-_.]+")


@cache
def english_words() -> frozenset[str]:
    """English words seen at least :data:`MIN_COUNT` times, less every Faker given name and surname."""
    from spellchecker import SpellChecker

    from workgym.anonymize.names import lexicon

    lex = lexicon()
    names = lex.first | lex.last
    frequency = SpellChecker(language="en", distance=1).word_frequency
    return frozenset(
        word
        for word, count in frequency.items()
        if count >= MIN_COUNT and word.isalpha() and len(word) >= 2 and word not in names
    )


def is_word(value: str, extra: frozenset[str] = frozenset()) -> bool:
    """Whether ``value`` is an everyday word, host label or tool name (or one written with ``-_.``).

    ``e-mail`` and ``black_hole`` are words (joined, or every part is one); ``jane-doe`` is not.

    Args:
        value: the value, any case.
        extra: more words to count (a workspace's own vocabulary).
    """
    low = value.lower()
    known = english_words()
    if low in known or low in HOST_LABELS or low in TOOL_WORDS or low in extra:
        return True
    parts = [p for p in _SEPARATORS.split(low) if p]
    if len(parts) < 2:
        return False
    joined = "".join(parts)
    if joined in known or joined in HOST_LABELS or joined in TOOL_WORDS:
        return True
    return all(p in known or p in HOST_LABELS or p in TOOL_WORDS or p in extra for p in parts)


@cache
def _frequent_words() -> frozenset[str]:
    """English words seen at least :data:`MIN_COUNT` times, names included (``link``, ``date``, ``mark``)."""
    from spellchecker import SpellChecker

    frequency = SpellChecker(language="en", distance=1).word_frequency
    return frozenset(w for w, count in frequency.items() if count >= MIN_COUNT and w.isalpha())


def is_label_word(label: str) -> bool:
    """Whether a header or trailer label (``Link``, ``Reported-by``) is made of everyday words.

    Unlike :func:`is_word`, a word that is also a given name or surname counts (``Link``, ``Date``):
    the caller has already seen that it stands where a label stands.
    """
    frequent = _frequent_words()
    return all(
        p in frequent or p in HOST_LABELS or p in TOOL_WORDS for p in _SEPARATORS.split(label.lower()) if p
    )
