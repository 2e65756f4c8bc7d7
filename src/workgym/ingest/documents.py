r"""Documents: Markdown, HTML, Word (.docx), PDF and plain text, one :class:`Document` per file.

Every file gives one :class:`~workgym.model.Document` whose id and locator are its path relative to
the source root, or one :class:`~workgym.model.Quarantined` naming why it could not be read (invalid
UTF-8, a corrupt or truncated Word or PDF file, a PDF that needs a password).

What each format keeps:

* **Markdown** (``.md .markdown .mdown .mkd .Rmd .qmd``): ``body`` and ``text`` are the source as
  written. The title is the front matter's ``title:``, else the first level-1 heading (else the first
  heading of any level) outside code fences, with link markup reduced to its words, else the file stem.
  Front matter ``date:`` and ``lastmod:``/``updated:`` give the times; ``author:`` gives the author
  only when it holds an e-mail address (documents name people as free text).
* **HTML** (``.html .htm .xhtml``, or a file starting ``<!DOCTYPE html``/``<html``): ``body`` is the
  source as written (links' addresses stay there); ``text`` is the readable text with paragraph
  breaks, without scripts, styles or the head. Confluence space exports: the title drops the
  ``"Space : "`` prefix, the text is ``#main-content`` (plus the page's comments) without breadcrumbs
  or footer, and the "last modified on" date is the update time. Google Docs downloads read as any
  page: title from ``<title>`` (else the paragraph styled ``title``), text from the body.
* **Word** (``.docx``): ``body`` and ``text`` are the paragraphs and tables in document order, one
  paragraph a line, table cells separated by tabs; a hyperlink keeps its address as ``words <url>``
  so links survive extraction. Title, author and times come from the core properties.
* **PDF**: the text of every page, pages joined by ``"\n\f\n"``; title from the metadata, else the
  first line, else the stem. A PDF encrypted with an empty user password is read; one needing a
  password is quarantined. A PDF without a text layer (a scan) gives a document with empty text.
* **Plain text** is the fallback: ``.txt .text .rst .adoc .org .csv .tsv`` files, files named like
  ``README``, ``LICENSE`` or ``LICENSE.alloy``, and extension-less files whose first bytes are UTF-8
  text without NUL bytes. Binary files, scripts (``#!``) and data files (``.json``, ``.xml``,
  ``.log``, ...) are left unclaimed so the caller reports them. Its priority is the lowest, so mail
  archives named ``.txt`` are read as mail.

Empty files: an empty file with a document extension (``.md``, ``.txt``, ``.html``) is a document
with empty text (a placeholder page is still a page); an empty extension-less file is not claimed.
A leading byte-order mark is dropped from the text of every format.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workgym.ingest.base import SNIFF_BYTES, Format, Item, decode_utf8
from workgym.ingest.timefmt import from_iso, iso_utc
from workgym.model import Document, Quarantined

if TYPE_CHECKING:
    from bs4 import BeautifulSoup, Tag

# The parsing libraries (bs4, python-docx, pypdf) are imported where they are used: together they
# cost half a second, which every CLI command would otherwise pay at start-up.

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".rmd", ".qmd"})
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
DOCX_SUFFIXES = frozenset({".docx", ".docm"})
TEXT_SUFFIXES = frozenset({".txt", ".text", ".rst", ".adoc", ".asciidoc", ".org", ".csv", ".tsv"})
# fmt: off
DOCUMENT_NAMES = frozenset({
    "license", "licence", "copying", "copyright", "notice", "readme", "authors", "contributors",
    "maintainers", "changelog", "changes", "history", "news", "install", "todo", "contributing",
})
# fmt: on
"""File names (before the first dot, any case) that are plain-text documents whatever follows."""
NOT_TEXT_SUFFIXES = frozenset(
    {".json", ".jsonl", ".ndjson", ".geojson", ".xml", ".yaml", ".yml", ".toml", ".log", ".ics", ".eml"}
)
"""Data files that plain text never claims, even named ``README.json``: they are for other formats."""

_BOM = "\ufeff"
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
"""A line as Markdown and YAML end one: at CRLF, CR or LF (``str.splitlines`` also ends lines at
U+2028, U+0085, form feeds and more, which real text holds inside a line)."""
_SPACED_OFFSET = re.compile(r"\s+([+-]\d{2}:?\d{2}|Z)$")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_HTML_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])",
    re.IGNORECASE | re.DOTALL,
)


def _suffix(path: Path) -> str:
    return path.suffix.lower()


def _doc_id(path: Path, rel: str) -> str:
    return rel or path.name


def _read(path: Path, locator: str) -> bytes | Quarantined:
    try:
        return path.read_bytes()
    except OSError as exc:
        return Quarantined(locator=locator, reason=f"unreadable file: {exc.strerror or exc}")


def _author_key(value: str) -> str:
    """An ``email:`` identity key when the free-text author holds an address, else ``""``."""
    found = _EMAIL.search(value)
    return f"email:{found.group(0).lower()}" if found else ""


def _time(value: object) -> str:
    """A datetime, or an ISO string, as ISO UTC; ``""`` when absent or not a time."""
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, str) and value.strip():
        # Jekyll writes "2020-01-02 10:00:00 +0100": the offset must touch the time to parse.
        text = _SPACED_OFFSET.sub(r"\1", value.strip().strip("'\""))
        try:
            return from_iso(text)
        except ValueError:
            return ""
    return ""


# ---------------------------------------------------------------------------------------------
# Front matter (Markdown, R Markdown, Jekyll HTML)


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """The top-level keys of a YAML front matter block, read without a YAML library.

    Attributes:
        values: each key's scalar value, unquoted; block scalars (``|``, ``>``) joined.
        raw: each key's value as written, continuation lines included (to find an e-mail in
            ``author:`` lists).
        end: the offset in the text where the content after the block starts.
    """

    values: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)
    end: int = 0


_FRONT_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:(?:[ \t]+(.*?))?[ \t]*$")


def read_front_matter(text: str) -> FrontMatter:
    """The front matter opening ``text`` (``---`` ... ``---`` or ``...``), or an empty one.

    A first ``---`` line without a closing line, or whose block holds no ``key:`` line, is not
    front matter (a Markdown file may open with a horizontal rule).
    """
    if not text.startswith("---"):
        return FrontMatter()
    lines = _LINE.findall(text)
    if lines[0].rstrip("\r\n").rstrip() != "---":
        return FrontMatter()
    offset = len(lines[0])
    block: list[str] = []
    for line in lines[1:]:
        offset += len(line)
        if line.rstrip("\r\n").rstrip() in ("---", "..."):
            break
        block.append(line.rstrip("\r\n"))
    else:
        return FrontMatter()
    values: dict[str, str] = {}
    raw: dict[str, str] = {}
    key = ""
    continuation: dict[str, list[str]] = {}
    for line in block:
        match = _FRONT_KEY.match(line)
        if match and not line[:1].isspace():
            key = match.group(1).lower()
            raw[key] = match.group(2) or ""
            continuation[key] = []
        elif key and (line[:1].isspace() or not line.strip()):
            raw[key] += "\n" + line
            continuation[key].append(line.strip())
    if not raw:
        return FrontMatter()
    for key, value in raw.items():
        head = value.split("\n", 1)[0].strip()
        if head[:1] in ("|", ">"):
            joiner = "\n" if head[0] == "|" else " "
            values[key] = joiner.join(continuation[key]).strip()
        elif head:
            values[key] = _unquote(head)
        else:
            values[key] = ""
    return FrontMatter(values=values, raw=raw, end=offset)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"')
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1].replace("''", "'")
    return value


def _front_fields(front: FrontMatter) -> dict[str, str]:
    """Document fields stated by front matter: title, author (e-mail only), created, updated."""
    updated = next((front.values[k] for k in ("lastmod", "updated", "modified") if k in front.values), "")
    return {
        "title": front.values.get("title", "").strip(),
        "author": _author_key(front.raw.get("author", "")),
        "created": _time(front.values.get("date", "")),
        "updated": _time(updated),
    }


# ---------------------------------------------------------------------------------------------
# Markdown

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_LINK = re.compile(r"!?\[([^\]]*)\](?:\([^)]*\)|\[[^\]]*\])")


def markdown_title(text: str) -> str:
    """The first level-1 heading of Markdown text (else the first heading), as words; ``""`` if none.

    Headings inside fenced code blocks (shell comments, R chunks) are not headings.
    """
    first_any = ""
    fence = ""
    previous = ""
    for line in (found.rstrip("\r\n") for found in _LINE.findall(text)):
        if fence:
            stripped = line.strip()
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fence = ""
            previous = ""
            continue
        opened = _FENCE.match(line)
        if opened:
            fence = opened.group(1)
            previous = ""
            continue
        level, words = 0, ""
        atx = _ATX.match(line)
        if atx:
            level, words = len(atx.group(1)), atx.group(2) or ""
        else:
            setext = _SETEXT.match(line)
            if setext and _is_paragraph_line(previous):
                level, words = (1 if setext.group(1)[0] == "=" else 2), previous
        if level:
            words = _heading_words(words)
            if words and level == 1:
                return words
            first_any = first_any or words
        previous = line
    return first_any


def _is_paragraph_line(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not line.startswith("    ") and stripped[0] not in "#>-*+|"


def _heading_words(heading: str) -> str:
    words = _LINK.sub(r"\1", heading).replace("`", "")
    return " ".join(words.split())


def parse_markdown(path: Path, rel: str) -> Iterator[Item]:
    """Read a Markdown or R Markdown file into one Document (or Quarantined on invalid UTF-8)."""
    locator = _doc_id(path, rel)
    data = _read(path, locator)
    if isinstance(data, Quarantined):
        yield data
        return
    text = decode_utf8(data, locator)
    if isinstance(text, Quarantined):
        yield text
        return
    text = text.removeprefix(_BOM)
    front = read_front_matter(text)
    fields = _front_fields(front)
    title = fields["title"] or markdown_title(text[front.end :]) or path.stem
    yield Document(
        id=locator,
        title=title,
        body=text,
        text=text,
        format="markdown",
        locator=locator,
        author=fields["author"],
        created=fields["created"],
        updated=fields["updated"],
    )


def _detect_markdown(path: Path, head: bytes) -> bool:
    return _suffix(path) in MARKDOWN_SUFFIXES


# ---------------------------------------------------------------------------------------------
# HTML

_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""\A\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_LATIN1_LABELS = frozenset({"iso8859-1", "ascii"})
_CONFLUENCE_DATE = re.compile(r"\bon ([A-Z][a-z]{2} \d{1,2}, \d{4})")


def decode_html(data: bytes) -> str | None:
    """HTML bytes as text, decoded by BOM, else declared charset, else UTF-8, else cp1252.

    A declared ISO-8859-1 or ASCII is read as cp1252, as browsers do. None when no candidate
    decodes the bytes.
    """
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = []
    head = data[:4096]
    declared = _XML_ENCODING.search(head) or _CHARSET.search(head)
    if declared:
        try:
            name = codecs.lookup(declared.group(1).decode("ascii")).name
        except LookupError:
            name = ""
        if name.startswith(("utf-16", "utf-32")):
            name = "utf-8"  # a page that can state its charset in ASCII is not UTF-16; browsers agree
        if name:
            candidates.append("cp1252" if name in _LATIN1_LABELS else name)
    candidates += ["utf-8", "cp1252"]
    for encoding in dict.fromkeys(candidates):
        try:
            return data.decode(encoding).removeprefix(_BOM)
        except UnicodeError:
            continue
    return None


_DROP_TAGS = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe", "object"})
# fmt: off
_PARAGRAPH_TAGS = frozenset({
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "table", "pre", "blockquote", "figure",
    "hr", "address", "section", "article", "aside", "header", "footer", "form", "fieldset", "details",
    "main", "nav",
})
# fmt: on
_LINE_TAGS = frozenset(["div", "li", "dt", "dd", "tr", "caption", "figcaption", "summary", "option"])
_CELL_TAGS = frozenset({"td", "th"})
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")


class _TextWriter:
    """Accumulates readable text: collapsed whitespace, and line or paragraph breaks between blocks."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pending = 0  # newlines owed before the next text: 1 a line break, 2 a paragraph break
        self.line_start = True

    def brk(self, newlines: int) -> None:
        if self.parts:
            self.pending = max(self.pending, newlines)

    def line_break(self) -> None:
        if self.parts:
            self.pending = min(self.pending + 1, 2)

    def write(self, text: str, pre: bool) -> None:
        if not pre:
            text = _WHITESPACE.sub(" ", text)
            if self.pending or self.line_start:
                text = text.lstrip(" ")
        if not text:
            return
        if self.pending:
            self.parts.append("\n" * self.pending)
            self.pending = 0
        self.parts.append(text)
        self.line_start = text.endswith("\n")

    def result(self) -> str:
        lines = [line.rstrip() for line in "".join(self.parts).replace("\xa0", " ").split("\n")]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def html_text(root: Tag) -> str:
    """The readable text under an element: no scripts or styles, blocks on their own lines."""
    from bs4 import Tag
    from bs4.element import Comment, Declaration, NavigableString, ProcessingInstruction

    out = _TextWriter()
    # An explicit stack instead of recursion: real pages nest deeper than Python's recursion limit.
    stack: list[tuple[Any, bool, int]] = [(child, False, 0) for child in reversed(list(root.children))]
    while stack:
        node, pre, closing = stack.pop()
        if closing:
            out.brk(closing)
            continue
        if isinstance(node, (Comment, Declaration, ProcessingInstruction)):
            continue
        if isinstance(node, NavigableString):
            out.write(str(node), pre)
            continue
        if not isinstance(node, Tag):
            continue
        name = node.name.lower()
        if name in _DROP_TAGS:
            continue
        if name == "br":
            out.line_break()
            continue
        if name in _CELL_TAGS and node.find_previous_sibling(list(_CELL_TAGS)) is not None:
            out.write("\t", pre=True)
        breaks = 2 if name in _PARAGRAPH_TAGS else 1 if name in _LINE_TAGS else 0
        out.brk(breaks)
        inner_pre = pre or name in ("pre", "textarea")
        stack.append((None, pre, breaks))
        stack.extend((child, inner_pre, 0) for child in reversed(list(node.children)))
    return out.result()


