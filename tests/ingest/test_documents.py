"""Document formats: Markdown, HTML (Confluence, Google Docs), DOCX, PDF, plain text; bad files quarantined."""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Sequence
from pathlib import Path

import docx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workgym.ingest import documents
from workgym.ingest.base import SNIFF_BYTES, Format, Item
from workgym.ingest.documents import (
    FORMAT_DOCX,
    FORMAT_HTML,
    FORMAT_MARKDOWN,
    FORMAT_PDF,
    FORMAT_TEXT,
    FORMATS,
    PAGE_SEPARATOR,
)
from workgym.model import Document, Quarantined

# ---------------------------------------------------------------------------------------------
# helpers


def parse_one(fmt: Format, path: Path, rel: str | None = None) -> Item:
    items = list(fmt.parse(path, path.name if rel is None else rel))
    assert len(items) == 1, items
    return items[0]


def document(fmt: Format, path: Path, rel: str | None = None) -> Document:
    item = parse_one(fmt, path, rel)
    assert isinstance(item, Document), item
    return item


def quarantined(fmt: Format, path: Path) -> Quarantined:
    item = parse_one(fmt, path)
    assert isinstance(item, Quarantined), item
    return item


def claimed_by(path: Path) -> list[str]:
    """Names of the document formats whose detector claims the file, highest priority first."""
    head = path.read_bytes()[:SNIFF_BYTES]
    ordered = sorted(FORMATS, key=lambda f: (-f.priority, f.name))
    return [f.name for f in ordered if f.detect_file is not None and f.detect_file(path, head)]


def winner(path: Path) -> str | None:
    names = claimed_by(path)
    return names[0] if names else None


def pdf_bytes(pages: Sequence[Sequence[str]], info: str = "") -> bytes:
    """A minimal valid PDF: one Helvetica text object per page, one line per string, exact xref offsets."""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [{}] /Count {} >>".format(
            " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages))), len(pages)
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for i, lines in enumerate(pages):
        ops = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(f"({line}) '" for line in lines) + " ET"
        objects.append(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {5 + 2 * i} 0 R >>"
        )
        objects.append(f"<< /Length {len(ops)} >>\nstream\n{ops}\nendstream")
    if info:
        objects.append(info)
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    trailer = (
        f"<< /Size {len(objects) + 1} /Root 1 0 R" + (f" /Info {len(objects)} 0 R" if info else "") + " >>"
    )
    out += f"trailer\n{trailer}\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


CONFLUENCE_PAGE = """<!DOCTYPE html>
<html>
    <head>
        <title>Engineering : Release checklist</title>
        <link rel="stylesheet" href="styles/site.css" type="text/css" />
        <META http-equiv="Content-Type" content="text/html; charset=UTF-8">
    </head>
    <body class="theme-default aui-theme-default">
        <div id="page">
            <div id="main" class="aui-page-panel">
                <div id="main-header">
                    <div id="breadcrumb-section">
                        <ol id="breadcrumbs">
                            <li class="first">
                                <span><a href="index.html">Engineering</a></span>
                            </li>
                            <li>
                                <span><a href="Engineering-Home_65538.html">Engineering Home</a></span>
                            </li>
                        </ol>
                    </div>
                    <h1 id="title-heading" class="pagetitle">
                        <span id="title-text">
                            Engineering : Release checklist
                        </span>
                    </h1>
                </div>
                <div id="content" class="view">
                    <div class="page-metadata">
                        Created by <span class='author'> Jo Doe</span>, last modified by <span class='editor'> Sam Roe</span> on Mar 05, 2020
                    </div>
                    <div id="main-content" class="wiki-content group">
                    <p>Before tagging, check <a href="https://jira.example.com/browse/ALOY-1598" class="external-link" rel="nofollow">ALOY-1598</a>.</p><ul><li>Run the tests</li><li>Update the CHANGELOG</li></ul><div class="table-wrap"><table class="confluenceTable"><tbody><tr><th class="confluenceTh">Step</th><th class="confluenceTh">Owner</th></tr><tr><td class="confluenceTd">Tag</td><td class="confluenceTd">Jo</td></tr></tbody></table></div>
                    <script type="text/javascript">AJS.toInit(function () { track(); });</script>
                    </div>
                    <div class="pageSection group">
                        <div class="pageSectionHeader">
                            <h2 id="comments" class="pageSectionTitle">Comments:</h2>
                        </div>
                        <table border="0" width="100%"><tbody><tr><td>
                            <a name="comment-65540"></a>
                            <font class="smallfont"><p>Done for 2.1.0.</p></font>
                            <div class="smallfont">Posted by jdoe at Mar 06, 2020 10:00</div>
                        </td></tr></tbody></table>
                    </div>
                </div>
            </div>
            <div id="footer" role="contentinfo">
                <section class="footer-body">
                    <p>Document generated by Confluence on Mar 07, 2020 09:00</p>
                    <div id="footer-logo"><a href="http://www.atlassian.com/">Atlassian</a></div>
                </section>
            </div>
        </div>
    </body>
</html>
"""

