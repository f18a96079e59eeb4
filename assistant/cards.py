"""Source cards: the HTML the chat shows beside each answer (pure functions, no Gradio).

Each card gives the municipality, case, section, the passage with the question's words marked, the
contacts (``mailto:`` links), goals and focus area, the source (a link only for plain http(s) URLs) and
the score. Every inserted string is escaped (``markup.escape``); only the card's own tags remain.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

from .markup import contacts_html, safe_url
from .markup import escape as _escape
from .records import Hit
from .roles import contacts_for
from .sparse import STOPWORDS, stem_words, words

_TEXTS = {
    "da": {"sources": "Kilder", "maybe": "Måske relateret", "section": "Afsnit", "contact": "Kontakt",
           "goals": "Verdensmål", "focus": "Fokusområde",
           "no_contact": "Casen nævner ingen kontaktperson", "source": "Kilde", "score": "Score",
           "theme": "Temaet", "phone": "tlf.", "none": "Ingen passager fundet.",
           "filter": "kun {}", "empty": "Kilderne til svaret vises her.",
           "bad_question": "Skriv spørgsmålet med almindelige ord (HTML og kode fjernes). Detalje: {}",
           "busy": "Der er travlt lige nu; prøv igen om lidt. Detalje: {}"},
    "en": {"sources": "Sources", "maybe": "Maybe related", "section": "Section", "contact": "Contact",
           "goals": "Global Goals", "focus": "Focus area",
           "no_contact": "No contact person named", "source": "Source", "score": "Score",
           "theme": "The theme", "phone": "phone", "none": "No passages found.",
           "filter": "only {}", "empty": "The sources of the answer appear here.",
           "bad_question": "Please ask in plain words (HTML and code are removed). Detail: {}",
           "busy": "The server is busy right now; please try again shortly. Detail: {}"},
}
_TOKEN = re.compile(r"[0-9a-zæøåäöüéèáàóòíìúùñ]+", re.IGNORECASE)
_MARKDOWN = re.compile(r"([\\`*_\[\]#|~$])")
CARD_CSS = """
.va-empty { color: var(--body-text-color-subdued); padding: 8px 2px; }
.va-heading { font-weight: 600; margin: 2px 0 8px; }
.va-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
           margin-bottom: 10px; background: var(--block-background-fill); }
.va-card.va-maybe { border-style: dashed; opacity: .9; }
.va-head { font-size: 1.02em; margin-bottom: 2px; }
.va-rank { display: inline-block; min-width: 1.5em; font-weight: 700; color: var(--color-accent); }
.va-section { font-size: .9em; color: var(--body-text-color-subdued); margin-bottom: 6px; }
.va-text { white-space: pre-line; margin: 0 0 8px; padding: 2px 0 2px 10px;
           border-left: 3px solid var(--border-color-accent, #ccc); font-size: .93em; }
.va-text mark { background: #fde68a; color: #111; padding: 0 1px; border-radius: 2px; }
.va-meta { font-size: .88em; line-height: 1.5; }
.va-meta b { font-weight: 600; }
"""
EMPTY_CARDS = f'<p class="va-empty">{_TEXTS["da"]["empty"]} / {_TEXTS["en"]["empty"]}</p>'


def query_stems(query: str, tokenizer: Callable[[str], list[str]] | None = None) -> set[str]:
    """The question's stemmed content words (plus hyphen and compound parts) to mark in passages."""
    stems = set(tokenizer(query)) if tokenizer is not None else set()
    tokens = words(query)
    tokens += [part for token in tokens for part in token.split("-") if "-" in token]
    stems |= set(stem_words([t for t in tokens if t not in STOPWORDS and len(t) > 1]))
    return {s for s in stems if len(s) > 1}


def _marks(word: str, stems: set[str]) -> bool:
    lower = word.lower()
    if lower in STOPWORDS or len(lower) < 2:
        return False
    stem = stem_words([lower])[0]
    # a query stem starting a Danish compound also counts: "verdensmål" in "verdensmålsarbejdet"
    return stem in stems or any(len(s) >= 5 and lower.startswith(s) for s in stems)


def highlight(text: str, stems: set[str]) -> str:
    """``text`` escaped, with the words whose stem is in ``stems`` wrapped in <mark>."""
    out, position = [], 0
    for match in _TOKEN.finditer(text):
        out.append(_escape(text[position:match.start()]))
        word = _escape(match.group(0))
        out.append(f"<mark>{word}</mark>" if stems and _marks(match.group(0), stems) else word)
        position = match.end()
    out.append(_escape(text[position:]))
    return "".join(out)


def _contact_html(hit: Hit, t: dict, question: str = "") -> str:
    """Every contact of the hit's case (the one whose role the question names first), escaped."""
    return contacts_html(contacts_for(hit.case, question), t["phone"], t["no_contact"])


def _goals_html(case, t: dict) -> str:
    """The case's Verdensmål and focus area, when the page states them."""
    parts = []
    if case.goals:
        parts.append(f'<b>{_escape(t["goals"])}:</b> <span class="va-goals">{_escape(", ".join(map(str, case.goals)))}</span>')
    if case.focus:
        parts.append(f'<b>{_escape(t["focus"])}:</b> <span class="va-focus">{_escape(case.focus)}</span>')
    return f"<div>{' · '.join(parts)}</div>" if parts else ""


def _source_html(hit: Hit) -> str:
    label = _escape(str(hit.source))
    url = safe_url(hit.case.source)
    if url is not None:
        return f'<a href="{_escape(url)}" target="_blank" rel="noopener noreferrer">{label}</a>'
    return label


def render_cards(hits: Iterable[Hit], query: str, language: str = "da", found: bool = True,
                 tokenizer: Callable[[str], list[str]] | None = None, municipality: str | None = None) -> str:
    """Source cards for ``hits`` as HTML; every inserted string is escaped, query words <mark>ed."""
    t = _TEXTS.get(language, _TEXTS["da"])
    hits = list(hits)
    if not hits:
        return f'<div class="va-cards"><p class="va-empty">{_escape(t["none"])}</p></div>'
    stems = query_stems(query, tokenizer)
    heading = t["sources"] if found else t["maybe"]
    if municipality:
        heading += " (" + t["filter"].format(municipality) + ")"
    cards = [f'<div class="va-cards"><p class="va-heading">{_escape(heading)}</p>']
    for hit in hits:
        case = hit.case
        where = case.place or t["theme"]
        section = hit.passage.heading
        cards.append(
            f'<article class="va-card{"" if found else " va-maybe"}">'
            f'<div class="va-head"><span class="va-rank">{hit.rank}.</span> '
            f'<strong class="va-municipality">{_escape(where)}</strong> — '
            f'<span class="va-title">{_escape(case.title)}</span></div>'
            + (f'<div class="va-section">{_escape(t["section"])}: {_escape(section)}</div>' if section else "")
            + f'<blockquote class="va-text">{highlight(hit.text, stems)}</blockquote>'
            f'<div class="va-meta"><div><b>{_escape(t["contact"])}:</b> '
            f'<span class="va-contact">{_contact_html(hit, t, query)}</span></div>'
            + _goals_html(case, t)
            + f'<div><b>{_escape(t["source"])}:</b> {_source_html(hit)}</div>'
            f'<div><b>{_escape(t["score"])}:</b> {hit.score:.2f}</div></div></article>')
    cards.append("</div>")
    return "".join(cards)


def user_markdown(message: str) -> str:
    """The user's message as Markdown that displays literally (no HTML, no formatting)."""
    return _MARKDOWN.sub(r"\\\1", html.escape(message, quote=False))