def _attr(tag: Tag | None, name: str) -> str:
    if tag is None:
        return ""
    value = tag.get(name)
    if isinstance(value, list):
        return " ".join(value)
    return (value or "").strip()


def _meta(soup: BeautifulSoup, *names: str) -> str:
    """The content of the first ``<meta name=...>`` or ``<meta property=...>`` among ``names``."""
    for name in names:
        for key in ("name", "property", "itemprop"):
            found = soup.find("meta", attrs={key: re.compile(f"^{re.escape(name)}$", re.IGNORECASE)})
            if found is not None and _attr(found, "content"):
                return _attr(found, "content")
    return ""


def _canonical_url(soup: BeautifulSoup) -> str:
    for link in soup.find_all("link", href=True):
        rel: object = link.get("rel") or []
        rels = [str(r) for r in rel] if isinstance(rel, list) else str(rel).split()
        if "canonical" in (r.lower() for r in rels):
            return _attr(link, "href")
    return _meta(soup, "og:url")


@dataclass(frozen=True, slots=True)
class _Page:
    title: str
    text: str
    created: str = ""
    updated: str = ""


def _confluence_page(soup: BeautifulSoup, main: Tag, page_title: str) -> _Page:
    """A Confluence export page: ``"Space : Page"`` title, main content, comments, modified date."""
    crumbs = soup.find(id="breadcrumbs")
    space = ""
    if crumbs is not None:
        first = crumbs.find("li")
        space = " ".join(first.get_text(" ").split()) if first is not None else ""
    title_text = soup.find(id="title-text")
    title = " ".join(title_text.get_text(" ").split()) if title_text is not None else page_title
    title = title or page_title
    if space and title.startswith(f"{space} : "):
        title = title[len(space) + 3 :]
    elif " : " in title:
        title = title.split(" : ", 1)[1]
    text = html_text(main)
    comments = soup.find(id="comments")
    section = comments.find_parent(class_="pageSection") if comments is not None else None
    if section is not None:
        text = f"{text}\n\n{html_text(section)}".strip("\n")
    created = updated = ""
    metadata = soup.find(class_="page-metadata")
    if metadata is not None:
        words = " ".join(metadata.get_text(" ").split())
        found = _CONFLUENCE_DATE.search(words)
        moment = _confluence_date(found.group(1)) if found else ""
        if "last modified" in words:
            updated = moment
        else:
            created = moment
    return _Page(title=title, text=text, created=created, updated=updated)


