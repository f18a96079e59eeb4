"""The case table: every case the assistant believes in, as rows (`assistant cases`, the build summary).

Lets a user check the parse: which cases were read from which file, whose they are, and whom to contact.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from dataclasses import asdict

from .goals import check_goal
from .ingest.contacts import display_phone
from .municipalities import check_region, municipalities_of_regions, normalize_municipality
from .records import Case

COLUMNS = ("id", "municipality", "title", "goals", "focus", "contacts", "source", "file")


def case_row(case: Case) -> dict:
    return {"id": case.id, "kind": case.kind, "municipality": case.municipality, "title": case.title,
            "goals": list(case.goals), "focus": case.focus,
            "contacts": [asdict(c) for c in case.contacts],
            "source": case.source, "file": case.file, "partners": list(case.partners)}


def select(cases: list[Case], municipality: str | None = None, region: str | None = None,
           goal: int | None = None) -> list[Case]:
    """The cases of a municipality, a region ("Nordjylland", "North Jutland", "Fyn") or a goal (1-17)."""
    goal, region = check_goal(goal), check_region(region or None)
    chosen = list(cases)
    if municipality:
        name = normalize_municipality(municipality)
        chosen = [c for c in chosen if name in c.owners]  # a joint case is each partner's
    if region:
        members = set(municipalities_of_regions(region))
        chosen = [c for c in chosen if members & set(c.owners)]
    if goal is not None:
        chosen = [c for c in chosen if goal in c.goals]
    return chosen


def _contacts_text(case: Case) -> str:
    return "; ".join(", ".join(p for p in (c.name, c.role, c.department, c.email, display_phone(c.phone)) if p)
                     for c in case.contacts) or "—"


def as_table(cases: list[Case], width: int = 160) -> str:
    """A plain-text table: municipality, title, goals, contacts, file."""
    rows = [("municipality", "title", "goals", "contacts", "file")]
    for case in cases:
        rows.append((case.municipality or "(intro)", case.title, ",".join(map(str, case.goals)) or "—",
                     _contacts_text(case), case.file or case.source))
    limits = (16, 48, 8, 60, 40)
    clipped = [[cell if len(cell) <= limit else cell[:limit - 1] + "…" for cell, limit in zip(row, limits, strict=True)]
               for row in rows]
    widths = [max(len(row[i]) for row in clipped) for i in range(len(limits))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in clipped]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line[:width] for line in lines)


def as_json(cases: list[Case]) -> str:
    return json.dumps([case_row(c) for c in cases], ensure_ascii=False, indent=2)


def as_csv(cases: list[Case]) -> str:
    """CSV with one row a case; contacts as "name, role, e-mail" joined by "; " (spreadsheet-safe)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for case in cases:
        row = [case.id, case.municipality or "", case.title, " ".join(map(str, case.goals)), case.focus or "",
               _contacts_text(case) if case.contacts else "", case.source, case.file]
        writer.writerow([_safe_cell(cell) for cell in row])
    return out.getvalue()


def _safe_cell(value: str) -> str:
    """No formula injection: a cell starting with = + - @ is prefixed with a quote."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def file_summary(cases: list[Case]) -> list[str]:
    """One line per corpus file: its cases, their municipalities and contacts (the build's summary)."""
    by_file: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_file[case.file or case.source].append(case)
    lines = []
    for name, group in by_file.items():
        own = [c for c in group if c.kind != "intro"]
        places = ", ".join(dict.fromkeys(c.municipality or "?" for c in own)) or "no municipal case"
        contacts = sum(len(c.contacts) for c in group)
        lines.append(f"  {name}: {len(own)} case{'s' if len(own) != 1 else ''} ({places}), "
                     f"{contacts} contact{'s' if contacts != 1 else ''}" + (", and an intro" if len(own) < len(group)
                                                                          else ""))
    return lines


def doubtful(cases: list[Case]) -> list[str]:
    """Warnings for cases a user should look at: no municipality, or no contact."""
    out = []
    for case in cases:
        if case.kind == "intro":
            continue
        where = case.file or case.source
        if case.municipality is None:
            out.append(f"{where}: the case {case.title!r} names no municipality")
        if not case.contacts:
            out.append(f"{where}: the case {case.title!r} ({case.municipality or '?'}) names no contact")
    return out
