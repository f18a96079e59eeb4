"""Cases into paragraph-level passages with stable, content-hashed ids."""

from __future__ import annotations

import hashlib
import re

from .records import Case, Passage

SHORT = 120     # a paragraph shorter than this joins the previous one in its section
LONG = 1500     # a paragraph longer than this is cut at sentence ends


def _pack(units: list[str], limit: int) -> list[str]:
    """Units (sentences or words) joined with spaces into pieces of about 0.6 x ``limit`` characters."""
    pieces, current = [], ""
    for unit in units:
        if current and len(current) + len(unit) + 1 > limit * 0.6:
            pieces.append(current)
            current = unit
        else:
            current = f"{current} {unit}".strip()
    if current:
        pieces.append(current)
    return pieces


def _split_long(text: str, limit: int = LONG) -> list[str]:
    if len(text) <= limit:
        return [text]
    pieces = _pack(re.split(r"(?<=[.!?”])\s+(?=[A-ZÆØÅ”“\"])", text), limit)
    # a run with no sentence end (a list flattened into one line, a table) is cut between words
    return [part for piece in pieces for part in (_pack(piece.split(" "), limit) if len(piece) > limit else [piece])]


def passage_id(case: Case, heading: str | None, text: str) -> str:
    key = "\x1f".join([case.id, case.municipality or "", case.title, heading or "", text])
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


_CLOSING = re.compile(r"[\w.+-]+@[\w-]+\.|\((?:pdf|docx?)\)|\btlf\b|\btelefon\b", re.IGNORECASE)
LEAD_CHARS = 400


def case_lead(case: Case, limit: int = LEAD_CHARS) -> str:
    """The case's opening paragraphs, cut at a sentence end near ``limit`` characters."""
    text = ""
    for section in case.sections:
        for paragraph in section.paragraphs:
            if len(paragraph) >= SHORT and not _CLOSING.search(paragraph):
                text = f"{text} {paragraph}".strip()
                if len(text) >= limit:
                    break
        if len(text) >= limit:
            break
    if len(text) <= limit * 1.5:
        return text
    cut = text[: int(limit * 1.5)]
    end = max(cut.rfind(". "), cut.rfind("? "), cut.rfind("! "))
    return cut[: end + 1] if end > limit // 2 else cut.rsplit(" ", 1)[0]


def _is_closing(paragraphs: list[str]) -> bool:
    """A section of contact lines and document links only ("Vil du vide mere?")."""
    return bool(paragraphs) and all(_CLOSING.search(p) and len(p) < 300 for p in paragraphs)


def chunk_case(case: Case) -> list[Passage]:
    """One passage a paragraph (short ones joined); a contact/documents section carries the case
    lead as indexed context, so "whom do I contact about X" finds the case about X."""
    passages: list[Passage] = []
    lead = case_lead(case)
    for section in case.sections:
        merged: list[str] = []
        for paragraph in section.paragraphs:
            if merged and (len(paragraph) < SHORT or len(merged[-1]) < SHORT):
                merged[-1] = merged[-1] + "\n" + paragraph
            else:
                merged.append(paragraph)
        if not merged and section.heading:
            merged = [section.heading]
        context = lead if lead and _is_closing(list(section.paragraphs)) else None
        for paragraph in merged:
            for piece in _split_long(paragraph):
                passages.append(Passage(id=passage_id(case, section.heading, (context or "") + piece),
                                        case_id=case.id, text=piece, heading=section.heading,
                                        position=len(passages), context=context))
    return passages


def chunk_cases(cases: list[Case]) -> list[Passage]:
    passages: list[Passage] = []
    seen: set[str] = set()
    for case in cases:
        for passage in chunk_case(case):
            if passage.id not in seen:
                seen.add(passage.id)
                passages.append(passage)
    return passages


_SENTENCE = re.compile(r"(?<=[.!?”])\s+(?=[A-ZÆØÅ”“\"])")
MIN_SENTENCE = 20


def split_sentences(text: str) -> list[str]:
    """A paragraph's sentences of at least MIN_SENTENCE characters."""
    return [s.strip() for s in _SENTENCE.split(text.replace("\n", " ")) if len(s.strip()) >= MIN_SENTENCE]


def sentence_texts(passage: Passage, case: Case) -> list[str]:
    """The passage's sentences, each with the case header, for extra dense vectors.

    A question often matches one sentence of a long paragraph far better than the paragraph as a
    whole (especially across languages); a passage's dense score is the best of its paragraph
    vector and its sentence vectors. A one-sentence passage gets none (its own vector suffices).
    """
    sentences = split_sentences(passage.text)
    if len(sentences) < 2:
        return []
    head = f"{case.municipality}: {case.title}" if case.municipality else case.title
    return [f"{head}\n{s}" for s in sentences]


def text_key(text: str) -> str:
    """The embedding-cache key of a text (with the model's fingerprint kept in the manifest)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]