def _confluence_date(value: str) -> str:
    try:
        return iso_utc(datetime.strptime(value, "%b %d, %Y").replace(tzinfo=UTC))
    except ValueError:
        return ""


def _html_page(soup: BeautifulSoup) -> _Page:
    title_tag = soup.find("title")
    page_title = " ".join(title_tag.get_text(" ").split()) if title_tag is not None else ""
    main = soup.find(id="main-content")
    if main is not None:
        return _confluence_page(soup, main, page_title)
    body = soup.find("body")
    text = html_text(body if body is not None else soup)
    if not page_title:
        # Google Docs downloads style the document's title paragraph with the class "title".
        for candidate in (soup.find("p", class_="title"), soup.find("h1")):
            if candidate is not None and candidate.get_text(strip=True):
                page_title = " ".join(candidate.get_text(" ").split())
                break
    return _Page(
        title=page_title,
        text=text,
        created=_time(_meta(soup, "article:published_time", "dcterms.created", "datePublished")),
        updated=_time(_meta(soup, "article:modified_time", "dcterms.modified", "dateModified")),
    )


def parse_html(path: Path, rel: str) -> Iterator[Item]:
    """Read an HTML page (Confluence export, Google Docs download, saved page) into one Document."""
    from bs4 import BeautifulSoup

    locator = _doc_id(path, rel)
    data = _read(path, locator)
    if isinstance(data, Quarantined):
        yield data
        return
    source = decode_html(data)
    if source is None:
        yield Quarantined(
            locator=locator,
            reason="undecodable HTML: neither its declared charset, UTF-8 nor cp1252",
            raw=data.decode("utf-8", errors="replace"),
        )
        return
    front = read_front_matter(source)
    fields = _front_fields(front)
    try:
        soup = BeautifulSoup(source[front.end :], "html.parser")
        page = _html_page(soup)
        url = _canonical_url(soup)
        author = _author_key(_meta(soup, "author"))
    except Exception as exc:  # bs4 and html.parser raise many kinds on malformed markup; keep the file
        yield Quarantined(locator=locator, reason=f"unreadable HTML: {type(exc).__name__}: {exc}", raw=source)
        return
    yield Document(
        id=locator,
        title=fields["title"] or page.title or path.stem,
        body=source,
        text=page.text,
        format="html",
        locator=locator,
        url=url,
        author=fields["author"] or author,
        created=fields["created"] or page.created,
        updated=fields["updated"] or page.updated,
    )


