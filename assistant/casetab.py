"""The browser chat's "Cases" tab: every case of the index in a filterable, sortable table.

Filters (Verdensmål, region, municipality, free text) narrow the table; choosing a row shows the
case's passages and contacts; "Download CSV" exports the table as it is filtered
(:func:`assistant.catalogue.as_csv`, spreadsheet-safe). Like the chat's cards, every corpus string is
``html.escape``d here, and only http(s) URLs and well-formed e-mail addresses become links.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

import gradio as gr

from .catalogue import as_csv, select
from .goals import NAMES as GOAL_NAMES
from .ingest.contacts import display_phone
from .markup import contacts_html as markup_contacts
from .markup import escape as _escape
from .markup import safe_url
from .municipalities import AREAS, REGIONS, check_region, regions_in
from .records import Case, Passage

ALL = "Alle"
HEADERS = ["Kommune / Municipality", "Case", "Verdensmål / Goals", "Fokus / Focus", "Kontakt / Contacts",
           "Kilde / Source"]
DATATYPES = ["str", "str", "str", "str", "str", "markdown"]  # only the source is Markdown (a link), escaped here
THEME = "(tema / theme)"  # in the municipality column for a theme's intro
EMPTY_PANEL = ('<p class="va-empty">Vælg en case i tabellen for at se dens tekst og kontakter. / '
               "Choose a case in the table to see its text and contacts.</p>")
_MARKDOWN = re.compile(r"([\\`*_\[\]#|~$()<>!])")
CASE_CSS = """
.va-empty { color: var(--body-text-color-subdued); padding: 8px 2px; }
.va-case-title { font-size: 1.1em; font-weight: 600; margin: 2px 0 6px; }
.va-meta { font-size: .9em; line-height: 1.55; margin-bottom: 10px; }
.va-meta b { font-weight: 600; }
.va-section { font-weight: 600; margin: 12px 0 4px; }
.va-passage { white-space: pre-line; margin: 0 0 8px; font-size: .94em; }
"""


def _markdown_text(text: str) -> str:
    """``text`` as Markdown that displays literally (no HTML, no formatting)."""
    return _MARKDOWN.sub(r"\\\1", html.escape(text, quote=False))


# ---- filter choices ---------------------------------------------------------------------------
def goal_choices(cases: Iterable[Case]) -> list[tuple[str, str]]:
    """(label, value) pairs for the goals the cases name: "17 – Partnerskaber for handling", "17"."""
    goals = sorted({goal for case in cases for goal in case.goals})
    return [(ALL, ALL)] + [(f"{goal} – {GOAL_NAMES[goal][0]}" if goal in GOAL_NAMES else str(goal), str(goal))
                           for goal in goals]


def region_choices(cases: Iterable[Case] = ()) -> list[tuple[str, str]]:
    """The five regions, then Funen and Greenland when ``cases`` hold a case there; each value is a name
    :func:`regions_in` reads ("Region Sjælland" for Sjælland)."""
    held = {case.municipality for case in cases}
    areas = [name for name in AREAS if name not in REGIONS and held & set(AREAS[name])]
    return [(ALL, ALL)] + [(name, name if regions_in(name) == [name] else f"Region {name}")
                           for name in (*REGIONS, *areas)]


def parse_goal(value: object) -> int | None:
    """A goal from a drop-down ("17", 17; "Alle"/None/"" for none). ValueError for anything else."""
    if value is None or value == "" or value == ALL:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
        raise ValueError(f"goal must be a Verdensmål number from 1 to 17, not {value!r}")
    goal = int(str(value).strip())
    if not 1 <= goal <= 17:
        raise ValueError(f"goal must be a Verdensmål number from 1 to 17, not {value!r}")
    return goal


def parse_region(value: object) -> str | None:
    """A region from a drop-down ("Alle"/None/"" for none); ValueError for an unknown one."""
    if value is None or value == "" or value == ALL:
        return None
    return check_region(value)


def _choice(value: object) -> str | None:
    return None if value is None or value == "" or value == ALL else str(value)


# ---- the table --------------------------------------------------------------------------------
def ordered(cases: Iterable[Case]) -> list[Case]:
    """Municipal cases by municipality and title; a theme's intro (no municipality) last."""
    return sorted(cases, key=lambda c: (c.municipality is None, (c.municipality or "").casefold(), c.title.casefold()))