RMARKDOWN = """---
output: html_document
---

```{r setup}
# load the data
library(dplyr)
```

# Results
"""

GOOGLE_DOC = (
    '<html><head><meta content="text/html; charset=UTF-8" http-equiv="content-type">'
    "{title}"
    '<style type="text/css">ol{{margin:0;padding:0}}.c1{{color:#000000;font-weight:400}}'
    ".c2{{padding-top:0pt;line-height:1.15;text-align:left}}.title{{font-size:26pt}}</style></head>"
    '<body class="c3 doc-content"><p class="c2 title" id="h.abc123"><span class="c1">Q3 Planning</span></p>'
    '<p class="c2"><span class="c1">Owner: </span><span class="c1 c4">Jo</span><span class="c1">&nbsp;Doe</span></p>'
    '<p class="c2 c5"><span class="c1"></span></p>'
    '<p class="c2"><span class="c1">See </span><span class="c6"><a class="c7" '
    'href="https://www.google.com/url?q=https://jira.example.com/browse/ALOY-1&amp;sa=D&amp;source=editors'
    '&amp;ust=1700000000000000&amp;usg=AOvVaw0">ALOY-1</a></span><span class="c1">&nbsp;for details.</span></p>'
    "</body></html>"
)


# ---------------------------------------------------------------------------------------------
# Markdown


def test_when_markdown_has_front_matter_then_title_times_and_author_come_from_it(tmp_path: Path) -> None:
    source = (
        "---\n"
        'title: "Auth: the design"\n'
        "author:\n"
        "  - name: Jo Doe\n"
        "    email: Jo.Doe@Example.com\n"
        "date: 2020-01-02T03:04:05+02:00\n"
        "lastmod: 2020-02-01\n"
        "---\n"
        "\n"
        "# Not the title\n"
        "\n"
        "See [ALOY-1](https://jira.example.com/browse/ALOY-1).\n"
    )
    path = tmp_path / "design" / "auth.md"
    path.parent.mkdir()
    path.write_bytes(source.encode())
    doc = document(FORMAT_MARKDOWN, path, "design/auth.md")
    assert doc.id == doc.locator == "design/auth.md"
    assert doc.title == "Auth: the design"
    assert doc.body == doc.text == source
    assert doc.format == "markdown"
    assert doc.author == "email:jo.doe@example.com"
    assert doc.created == "2020-01-02T01:04:05+00:00"
    assert doc.updated == "2020-02-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("date", "created"),
    [
        ("2020-01-02 10:00:00 +0100", "2020-01-02T09:00:00+00:00"),  # Jekyll's spaced offset
        ("'2020-01-02'", "2020-01-02T00:00:00+00:00"),  # quoted date, midnight UTC
        ("2020-01-02T03:04:05Z", "2020-01-02T03:04:05+00:00"),  # ISO with Z
        ("March 3, 2020", ""),  # prose dates are not guessed
    ],
)
def test_when_front_matter_date_is_written_variously_then_created_is_iso_utc_or_empty(
    tmp_path: Path, date: str, created: str
) -> None:
    path = tmp_path / "post.md"
    path.write_text(f"---\ndate: {date}\n---\nText\n")
    assert document(FORMAT_MARKDOWN, path).created == created