def _detect_html(path: Path, head: bytes) -> bool:
    suffix = _suffix(path)
    if suffix in HTML_SUFFIXES:
        return True
    if suffix in MARKDOWN_SUFFIXES or suffix in NOT_TEXT_SUFFIXES:
        return False
    return _HTML_START.match(head) is not None


# ---------------------------------------------------------------------------------------------
# Word


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_W_LINE_BREAKS = frozenset({f"{_W}br", f"{_W}cr"})


def _docx_inline(element: Any, rels: Any) -> str:
    """The text inside a paragraph, as Word shows it with changes accepted.

    Runs are read wherever they sit (tracked insertions, smart tags, fields, content controls);
    deleted text (``w:delText``) and field codes (``w:instrText``) are not ``w:t`` and drop out. A
    hyperlink's address follows its words as ``<url>`` unless the words are the address.
    """
    parts: list[str] = []
    for child in element:
        tag = child.tag
        if tag == f"{_W}t":
            parts.append(child.text or "")
        elif tag == f"{_W}tab":
            parts.append("\t")
        elif tag in _W_LINE_BREAKS:
            parts.append("\n")
        elif tag == f"{_W}p":  # a paragraph in a text box anchored in this one
            parts.append("\n" + _docx_inline(child, rels))
        elif tag == _MC_FALLBACK:
            continue  # the legacy copy of a drawing whose modern copy (mc:Choice) is read
        elif tag == f"{_W}hyperlink":
            words = _docx_inline(child, rels)
            parts.append(words)
            rel = rels.get(child.get(_REL_ID, ""))
            url = rel.target_ref if rel is not None and rel.is_external else ""
            if url and url not in words:
                parts.append(f" <{url}>")
        else:
            parts.append(_docx_inline(child, rels))
    return "".join(parts)


