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
# A run of this many characters without a space is no word (the model's tokenizer is quadratic in it:
# 300 characters took 0.34 s, 64 KB over 2 minutes); longer runs are cut before retrieval.
MAX_QUERY_WORD = 64
_LONG_RUN = re.compile(rf"\S{{{MAX_QUERY_WORD + 1},}}")


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


class EmptyQueryError(ValueError):
    """The query has no words (blank, or markup only)."""


def clean_query(query: object) -> str:
    """The query as plain text: validated, HTML tags removed, entities decoded, spaces collapsed.

    Raises ValueError for a non-string, an empty or whitespace query, one over MAX_QUERY_CHARS, or one
    holding lone surrogates. Runs of over MAX_QUERY_WORD characters without a space are cut.
    """
    if not isinstance(query, str):
        raise ValueError(f"query must be a string, not {type(query).__name__}")
    if len(query) > MAX_QUERY_CHARS:
        raise ValueError(f"query is too long ({len(query)} characters; at most {MAX_QUERY_CHARS})")
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("query holds characters that are not text (lone surrogates, e.g. from bytes that are "
                         "not UTF-8): send it as UTF-8") from None
    text = html.unescape(_TAG.sub(" ", query))
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]", " ", text)
    text = _LONG_RUN.sub(lambda m: m.group(0)[:MAX_QUERY_WORD], text)
    text = re.sub(r"\s+", " ", text).strip()
    if not text:
        raise EmptyQueryError("query is empty: ask a question in words")
    return text


# The "whom do I ask" frame of a contact question says nothing about which case is meant; left in, it
# pulls every case's contact paragraph up alike and, in English, dilutes the topic words.
_CONTACT_FRAMES = [re.compile(p, re.IGNORECASE) for p in (
    r"\bhvem\s+(?:kan|skal|må|bør)\s+(?:jeg|man|vi)\s+(?:kontakte|skrive\s+til|ringe\s+til|henvende\s+(?:mig|sig|os)\s+til"
    r"|spørge|tale\s+med|maile\s+til|maile)\b(?:\s+(?:om|angående|vedrørende|i|hos|på|for))?",
    r"\bhvem\s+er\s+(?:kontaktperson(?:en)?|kontakten|ansvarlig)\b(?:\s+(?:for|på|om|i|hos|til))?",
    r"\bhvad\s+er\s+(?:(?:e-?)?mail(?:adresse)?(?:en|n)?|telefonnummer(?:et)?|kontaktoplysninger(?:ne)?)\b"
    r"(?:\s+(?:på|til|for|hos))?",
    r"\b(?:kontaktperson(?:en)?|kontaktoplysninger(?:ne)?)\s+(?:for|på|til|om|i|hos)\b",
    r"\bwho\s+(?:can|should|do|could|shall|may)\s+(?:i|we|one)\s+(?:contact|e-?mail|call|phone|write\s+to|reach\s+out\s+to"
    r"|reach|talk\s+to|speak\s+(?:to|with)|ask)\b(?:\s+(?:about|regarding|in|at|for|on))?",
    r"\bwho\s+is\s+(?:the\s+)?(?:contact(?:\s+person)?|person\s+to\s+contact|responsible)\b(?:\s+(?:for|about|in|at|of|on))?",
    r"\bwhat(?:'s|’s|\s+is)\s+(?:the\s+)?(?:e-?mail(?:\s+address)?|phone\s+number|contact\s+(?:details|person|e-?mail))\b"
    r"(?:\s+(?:of|for|at|in))?(?:\s+the\s+contact\s+person(?:\s+(?:for|of|at|in))?)?",
    r"\b(?:the\s+)?contact\s+person\s+(?:for|of|at|in|about)\b",
)]
_CONTENT = re.compile(r"[0-9A-Za-zÆØÅæøåÄÖÜäöüÉé]{3,}")


def strip_contact_frame(text: str) -> str:
    """The topic of a contact question ("Who can I contact about the library climate ambassadors?" ->
    "the library climate ambassadors?"); the text itself when no frame is found or nothing would be left."""
    topic = text
    for frame in _CONTACT_FRAMES:
        topic = frame.sub(" ", topic)
    topic = re.sub(r"\s+", " ", topic).strip(" ,;:–-")
    if topic == text.strip() or len(_CONTENT.findall(topic)) < 2:
        return text
    return topic
