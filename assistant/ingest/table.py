"""Spreadsheet exports (``.csv``): one case a row, columns found by their names.

A case database's export names its columns in its own way: ``kommune_navn;titel;resume;sdg;kontakt_mail``,
``Municipality,Title,Description,Contact email``. Each column is matched by the words in its name
(municipality / kommune, title / titel / overskrift, text / tekst / resume / beskrivelse / description,
source / kilde / url, goals / sdg / verdensmål, focus / fokus / tema, and contact name, role, e-mail and
phone); the delimiter (``;``, ``,``, tab or ``|``) is taken from the header line. A row needs a title and a
text; a row without them is skipped with a warning. Contacts named in the text are read as well.
"""

from __future__ import annotations

import csv
import re
from dataclasses import replace

from ..records import Case
from .common import Block, CorpusError, focus_label, warn
from .markdown import _case_from_fields, markdown_blocks

# column roles, tried in this order, each with the words a column's name holds for it (a word of four letters or
# fewer must be a whole part of the name: "kontakt_mail", "e-mail"; a longer one may sit anywhere in it)
_COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("email", ("mail", "email")),
    ("phone", ("tlf", "telefon", "phone", "mobil")),
    ("contact_role", ("kontakt_titel", "kontakttitel", "kontakt_rolle", "kontaktrolle", "contact_title",
                      "contacttitle", "contact_role", "contactrole", "stilling", "rolle", "role", "jobtitle")),
    ("contact_name", ("kontakt", "contact")),
    ("municipality", ("kommune", "municipality", "council")),
    ("id", ("id",)),
    ("source", ("kilde", "source", "url", "link")),
    ("goals", ("sdg", "verdensmål", "verdensmaal", "goal", "mål", "maal")),
    ("focus", ("fokus", "focus", "tema", "theme", "kategori", "category")),
    ("title", ("titel", "title", "overskrift", "headline", "navn", "name", "indsats", "projekt", "project")),
    ("text", ("tekst", "text", "resume", "resumé", "summary", "beskrivelse", "description", "indhold", "body",
              "content")),
)


def _column_roles(header: list[str]) -> dict[str, int]:
    """Which column holds what: each role the first column whose name holds one of its words."""
    roles: dict[str, int] = {}
    names = [re.sub(r"[\s-]+", "_", h.strip().lower()) for h in header]
    for role, words in _COLUMNS:
        for i, name in enumerate(names):
            if i in roles.values():
                continue
            parts = set(re.split(r"_+", name))
            if any(w in parts or (len(w) > 4 and w in name) for w in words):
                roles[role] = i
                break
    return roles


def _delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", ",", "\t", "|")}
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def parse_table(text: str, source: str) -> list[Case]:
    text = text.lstrip("\ufeff")
    header_line = text.splitlines()[0] if text.strip() else ""
    rows = list(csv.reader(text.splitlines(), delimiter=_delimiter(header_line)))
    if not rows:
        return []
    roles = _column_roles(rows[0])
    if "title" not in roles or "text" not in roles:
        raise CorpusError(f"{source}: a case export needs a title and a text column "
                          f"(found: {', '.join(h.strip() for h in rows[0])[:200]})")
    cases = []
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {role: (row[i].strip() if i < len(row) else "") for role, i in roles.items()}
        if not cell["title"] or not cell["text"]:
            warn(f"{source}, row {number}: skipped, it has no title or no text")
            continue
        heading_title, blocks = markdown_blocks(cell["text"])
        if heading_title:
            blocks.insert(0, Block(heading_title, heading=True))
        if cell.get("goals"):  # "8|10|12", "6, 15": the goals, as a line of the case
            numbers = re.findall(r"\d{1,2}", cell["goals"])
            blocks.append(Block("Verdensmål: " + ", ".join(numbers) if numbers else cell["goals"], heading=False))
        contact = {key: cell.get(role) for key, role in (("name", "contact_name"), ("role", "contact_role"),
                                                         ("email", "email"), ("phone", "phone")) if cell.get(role)}
        case = _case_from_fields(cell.get("id") or None, cell["title"], cell.get("municipality") or None,
                                 contact or None, cell.get("source") or None, blocks, f"{source}#{number}", None)
        focus = focus_label(cell.get("focus"))
        cases.append(replace(case, focus=focus) if focus else case)
    return cases