def _docx_lines(container: Any, rels: Any) -> Iterator[str]:
    """Lines of a document body or table cell: paragraphs, and rows with tab-separated cells.

    Content controls (``w:sdt``: cover pages, tables of contents) are read through. A merged cell
    is one ``w:tc`` spanning columns, so its text appears once.
    """
    for child in container:
        tag = child.tag
        if tag == f"{_W}p":
            yield _docx_inline(child, rels)
        elif tag == f"{_W}tbl":
            for row in child.iter(f"{_W}tr"):
                if row.getparent() is child:
                    cells = row.findall(f"{_W}tc")
                    yield "\t".join("\n".join(_docx_lines(cell, rels)) for cell in cells)
        elif tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
            yield from _docx_lines(child, rels)


def _docx_first_heading(document: Any) -> str:
    for paragraph in document.paragraphs:
        style = paragraph.style.name if paragraph.style is not None else ""
        if (style.startswith("Heading") or style == "Title") and paragraph.text.strip():
            return " ".join(paragraph.text.split())
    return ""


def parse_docx(path: Path, rel: str) -> Iterator[Item]:
    """Read a Word document into one Document (or Quarantined when the file is corrupt)."""
    import docx

    locator = _doc_id(path, rel)
    data = _read(path, locator)
    if isinstance(data, Quarantined):
        yield data
        return
    if not zipfile.is_zipfile(io.BytesIO(data)):
        yield Quarantined(locator=locator, reason="corrupt Word document: not a zip archive (truncated?)")
        return
    try:
        document = docx.Document(io.BytesIO(data))
        body = "\n".join(_docx_lines(document.element.body, document.part.rels))
        props = document.core_properties
        title = " ".join((props.title or "").split()) or _docx_first_heading(document)
        author = _author_key(props.author or "")
        created, updated = _time(props.created), _time(props.modified)
    except Exception as exc:  # python-docx raises KeyError, lxml and zip errors on a damaged package
        yield Quarantined(locator=locator, reason=f"corrupt Word document: {type(exc).__name__}: {exc}")
        return
    yield Document(
        id=locator,
        title=title or path.stem,
        body=body,
        text=body,
        format="docx",
        locator=locator,
        author=author,
        created=created,
        updated=updated,
    )


