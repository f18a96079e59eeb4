"""Blocks into cases: a theme page's intro and municipal cases, their sections, title and contact.

A theme page (like ``corpus/partnerskaber-for-handling.txt``) is a sequence of blocks: short headings
and paragraphs. It holds an optional theme intro and then municipal cases. A case ends with its "Vil du
vide mere?"-style contact section (contact lines and mentioned documents); the first ordinary block
after that starts the next case, so a teaser paragraph placed before a case's first heading belongs to
that case. A heading whose paragraph names another municipality as "<Name> Kommune" also starts a new
case.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from ..municipalities import find_municipalities
from ..records import Case, Contact, Document, Section
from .common import _DOC, _EMAIL, _MORE, Block, slugify
from .contacts import _is_contact_line, parse_contact, parse_contacts


def _is_document_line(block: Block) -> bool:
    return bool(_DOC.search(block.text)) and len(block.text) < 200


def _is_more_heading(block: Block) -> bool:
    return block.is_heading and bool(_MORE.match(block.text.strip()))


def _dominant_municipality(blocks: list[Block]) -> str | None:
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for block in blocks:
        for name, with_kommune in find_municipalities(block.text):
            counts[name] += 3 if with_kommune else 1
            first.setdefault(name, len(first))
    if not counts:
        return None
    return max(counts, key=lambda n: (counts[n], -first[n]))


def _kommune_named(block: Block) -> set[str]:
    return {name for name, with_kommune in find_municipalities(block.text) if with_kommune}


def _segment(blocks: list[Block]) -> tuple[list[Block], list[list[Block]]]:
    """Split body blocks into (intro blocks, case block lists)."""
    intro: list[Block] = []
    cases: list[list[Block]] = []
    current: list[Block] | None = None
    closing = False  # inside a case's contact/"read more" section
    for i, block in enumerate(blocks):
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if current is None:
            # still in the intro: a case starts where a paragraph names a municipality
            starts = (not block.is_heading and find_municipalities(block.text)) or (
                block.is_heading and nxt is not None and not nxt.is_heading and find_municipalities(nxt.text)
            )
            if starts:
                current = [block]
                cases.append(current)
            else:
                intro.append(block)
            continue
        if closing:
            if _is_contact_line(block.text) or _is_document_line(block) or _is_more_heading(block):
                current.append(block)
                continue
            closing = False
            current = [block]
            cases.append(current)
            continue
        if _is_more_heading(block) or (not block.is_heading and _is_contact_line(block.text)
                                       and parse_contact(block.text)):
            closing = True
            current.append(block)
            continue
        if block.is_heading and nxt is not None and not nxt.is_heading:
            here = _dominant_municipality(current)
            named = _kommune_named(nxt)
            if here and named and here not in named:
                current = [block]
                cases.append(current)
                continue
        current.append(block)
    return intro, cases


def _sections(blocks: list[Block]) -> tuple[Section, ...]:
    sections: list[Section] = []
    heading: str | None = None
    paragraphs: list[str] = []
    for block in blocks:
        if block.is_heading and not _is_contact_line(block.text) and not _is_document_line(block):
            if heading is not None or paragraphs:
                sections.append(Section(heading, tuple(paragraphs)))
            heading, paragraphs = block.text, []
        else:
            paragraphs.append(block.text)
    if heading is not None or paragraphs:
        sections.append(Section(heading, tuple(paragraphs)))
    return tuple(s for s in sections if s.paragraphs or s.heading)


def _title(blocks: list[Block]) -> str:
    for block in blocks:
        if block.is_heading and not _is_more_heading(block):
            return block.text
    return blocks[0].text[:80]


def _contacts_and_documents(blocks: list[Block]) -> tuple[tuple[Contact, ...], tuple[Document, ...]]:
    """Every contact the case's blocks give (contact lines, and sentences with an address), in order."""
    contacts: list[Contact] = []
    documents = []
    for block in blocks:
        if _EMAIL.search(block.text) or _is_contact_line(block.text):
            for contact in parse_contacts(block.text):
                if contact not in contacts and not any(c.email and c.email == contact.email for c in contacts):
                    contacts.append(contact)
        if _is_document_line(block):
            documents.append(Document(title=re.sub(r"\s+", " ", block.text).strip(), url=block.url))
    return tuple(contacts), tuple(documents)


def parse_theme_blocks(blocks: list[Block], source: str, theme: str | None) -> list[Case]:
    """Turn a theme page's body blocks into its intro (if any) and cases."""
    stem = slugify(Path(source).stem, 60)
    intro, segments = _segment(blocks)
    cases: list[Case] = []
    if intro:
        title = _title(intro) if any(b.is_heading for b in intro) else (theme or stem)
        cases.append(Case(id=f"{stem}-intro", title=theme or title, municipality=None, theme=theme,
                          sections=_sections(intro), contact=None, source=source, kind="intro"))
    for blocks_of_case in segments:
        municipality = _dominant_municipality(blocks_of_case)
        title = _title(blocks_of_case)
        contacts, documents = _contacts_and_documents(blocks_of_case)
        cases.append(Case(id=slugify(f"{municipality or stem}-{title}", 60), title=title,
                          municipality=municipality, theme=theme, sections=_sections(blocks_of_case),
                          contact=None, contacts=contacts, documents=documents, source=source))
    return cases
