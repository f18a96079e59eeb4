"""PDF reports: the text layer read with pypdf, page by page, into heading and paragraph blocks.

pypdf gives lines, not paragraphs. A line ends its paragraph when it is clearly shorter than the
page's full lines (wrapped lines run to the margin) or when the next one starts a list; short lines
without a full stop are headings. Running headers (the same first line on most pages), page footers
("Side 2 af 4", a bare number) and table-of-contents lines ("Titel ........ 4") are dropped. Every
block keeps its page number, so a case's source reads "rapport.pdf, s. 3–4". A PDF with no text
layer (a scan) gives a warning and no case, never an empty one.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from ..records import Case
from .cases import parse_theme_blocks
from .common import Block, CorpusError, is_furniture, warn

_TOC = re.compile(r"(?:\.{4,}|…{2,}|\s{3,})\s*\d{1,4}\s*$")
_PAGE_NUMBER = re.compile(r"^\s*(?:(?:side|page|s\.)\s*)?\d{1,4}(?:\s*(?:af|of|/)\s*\d{1,4})?\s*$", re.IGNORECASE)
_LIST = re.compile(r"^\s*(?:[•▪◦·*–-]|\d{1,2}[.)])\s+")


def _page_lines(reader) -> list[list[str]]:
    pages = []
    for page in reader.pages:
        try:
            text = page.extract_text() or ""
        except Exception:  # noqa: BLE001 - one unreadable page does not lose the others
            text = ""
        pages.append([re.sub(r"\s+", " ", line).strip() for line in text.splitlines() if line.strip()])
    return pages


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Lines that open or close most pages (a running header or footer)."""
    if len(pages) < 2:
        return set()
    edges = Counter(line for lines in pages for line in set(lines[:2] + lines[-2:]))
    return {line for line, count in edges.items() if count >= max(2, (len(pages) + 1) // 2)}


def pdf_blocks(path: Path) -> tuple[list[Block], str | None]:
    """(blocks with their page numbers, the document's title) of a PDF's text layer."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            reader.decrypt("")
        pages = _page_lines(reader)
        title = (reader.metadata or {}).get("/Title") if reader.metadata else None
    except (PdfReadError, ValueError, KeyError, OSError, NotImplementedError) as exc:
        raise CorpusError(f"{path.name}: cannot read the PDF ({type(exc).__name__}: {str(exc)[:120]})") from None
    running = _running_lines(pages)
    blocks: list[Block] = []
    for number, lines in enumerate(pages, 1):
        lines = [line for line in lines if not _PAGE_NUMBER.match(line) and not _TOC.search(line)]
        if number > 1:
            lines = [line for line in lines if line not in running]
        width = max((len(line) for line in lines), default=0)
        paragraph: list[str] = []
        for i, line in enumerate(lines):
            paragraph.append(line)
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            full = len(line) >= 0.8 * width and not line.endswith((":", "?"))
            # a line starting in lower case goes on with the paragraph ("… 38 kommunale tage:" / "skoler, haller …")
            going_on = nxt is not None and nxt[:1].islower() and not _LIST.match(nxt)
            if nxt is None or (not full and not going_on) or _LIST.match(nxt):
                text = " ".join(paragraph)
                paragraph = []
                if not is_furniture(text):
                    blocks.append(Block(text, page=number))
    if not title and pages and pages[0]:
        title = pages[0][0]
    return blocks, (str(title).strip() or None) if title else None


def parse_pdf(path: Path, source: str) -> list[Case]:
    blocks, title = pdf_blocks(path)
    if not blocks:
        warn(f"{source}: the PDF has no text layer (a scan?): skipped; run OCR on it to index it")
        return []
    if title and blocks[0].text == title:
        blocks = blocks[1:]
    return parse_theme_blocks(blocks, source, title)