def test_when_html_meta_claims_utf16_then_it_is_read_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "odd.html"
    path.write_bytes('<html><head><meta charset="utf-16"></head><body>caf\u00e9</body></html>'.encode())
    assert document(FORMAT_HTML, path).text == "caf\u00e9"


def test_when_markdown_has_no_front_matter_then_first_heading_is_the_title(tmp_path: Path) -> None:
    path = tmp_path / "CHANGES.md"
    path.write_text(
        "Intro line\n\n## [2.1.0](https://example.com/compare/a...b) (2024-01-09)\n\n# Alloy `v2`\n"
    )
    # A level-1 heading wins over an earlier level-2 one; link and code markup reduce to words.
    assert document(FORMAT_MARKDOWN, path).title == "Alloy v2"


def test_when_markdown_has_only_lower_headings_then_the_first_one_is_the_title(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("## [2.1.0](https://example.com/compare/a...b) (2024-01-09)\n\n### Bug Fixes\n")
    assert document(FORMAT_MARKDOWN, path).title == "2.1.0 (2024-01-09)"


def test_when_markdown_has_setext_heading_then_it_is_the_title(tmp_path: Path) -> None:
    path = tmp_path / "notes.md"
    path.write_text("Meeting notes\n=============\n\nText.\n")
    assert document(FORMAT_MARKDOWN, path).title == "Meeting notes"


def test_when_markdown_has_no_heading_then_the_file_stem_is_the_title(tmp_path: Path) -> None:
    path = tmp_path / "todo-list.markdown"
    path.write_text("just some text\n#hashtag is not a heading\n")
    assert document(FORMAT_MARKDOWN, path).title == "todo-list"


def test_when_rmarkdown_has_comments_in_chunks_then_they_are_not_headings(tmp_path: Path) -> None:
    source = RMARKDOWN
    path = tmp_path / "analysis.Rmd"
    path.write_text(source)
    assert winner(path) == "markdown"
    doc = document(FORMAT_MARKDOWN, path)
    assert doc.title == "Results"
    assert doc.text == source


def test_when_rmarkdown_title_is_a_block_scalar_then_its_lines_are_joined(tmp_path: Path) -> None:
    path = tmp_path / "report.qmd"
    path.write_text("---\ntitle: >\n  Quarterly\n  report\ndate: '`r Sys.Date()`'\n---\nBody\n")
    doc = document(FORMAT_MARKDOWN, path)
    assert doc.title == "Quarterly report"
    assert doc.created == ""  # an R expression is not a time


def test_when_markdown_opens_with_a_rule_only_then_it_is_not_front_matter(tmp_path: Path) -> None:
    path = tmp_path / "rule.md"
    path.write_text("---\n\nNo closing rule here.\n\n# Heading\n")
    assert document(FORMAT_MARKDOWN, path).title == "Heading"


def test_when_markdown_is_invalid_utf8_then_it_is_quarantined_with_the_offset(tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_bytes(b"# Caf\xe9\n")
    item = quarantined(FORMAT_MARKDOWN, path)
    assert item.locator == "bad.md"
    assert item.reason == "invalid UTF-8 at byte 5"
    assert "Caf" in item.raw


def test_when_markdown_keeps_crlf_and_a_bom_then_only_the_bom_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "win.md"
    path.write_bytes(b"\xef\xbb\xbf# Title\r\n\r\nText\r\n")
    doc = document(FORMAT_MARKDOWN, path)
    assert doc.body == "# Title\r\n\r\nText\r\n"
    assert doc.title == "Title"


def test_when_markdown_file_is_empty_then_it_is_an_empty_document(tmp_path: Path) -> None:
    path = tmp_path / "placeholder.md"
    path.write_bytes(b"")
    assert winner(path) == "markdown"
    doc = document(FORMAT_MARKDOWN, path)
    assert (doc.title, doc.body, doc.text) == ("placeholder", "", "")


def test_when_real_changelog_is_parsed_then_body_is_byte_identical(shared_data: Path) -> None:
    path = shared_data / "titanium" / "git_alloy" / "CHANGELOG.md"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    assert winner(path) == "markdown"
    doc = document(FORMAT_MARKDOWN, path, "git_alloy/CHANGELOG.md")
    assert doc.body == path.read_bytes().decode("utf-8")
    assert doc.text == doc.body
    assert "[ALOY-1598](https://jira.appcelerator.org/browse/ALOY-1598)" in doc.body
    assert doc.id == doc.locator == "git_alloy/CHANGELOG.md"
    assert doc.title == "2.1.0 (2024-01-09)"


# ---------------------------------------------------------------------------------------------
# HTML


def test_when_confluence_page_then_title_drops_space_and_text_is_main_content(tmp_path: Path) -> None:
    path = tmp_path / "Release-checklist_65539.html"
    path.write_text(CONFLUENCE_PAGE)
    doc = document(FORMAT_HTML, path, "ENG/Release-checklist_65539.html")
    assert doc.format == "html"
    assert doc.title == "Release checklist"
    assert doc.body == CONFLUENCE_PAGE
    assert "https://jira.example.com/browse/ALOY-1598" in doc.body
    assert doc.text == (
        "Before tagging, check ALOY-1598.\n\n"
        "Run the tests\nUpdate the CHANGELOG\n\n"
        "Step\tOwner\nTag\tJo\n\n"
        "Comments:\n\nDone for 2.1.0.\n\nPosted by jdoe at Mar 06, 2020 10:00"
    )
    assert "Engineering Home" not in doc.text  # breadcrumbs
    assert "Document generated" not in doc.text  # footer
    assert "AJS" not in doc.text  # script
    assert doc.updated == "2020-03-05T00:00:00+00:00"
    assert doc.author == ""  # Confluence names people, not addresses


@pytest.mark.parametrize(
    "title_tag",
    [
        "<title>Q3 Planning</title>",  # the export names the document in <title>
        "",  # older exports without <title>: the paragraph styled "title"
    ],
)
def test_when_google_docs_export_then_spans_join_and_paragraphs_break(tmp_path: Path, title_tag: str) -> None:
    source = GOOGLE_DOC.format(title=title_tag)
    path = tmp_path / "Q3Planning.html"
    path.write_text(source)
    doc = document(FORMAT_HTML, path)
    assert doc.title == "Q3 Planning"
    assert doc.text == "Q3 Planning\n\nOwner: Jo Doe\n\nSee ALOY-1 for details."
    assert "color:#000000" not in doc.text
    assert "https://www.google.com/url?q=https://jira.example.com/browse/ALOY-1" in doc.body


def test_when_html_has_canonical_link_then_it_is_the_url(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_text(
        '<!DOCTYPE html><html><head><title> Saved  page </title><link rel="canonical" '
        'href="https://wiki.example.com/page"><meta name="author" content="Jo Doe &lt;jo@example.com&gt;">'
        '<meta property="article:published_time" content="2021-05-06T07:08:09Z"></head>'
        "<body><h1>Head</h1><p>one<br>two</p><pre>  keep\n    indent</pre></body></html>"
    )
    doc = document(FORMAT_HTML, path)
    assert doc.title == "Saved page"
    assert doc.url == "https://wiki.example.com/page"
    assert doc.author == "email:jo@example.com"
    assert doc.created == "2021-05-06T07:08:09+00:00"
    assert doc.text == "Head\n\none\ntwo\n\n  keep\n    indent"


def test_when_html_has_only_og_url_then_it_is_the_url(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        '<html><head><meta property="og:url" content="https://ex.com/p"></head><body>x</body></html>'
    )
    doc = document(FORMAT_HTML, path)
    assert doc.url == "https://ex.com/p"
    assert doc.title == "page"  # no <title>, no heading: the stem


def test_when_html_declares_a_charset_then_it_is_decoded_with_it(tmp_path: Path) -> None:
    path = tmp_path / "latin.html"
    path.write_bytes(
        b'<html><head><meta charset="iso-8859-1"><title>Caf\xe9 \x93menu\x94</title></head><body>x</body></html>'
    )
    # ISO-8859-1 is read as cp1252, as browsers do, so the curly quotes survive.
    assert document(FORMAT_HTML, path).title == "Café \u201cmenu\u201d"


def test_when_html_declares_utf8_but_is_cp1252_then_cp1252_is_the_fallback(tmp_path: Path) -> None:
    path = tmp_path / "mislabelled.html"
    path.write_bytes(b'<html><head><meta charset="utf-8"></head><body><p>na\xefve</p></body></html>')
    doc = document(FORMAT_HTML, path)
    assert doc.text == "naïve"
    assert "na\u00efve" in doc.body


def test_when_html_has_jekyll_front_matter_then_it_is_not_text(tmp_path: Path) -> None:
    source = '---\ntitle: Archive\n---\n\n<p>Welcome</p>\n<ul>\n\t<li><a href="/AC">AC</a></li>\n</ul>\n'
    path = tmp_path / "index.html"
    path.write_text(source)
    doc = document(FORMAT_HTML, path)
    assert (doc.title, doc.text, doc.body) == ("Archive", "Welcome\n\nAC", source)


def test_when_html_is_nested_deeper_than_the_recursion_limit_then_text_is_still_read(tmp_path: Path) -> None:
    path = tmp_path / "deep.html"
    path.write_text("<html><body>" + "<span>" * 5000 + "deep" + "</span>" * 5000 + "</body></html>")
    assert document(FORMAT_HTML, path).text == "deep"


def test_when_real_jira_archive_index_then_it_reads_as_html(shared_data: Path) -> None:
    path = shared_data / "titanium" / "jira" / "index.html"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    doc = document(FORMAT_HTML, path, "jira/index.html")
    assert doc.body == path.read_bytes().decode("utf-8")
    assert doc.text.startswith("Welcome to the Appcelerator JIRA Archive!")
    assert "description:" not in doc.text  # the front matter


# ---------------------------------------------------------------------------------------------
# DOCX


def test_when_docx_then_paragraphs_tables_and_properties_are_read(tmp_path: Path) -> None:
    made = docx.Document()
    made.core_properties.title = ""
    made.core_properties.author = "Jo Doe"
    made.core_properties.created = dt.datetime(2020, 1, 2, 3, 4, 5)
    made.core_properties.modified = dt.datetime(2020, 2, 3, 4, 5, 6)
    made.add_heading("Design: Auth", 1)
    made.add_paragraph("First paragraph, citing ALOY-12.")
    table = made.add_table(rows=2, cols=3)
    for col, words in enumerate(("Step", "Owner", "When")):
        table.cell(0, col).text = words
    table.cell(1, 0).text = "Tag"
    table.cell(1, 1).merge(table.cell(1, 2)).text = "Jo"
    made.add_paragraph("After the table.")
    path = tmp_path / "auth.docx"
    made.save(str(path))
    assert winner(path) == "docx"
    doc = document(FORMAT_DOCX, path)
    assert doc.format == "docx"
    assert doc.title == "Design: Auth"  # no core title: the first heading
    assert doc.body == doc.text
    # A cell merged across two columns is read once.
    assert (
        doc.body
        == "Design: Auth\nFirst paragraph, citing ALOY-12.\nStep\tOwner\tWhen\nTag\tJo\nAfter the table."
    )
    assert doc.author == ""  # a name, not an address
    assert doc.created == "2020-01-02T03:04:05+00:00"
    assert doc.updated == "2020-02-03T04:05:06+00:00"


def test_when_docx_has_core_title_and_email_author_then_they_are_used(tmp_path: Path) -> None:
    made = docx.Document()
    made.core_properties.title = "Release plan"
    made.core_properties.author = "jo@example.com"
    made.add_paragraph("Text")
    path = tmp_path / "plan.docx"
    made.save(str(path))
    doc = document(FORMAT_DOCX, path)
    assert (doc.title, doc.author, doc.body) == ("Release plan", "email:jo@example.com", "Text")


def test_when_docx_has_a_hyperlink_then_its_address_follows_the_words(tmp_path: Path) -> None:
    made = docx.Document()
    paragraph = made.add_paragraph("See ")
    part = made.part
    rel_id = part.relate_to(
        "https://jira.example.com/browse/ALOY-7",
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink",
        is_external=True,
    )
    link = paragraph._p.makeelement(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}hyperlink",
        {"{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id": rel_id},
    )
    run = paragraph.add_run("the ticket")
    link.append(run._r)
    paragraph._p.append(link)
    paragraph.add_run(".")
    path = tmp_path / "links.docx"
    made.save(str(path))
    assert document(FORMAT_DOCX, path).body == "See the ticket <https://jira.example.com/browse/ALOY-7>."


def test_when_docx_has_tracked_changes_and_content_controls_then_the_shown_text_is_read(
    tmp_path: Path,
) -> None:
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    made = docx.Document()
    body = made.element.body
    sect = body[-1]  # sectPr stays last
    sect.addprevious(
        parse_xml(
            f"<w:p {w}><w:r><w:t xml:space='preserve'>Ship </w:t></w:r>"
            "<w:ins w:id='1' w:author='Jo'><w:r><w:t>on Friday</w:t></w:r></w:ins>"
            "<w:del w:id='2' w:author='Jo'><w:r><w:delText>on Monday</w:delText></w:r></w:del>"
            "<w:r><w:tab/><w:t>ok</w:t></w:r></w:p>"
        )
    )
    sect.addprevious(
        parse_xml(
            f"<w:sdt {w}><w:sdtPr><w:alias w:val='Cover'/></w:sdtPr><w:sdtContent>"
            "<w:p><w:r><w:t>Inside a content control</w:t></w:r></w:p></w:sdtContent></w:sdt>"
        )
    )
    path = tmp_path / "changes.docx"
    made.save(str(path))
    assert document(FORMAT_DOCX, path).body == "Ship on Friday\tok\nInside a content control"


@pytest.mark.parametrize(
    "content",
    [
        b"this is not a zip at all",  # renamed text file
        b"PK\x03\x04\x14\x00\x00\x00garbage",  # a zip cut short after its first header
    ],
)
def test_when_docx_is_not_a_zip_then_it_is_quarantined(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.docx"
    path.write_bytes(content)
    assert winner(path) == "docx"
    item = quarantined(FORMAT_DOCX, path)
    assert item.locator == "broken.docx"
    assert item.reason.startswith("corrupt Word document: not a zip archive")


def test_when_docx_zip_lacks_the_document_part_then_it_is_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "empty.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a Word package")
    item = quarantined(FORMAT_DOCX, path)
    assert item.reason.startswith("corrupt Word document: KeyError")


def test_when_docx_is_truncated_then_it_is_quarantined(tmp_path: Path) -> None:
    made = docx.Document()
    made.add_paragraph("Text")
    whole = tmp_path / "whole.docx"
    made.save(str(whole))
    path = tmp_path / "cut.docx"
    path.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert quarantined(FORMAT_DOCX, path).reason.startswith("corrupt Word document")


# ---------------------------------------------------------------------------------------------
# PDF


def test_when_pdf_has_text_then_pages_are_joined_and_metadata_read(tmp_path: Path) -> None:
    info = "<< /Title (Plan Q3) /Author (Jo <jo@example.com>) /CreationDate (D:20200102030405+02'00') >>"
    path = tmp_path / "plan.pdf"
    path.write_bytes(pdf_bytes([["Quarterly plan", "See ALOY-12"], ["Second page"]], info))
    assert winner(path) == "pdf"
    doc = document(FORMAT_PDF, path)
    assert doc.format == "pdf"
    assert doc.body == doc.text == "Quarterly plan\nSee ALOY-12" + PAGE_SEPARATOR + "Second page"
    assert doc.title == "Plan Q3"
    assert doc.author == "email:jo@example.com"
    assert doc.created == "2020-01-02T01:04:05+00:00"


def test_when_pdf_has_no_title_then_first_line_is_the_title(tmp_path: Path) -> None:
    path = tmp_path / "memo.pdf"
    path.write_bytes(pdf_bytes([["  Memo to staff", "Body"]]))
    doc = document(FORMAT_PDF, path)
    assert doc.title == "Memo to staff"
    assert doc.created == ""


def test_when_pdf_has_no_text_layer_then_the_stem_is_the_title(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(pdf_bytes([[]]))
    doc = document(FORMAT_PDF, path)
    assert (doc.title, doc.text) == ("scan", "")


def test_when_pdf_has_a_malformed_date_then_the_time_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "odd.pdf"
    path.write_bytes(pdf_bytes([["Text"]], "<< /CreationDate (yesterday) >>"))
    assert document(FORMAT_PDF, path).created == ""


def test_when_pdf_is_named_otherwise_then_its_magic_claims_it(tmp_path: Path) -> None:
    path = tmp_path / "download"
    path.write_bytes(pdf_bytes([["Text"]]))
    assert winner(path) == "pdf"


@pytest.mark.parametrize(
    "keep",
    [
        0.5,  # cut mid-file
        0.97,  # only the trailer lost
    ],
)
def test_when_pdf_is_truncated_then_it_is_quarantined(tmp_path: Path, keep: float) -> None:
    whole = pdf_bytes([["Quarterly plan"], ["Second page"]])
    path = tmp_path / "cut.pdf"
    path.write_bytes(whole[: int(len(whole) * keep)])
    item = quarantined(FORMAT_PDF, path)
    assert item.locator == "cut.pdf"
    assert item.reason.startswith("corrupt PDF: ")


def test_when_pdf_needs_a_password_then_it_is_quarantined(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(pdf_bytes([["Secret plan"]]))
    writer = pypdf.PdfWriter(clone_from=str(plain))
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    item = quarantined(FORMAT_PDF, path)
    assert item.reason == "encrypted PDF: a password is needed to read it"


def test_when_pdf_is_encrypted_without_user_password_then_it_is_read(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(pdf_bytes([["Open plan"]]))
    writer = pypdf.PdfWriter(clone_from=str(plain))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "restricted.pdf"
    with path.open("wb") as fh:
        writer.write(fh)
    assert document(FORMAT_PDF, path).text == "Open plan"


# ---------------------------------------------------------------------------------------------
# Plain text and detection


def test_when_license_has_no_extension_then_text_reads_it(tmp_path: Path) -> None:
    source = "                                 Apache License\n                           Version 2.0\n"
    path = tmp_path / "LICENSE"
    path.write_text(source)
    assert claimed_by(path) == ["text"]
    doc = document(FORMAT_TEXT, path, "alloy/LICENSE")
    assert (doc.id, doc.title, doc.body, doc.text, doc.format) == (
        "alloy/LICENSE",
        "LICENSE",
        source,
        source,
        "text",
    )


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("notes.txt", b"Call Jo about ALOY-1\n", "text"),  # a plain note
        ("LICENSE.alloy", b"Apache License\n", "text"),  # a document name with a project suffix
        ("README", b"Read me\n", "text"),  # extension-less, named like a document
        ("Makefile", b"all:\n\techo hi\n", "text"),  # extension-less UTF-8 text
        ("people.csv", b"name,email\nJo,jo@example.com\n", "text"),  # a sheet is a document
        ("notes.rst", b"Title\n=====\n", "text"),  # reStructuredText is read as text
        ("data.json", b'{"a": 1}\n', None),  # JSON is left for the JSON formats, or reported
        ("README.json", b'{"a": 1}\n', None),  # even named like a document
        ("server.log", b"12:00 started\n", None),  # logs are not documents
        ("run", b"#!/bin/sh\necho hi\n", None),  # a script
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", None),  # binary
        ("blob", bytes(range(256)), None),  # binary, extension-less
        ("latin", "caf\u00e9\n".encode("latin-1"), None),  # extension-less and not UTF-8
        ("data.conll", b"Jo B-person\n", None),  # an unknown extension
        ("empty", b"", None),  # an empty extension-less file
        ("page", b"<!DOCTYPE html><html><body>x</body></html>", "html"),  # HTML by its first bytes
        ("page.txt", b"  <html lang=en><body>x</body></html>", "html"),  # HTML whatever its name
        ("notes.md", b"<html>raw html in markdown</html>", "markdown"),  # a .md stays Markdown
        ("report.docx", b"PK\x03\x04", "docx"),  # by name; corrupt ones are quarantined on parse
    ],
)
def test_when_file_is_sniffed_then_the_expected_format_claims_it(
    tmp_path: Path, name: str, content: bytes, expected: str | None
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert winner(path) == expected


def test_when_a_multibyte_char_is_cut_at_the_sniff_boundary_then_text_still_claims_it(tmp_path: Path) -> None:
    content = b"a" * (SNIFF_BYTES - 1) + "é".encode() + b"\n"
    path = tmp_path / "README"
    path.write_bytes(content)
    head = content[:SNIFF_BYTES]
    assert head.endswith(b"\xc3")
    assert documents.looks_like_utf8_text(head)
    assert winner(path) == "text"
    assert not documents.looks_like_utf8_text(b"short \xc3")  # a whole file cannot end mid-character


def test_when_txt_file_is_not_utf8_then_it_is_claimed_and_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("na\u00efve\n".encode("cp1252"))
    assert winner(path) == "text"
    item = quarantined(FORMAT_TEXT, path)
    assert item.reason == "invalid UTF-8 at byte 2"


def test_when_txt_file_is_empty_then_it_is_an_empty_document(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert winner(path) == "text"
    doc = document(FORMAT_TEXT, path)
    assert (doc.title, doc.text) == ("empty", "")


def test_when_text_priority_is_compared_then_it_is_the_lowest() -> None:
    assert FORMAT_TEXT.priority < min(f.priority for f in FORMATS if f is not FORMAT_TEXT)
    assert all(0 <= f.priority <= 10 for f in FORMATS if f is not FORMAT_TEXT)
    assert [f.name for f in FORMATS] == ["markdown", "html", "docx", "pdf", "text"]


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.name for f in FORMATS])
def test_when_file_is_unreadable_then_it_is_quarantined_not_raised(tmp_path: Path, fmt: Format) -> None:
    missing = tmp_path / "gone.bin"  # removed between discovery and parsing
    items = list(fmt.parse(missing, "gone.bin"))
    assert len(items) == 1
    assert isinstance(items[0], Quarantined)
    assert items[0].locator == "gone.bin"


@pytest.mark.parametrize("fmt", FORMATS, ids=[f.name for f in FORMATS])
def test_when_any_format_reads_garbage_then_it_yields_one_item_and_never_raises(
    tmp_path: Path, fmt: Format
) -> None:
    path = tmp_path / "garbage"
    path.write_bytes(bytes(range(256)) * 8)
    items = list(fmt.parse(path, "garbage"))
    assert len(items) == 1
    assert items[0].locator == "garbage"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(max_size=600) | st.text(max_size=300).map(str.encode))
def test_when_any_bytes_are_parsed_then_each_format_yields_exactly_one_item(
    tmp_path: Path, content: bytes
) -> None:
    # Records read = stored + quarantined needs exactly one item per file, whatever the file holds.
    path = tmp_path / "any"
    path.write_bytes(content)
    for fmt in FORMATS:
        items = list(fmt.parse(path, "dir/any"))
        assert len(items) == 1, fmt.name
        assert items[0].locator == "dir/any"
        if isinstance(items[0], Document) and fmt in (FORMAT_MARKDOWN, FORMAT_TEXT):
            assert items[0].body == items[0].text == content.decode("utf-8").removeprefix("\ufeff")


@settings(max_examples=100, deadline=None)
@given(markup=st.text(alphabet=st.sampled_from(list("<>/ pdivbrtable&;#\nx")), max_size=200))
def test_when_html_is_arbitrary_then_text_has_no_tags_from_markup_and_no_trailing_spaces(markup: str) -> None:
    from bs4 import BeautifulSoup

    text = documents.html_text(BeautifulSoup(markup, "html.parser"))
    assert all(line == line.rstrip() for line in text.split("\n"))
    assert "\n\n\n" not in text