def contacts_text(case: Case) -> str:
    """The case's contacts as "name (role) e-mail; …" for the table."""
    people = []
    for contact in case.contacts:
        who = contact.name or contact.department or ""
        if contact.role:
            who += f" ({contact.role})"
        people.append(" ".join(part for part in (who.strip(), contact.email or "", display_phone(contact.phone))
                               if part))
    return "; ".join(people)


def source_markdown(source: str) -> str:
    """The source as a Markdown link when it is an http(s) URL, else as literal text."""
    url = safe_url(source)
    if url is None:
        return _markdown_text(source or "")
    label = re.sub(r"^https?://(www\.)?", "", url, flags=re.IGNORECASE).rstrip("/")
    label = label if len(label) <= 60 else label[:59] + "…"
    target = url.replace("(", "%28").replace(")", "%29").replace("[", "%5B").replace("]", "%5D")
    return f"[{_markdown_text(label)}]({target})"


def table_rows(cases: Iterable[Case]) -> list[list[str]]:
    """One row a case: municipality, title, goals, focus, contacts, source (Markdown link)."""
    return [[case.municipality or THEME, case.title, ", ".join(map(str, case.goals)), case.focus or "",
             contacts_text(case), source_markdown(case.source)] for case in cases]


def table_value(cases: Iterable[Case]) -> dict:
    return {"data": table_rows(cases), "headers": HEADERS}


def filter_cases(cases: Iterable[Case], goal: object = None, region: object = None, municipality: object = None,
                 text: str | None = "") -> list[Case]:
    """The cases meeting every filter; ``text``: every word occurs in the case (title, municipality,
    focus, contacts or text), case-insensitively. Drop-down values "Alle"/None mean no filter."""
    chosen = select(list(cases), municipality=_choice(municipality), region=parse_region(region),
                    goal=parse_goal(goal))
    needles = (text or "").casefold().split()
    if needles:
        def haystack(case: Case) -> str:
            return " ".join((case.municipality or "", case.title, case.focus or "", contacts_text(case),
                             " ".join(map(str, case.goals)), case.text)).casefold()
        chosen = [case for case in chosen if all(needle in haystack(case) for needle in needles)]
    return ordered(chosen)


def csv_file(cases: list[Case], folder: Path, stem: str = "cases") -> str:
    """``cases`` as a CSV file (:func:`as_csv`) in ``folder``, named by its content; returns its path."""
    text = as_csv(cases)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}-{hashlib.sha256(text.encode()).hexdigest()[:12]}.csv"
    if not path.exists():
        path.write_text(text, encoding="utf-8-sig", newline="")  # the BOM lets spreadsheets read it as UTF-8
        _prune(folder, keep=MAX_CSV_FILES)
    else:
        path.touch()  # in use again: pruned last
    return str(path)


MAX_CSV_FILES = 200  # CSV files kept for download in a running app; the oldest go first


def _prune(folder: Path, keep: int) -> None:
    files = sorted(folder.glob("*.csv"), key=lambda f: f.stat().st_mtime if f.exists() else 0.0)
    for old in files[:-keep] if len(files) > keep else []:
        old.unlink(missing_ok=True)


def case_at(shown: list[str], row: int | None, row_value: list | None, cases: dict[str, Case]) -> Case | None:
    """The case of a chosen table row: the row's values matched against the cases shown (so a sorted
    table still finds its case), else the row's position."""
    listed = [cases[case_id] for case_id in shown or [] if case_id in cases]
    if row_value:
        matches = [c for c in listed if table_rows([c])[0][:2] == [str(v) for v in row_value[:2]]]
        if len(matches) == 1:
            return matches[0]
    if isinstance(row, int) and 0 <= row < len(listed):
        return listed[row]
    return None


# ---- the passages panel -----------------------------------------------------------------------
def contacts_html(case: Case) -> str:
    """Every contact of the case, escaped; ``mailto:`` links only for well-formed addresses."""
    return markup_contacts(case.contacts, "tlf.", "Casen nævner ingen kontaktperson / No contact person named")


def _link(url: str | None, label: str) -> str:
    safe = safe_url(url)
    if safe is None:
        return _escape(label)
    return f'<a href="{_escape(safe)}" target="_blank" rel="noopener noreferrer">{_escape(label)}</a>'