def _detect_docx(path: Path, head: bytes) -> bool:
    return _suffix(path) in DOCX_SUFFIXES


# ---------------------------------------------------------------------------------------------
# PDF

PAGE_SEPARATOR = "\n\f\n"
"""Joins the text of a PDF's pages in ``body``."""


def _pdf_time(metadata: Any, attribute: str) -> str:
    try:
        return _time(getattr(metadata, attribute))
    except (ValueError, TypeError):  # pypdf parses the date when asked, and rejects malformed ones
        return ""


def parse_pdf(path: Path, rel: str) -> Iterator[Item]:
    """Read a PDF's text layer into one Document (or Quarantined when corrupt or locked)."""
    from pypdf import PdfReader

    locator = _doc_id(path, rel)
    data = _read(path, locator)
    if isinstance(data, Quarantined):
        yield data
        return
    try:
        reader = PdfReader(io.BytesIO(data))
        locked = reader.is_encrypted and not reader.decrypt("")
    except Exception as exc:  # pypdf raises its own errors, and KeyError/ValueError, on damaged files
        yield Quarantined(locator=locator, reason=f"corrupt PDF: {type(exc).__name__}: {exc}")
        return
    if locked:
        yield Quarantined(locator=locator, reason="encrypted PDF: a password is needed to read it")
        return
    title = author = created = updated = ""
    try:
        pages = [page.extract_text() or "" for page in reader.pages]
        metadata = reader.metadata
        if metadata is not None:
            title = " ".join(str(metadata.title or "").split())
            author = _author_key(str(metadata.author or ""))
            created = _pdf_time(metadata, "creation_date")
            updated = _pdf_time(metadata, "modification_date")
    except Exception as exc:  # as above: a damaged page tree, content stream or info dictionary
        yield Quarantined(locator=locator, reason=f"corrupt PDF: {type(exc).__name__}: {exc}")
        return
    body = PAGE_SEPARATOR.join(pages)
    first_line = next((line.strip() for line in _LINE.findall(body) if line.strip()), "")
    yield Document(
        id=locator,
        title=title or first_line[:200] or path.stem,
        body=body,
        text=body,
        format="pdf",
        locator=locator,
        author=author,
        created=created,
        updated=updated,
    )


