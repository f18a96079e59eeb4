"""Cases into paragraph-level passages with stable, content-hashed ids."""

from __future__ import annotations

import hashlib
import re

from .records import Case, Passage

SHORT = 120     # a paragraph shorter than this joins the previous one in its section
LONG = 1500     # a paragraph longer than this is cut at sentence ends


def _split_long(text: str, limit: int = LONG) -> list[str]:
    if len(text) <= limit:
        return [text]
    sentences = re.split(r"(?<=[.!?”])\s+(?=[A-ZÆØÅ”“\"])", text)
    pieces, current = [], ""
    for sentence in sentences:
        if current and len(current) + len(sentence) + 1 > limit * 0.6:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return pieces


def passage_id(case: Case, heading: str | None, text: str) -> str:
    key = "\x1f".join([case.id, case.municipality or "", case.title, heading or "", text])
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def chunk_case(case: Case) -> list[Passage]:
    passages: list[Passage] = []
    for section in case.sections:
        merged: list[str] = []
        for paragraph in section.paragraphs:
            if merged and (len(paragraph) < SHORT or len(merged[-1]) < SHORT):
                merged[-1] = merged[-1] + "\n" + paragraph
            else:
                merged.append(paragraph)
        if not merged and section.heading:
            merged = [section.heading]
        for paragraph in merged:
            for piece in _split_long(paragraph):
                passages.append(Passage(id=passage_id(case, section.heading, piece), case_id=case.id,
                                        text=piece, heading=section.heading, position=len(passages)))
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