def case_panel(case: Case | None, passages: Iterable[Passage]) -> str:
    """The case's title, goals, focus, contacts, source and passages (with their headings) as HTML."""
    if case is None:
        return EMPTY_PANEL
    out = ['<div class="va-case">',
           f'<div class="va-case-title"><span class="va-municipality">{_escape(case.municipality or "Tema / Theme")}'
           f'</span> — <span class="va-title">{_escape(case.title)}</span></div><div class="va-meta">']
    if case.goals:
        named = ", ".join(f"{g} ({GOAL_NAMES[g][0]})" if g in GOAL_NAMES else str(g) for g in case.goals)
        out.append(f'<div><b>Verdensmål:</b> <span class="va-goals">{_escape(named)}</span></div>')
    if case.focus:
        out.append(f'<div><b>Fokusområde:</b> <span class="va-focus">{_escape(case.focus)}</span></div>')
    out.append(f'<div><b>Kontakt:</b> <span class="va-contact">{contacts_html(case)}</span></div>')
    out.append(f"<div><b>Kilde:</b> {_link(case.source, case.source or case.file)}</div>")
    if case.documents:
        out.append("<div><b>Dokumenter:</b> " + "; ".join(_link(d.url, d.title) for d in case.documents) + "</div>")
    out.append('</div><div class="va-passages">')
    heading: str | None = None
    for passage in sorted(passages, key=lambda p: p.position):
        if passage.heading and passage.heading != heading:
            out.append(f'<div class="va-section">{_escape(passage.heading)}</div>')
        heading = passage.heading
        out.append(f'<p class="va-passage">{_escape(passage.text)}</p>')
    out.append("</div></div>")
    return "".join(out)


# ---- the tab ----------------------------------------------------------------------------------
def counted(cases: list[Case]) -> str:
    return f"{len(cases)} case" + ("" if len(cases) == 1 else "s")


def build_cases_tab(retriever, folder: Path) -> None:
    """The tab's components and events; call inside ``gr.Blocks`` (and a ``gr.Tab``)."""
    every = ordered(retriever.data.cases)
    by_id = {case.id: case for case in every}
    passages: dict[str, list[Passage]] = defaultdict(list)
    for passage in retriever.data.passages:
        passages[passage.case_id].append(passage)

    with gr.Row():
        goal = gr.Dropdown(goal_choices(every), value=ALL, label="Verdensmål / Goal", elem_id="case-goal")
        region = gr.Dropdown(region_choices(retriever.data.cases), value=ALL, label="Region", elem_id="case-region")
        municipality = gr.Dropdown([ALL, *retriever.municipalities], value=ALL, label="Kommune / Municipality",
                                   elem_id="case-municipality")
        text = gr.Textbox(label="Søg / Search", placeholder="fx biodiversitet", elem_id="case-text", max_length=200)
    shown = gr.State([case.id for case in every])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            table = gr.Dataframe(table_value(every), headers=HEADERS, datatype=DATATYPES, interactive=False,
                                 wrap=True, max_height=560, elem_id="case-table", label="Cases",
                                 column_widths=["13%", "24%", "10%", "12%", "25%", "16%"])
            with gr.Row():
                status = gr.Markdown(counted(every), elem_id="case-count")
                download = gr.DownloadButton("Hent CSV / Download CSV", value=csv_file(every, folder), size="sm",
                                             elem_id="case-csv")
        with gr.Column(scale=2, min_width=320):
            panel = gr.HTML(EMPTY_PANEL, elem_id="case-panel", css_template=CASE_CSS, max_height=760)

    def refilter(goal_value, region_value, municipality_value, text_value):
        try:
            chosen = filter_cases(every, goal_value, region_value, municipality_value, text_value)
        except ValueError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        count = counted(chosen) if chosen else "Ingen cases passer til filtrene / No case matches the filters"
        return table_value(chosen), [case.id for case in chosen], csv_file(chosen, folder), count

    def choose(ids: list[str], evt: gr.SelectData):
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        case = case_at(ids, row, evt.row_value, by_id)
        return case_panel(case, passages.get(case.id, []) if case else [])

    filters = [goal, region, municipality, text]
    for component in (goal, region, municipality):
        component.change(refilter, filters, [table, shown, download, status], api_visibility="private")
    text.input(refilter, filters, [table, shown, download, status], api_visibility="private")
    table.select(choose, [shown], [panel], api_visibility="private")
