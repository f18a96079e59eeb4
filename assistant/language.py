"""Tell Danish from English questions and clean a query before retrieval."""

from __future__ import annotations

import html
import re

_EN = {"the", "what", "which", "who", "how", "why", "where", "when", "is", "are", "does", "do", "did",
       "can", "could", "i", "about", "with", "of", "to", "in", "and", "for", "a", "an", "there", "their",
       "municipality", "contact", "work", "working", "has", "have", "that", "this", "it", "on", "its"}
_DA = {"hvad", "hvilken", "hvilke", "hvem", "hvordan", "hvorfor", "hvor", "hvornår", "er", "og", "det",
       "der", "en", "et", "med", "om", "til", "på", "kan", "jeg", "kommune", "kommunen", "har", "af",
       "den", "de", "som", "for", "at", "ikke", "man", "mig", "i", "gør", "arbejder", "mere", "eller"}
_TAG = re.compile(r"<[^>]{0,500}>")
MAX_QUERY_CHARS = 2000


def language_votes(text: str) -> tuple[int, int]:
    """(Danish, English) evidence: function words of each language, Danish letters count double."""
    words = re.findall(r"[a-zæøå]+", text.lower())
    da = sum(w in _DA for w in words) + 2 * len(re.findall(r"[æøå]", text.lower()))
    en = sum(w in _EN for w in words)
    return da, en


def detect_language(text: str, default: str = "da") -> str:
    """'da' or 'en' from function words and Danish letters; ``default`` when there is no evidence."""
    da, en = language_votes(text)
    if da == en:
        return default
    return "en" if en > da else "da"


def clean_query(query: object) -> str:
    """The query as plain text: validated, HTML tags removed, entities decoded, spaces collapsed.

    Raises ValueError for a non-string, an empty or whitespace query, or one over MAX_QUERY_CHARS.
    """
    if not isinstance(query, str):
        raise ValueError(f"query must be a string, not {type(query).__name__}")
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(f"query is too long ({len(query)} characters; at most {MAX_QUERY_CHARS})")
    text = html.unescape(_TAG.sub(" ", query))
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise ValueError("query is empty: ask a question in words")
    return text