def _detect_pdf(path: Path, head: bytes) -> bool:
    return _suffix(path) == ".pdf" or head.startswith(b"%PDF-")


# ---------------------------------------------------------------------------------------------
# Plain text


def looks_like_utf8_text(head: bytes) -> bool:
    """Whether leading bytes are text: no NUL byte, valid UTF-8 but for a character cut at the end."""
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        cut = exc.reason == "unexpected end of data" and exc.start >= len(head) - 3
        return cut and len(head) >= SNIFF_BYTES
    return True


def _named_like_document(path: Path) -> bool:
    """``README``, ``LICENSE.alloy``, ``CHANGES.old``: a conventional document name, any suffix."""
    return path.name.split(".", 1)[0].lower() in DOCUMENT_NAMES


def _detect_text(path: Path, head: bytes) -> bool:
    suffix = _suffix(path)
    if suffix in NOT_TEXT_SUFFIXES:
        return False
    if suffix in TEXT_SUFFIXES:
        return b"\x00" not in head  # named as text: undecodable bytes are quarantined with an offset
    if not head or head.startswith(b"#!"):
        return False
    if suffix and not _named_like_document(path):
        return False
    return looks_like_utf8_text(head)


def parse_text(path: Path, rel: str) -> Iterator[Item]:
    """Read a plain-text file into one Document titled by its file name (less a text suffix)."""
    locator = _doc_id(path, rel)
    data = _read(path, locator)
    if isinstance(data, Quarantined):
        yield data
        return
    text = decode_utf8(data, locator)
    if isinstance(text, Quarantined):
        yield text
        return
    text = text.removeprefix(_BOM)
    # "notes.txt" is titled "notes"; "LICENSE.alloy" keeps its whole name, which is how people call it.
    title = path.stem if _suffix(path) in TEXT_SUFFIXES else path.name
    yield Document(id=locator, title=title, body=text, text=text, format="text", locator=locator)


# ---------------------------------------------------------------------------------------------

FORMAT_MARKDOWN = Format(
    name="markdown",
    description="Markdown documents (.md, R Markdown .Rmd, Quarto .qmd), front matter read",
    parse=parse_markdown,
    detect_file=_detect_markdown,
    priority=5,
)
FORMAT_HTML = Format(
    name="html",
    description="HTML pages: Confluence space exports, Google Docs downloads, saved web pages",
    parse=parse_html,
    detect_file=_detect_html,
    priority=5,
)
FORMAT_DOCX = Format(
    name="docx",
    description="Word documents (.docx)",
    parse=parse_docx,
    detect_file=_detect_docx,
    priority=10,
)
FORMAT_PDF = Format(
    name="pdf",
    description="PDF documents (their text layer)",
    parse=parse_pdf,
    detect_file=_detect_pdf,
    priority=10,
)
FORMAT_TEXT = Format(
    name="text",
    description="plain-text files no other format reads: .txt, .rst, .csv, README, LICENSE",
    parse=parse_text,
    detect_file=_detect_text,
    priority=-100,
)
FORMATS = (FORMAT_MARKDOWN, FORMAT_HTML, FORMAT_DOCX, FORMAT_PDF, FORMAT_TEXT)
"""The document formats, for the registry."""

__all__ = [
    "FORMATS",
    "FORMAT_DOCX",
    "FORMAT_HTML",
    "FORMAT_MARKDOWN",
    "FORMAT_PDF",
    "FORMAT_TEXT",
    "PAGE_SEPARATOR",
    "FrontMatter",
    "decode_html",
    "html_text",
    "looks_like_utf8_text",
    "markdown_title",
    "read_front_matter",
]
