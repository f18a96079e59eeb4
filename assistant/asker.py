"""What a message says about the person asking, as opposed to what it asks.

Users introduce themselves before they ask: "I live in Aarhus and teach. Is there a council that …?",
"Jeg sidder i bestyrelsen for en grundejerforening. Hvem kan jeg ringe til?", "I'm with an anglers' club,
so who would I write to?". A place named there is where the asker is, not what is asked about, and the
words there are not the topic. A clause about the asker starts with a first-person subject and a verb of
who or where one is ("I'm", "I live", "we run", "jeg er", "jeg bor", "vi driver") and runs to the end of
its sentence, or to a comma or dash before the request ("…, so who …", "…, hvem …").

Clauses that state an interest ("I'm interested in …", "jeg arbejder med …", "I'm looking for …") carry
the topic and are never about the asker only.
"""

from __future__ import annotations

import re

# "I" is matched in capitals only (Danish "i" is "in"), except in "i'm"
_SELF_EN = (r"i['’]m|(?-i:I)m|(?-i:I)\s+(?:am|work|live|run|own|sit|teach|study|represent|volunteer|chair|manage|"
            r"coach|lead|help\s+run|just\s+moved|moved)|we['’]re|we\s+(?:are|run|own|live|represent)|my\s+name\s+is")
_SELF_DA = (r"jeg\s+er|jeg\s+bor|jeg\s+arbejder|jeg\s+sidder|jeg\s+driver|jeg\s+underviser|jeg\s+læser|"
            r"jeg\s+studerer|jeg\s+kommer\s+fra|jeg\s+repræsenterer|jeg\s+har\s+en|vi\s+er|vi\s+bor|vi\s+driver|"
            r"vi\s+har\s+en|mit\s+navn\s+er")
# a first-person clause at the start of a sentence or after a comma/dash
_SELF_START = re.compile(rf"(?:^|(?<=[.!?;:])\s+|(?<=,)\s*|\s[-–—]\s)(?:(?:hi|hello|hej|ok|okay|so|well|nå|altså)[,!]?\s+)?"
                         rf"(?:{_SELF_EN}|{_SELF_DA})\b", re.IGNORECASE)
# where the clause gives way to the request: the sentence ends, or a comma/dash before a question word
_QUESTION_WORD = (r"(?:so\s+|and\s+|but\s+|så\s+|og\s+|men\s+)?(?:who|whom|which|what|how|where|when|is|are|does|do|"
                  r"can|could|would|should|hvem|hvilk\w*|hvad|hvordan|hvor|hvornår|findes|er|kan|har|gør|må|skal|vil)\b")
_CLAUSE_END = re.compile(rf"[.!?;]|,\s*{_QUESTION_WORD}|\s[-–—]\s|\s+(?:so|så)\s+{_QUESTION_WORD}", re.IGNORECASE)
# a clause stating what the asker wants to know about carries the topic
_INTEREST = re.compile(
    r"\b(?:interest(?:ed)?|curious|wonder\w*|looking\s+(?:for|into)|search\w*|research\w*|keen|hoping|trying|"
    r"about|regarding|concerning|working\s+on|work(?:ing)?\s+with|planning|want|wish|would\s+like|need|"
    r"interesse\w*|nysgerrig|spekulerer|leder\s+efter|søger|undersøger|arbejder\s+med|om|angående|vedrørende|"
    r"planlægger|vil\s+gerne|ønsker|mangler|gerne\s+vil|overvejer)\b",
    re.IGNORECASE)
# ... and one stating an interest in a place ("I'm curious what Aarhus does"): the place is asked about
_INTEREST_PLACE = re.compile(r"\b(?:interest(?:ed)?|curious|wonder\w*|interesse\w*|nysgerrig|spekulerer)\b",
                             re.IGNORECASE)
# the request asks about the asker's own place: "what is my council doing", "hos os", "her i kommunen"
_OWN_PLACE = re.compile(
    r"\b(?:my|our)\s+(?:own\s+)?(?:municipality|council|town|city|area|region|kommune|local\s+authority)\b"
    r"|\b(?:min|vores|mit)\s+(?:egen\s+|eget\s+)?(?:kommune|by|område|region|lokalområde)\b"
    r"|\b(?:where\s+I\s+live|where\s+we\s+live|here|near\s+me|nearby|hos\s+os|heromkring|i\s+nærheden|"
    r"der\s+hvor\s+jeg\s+bor|(?:kommuner|kommune|byer)\s+her|her\s+(?:i|hos|omkring|på))\b",
    re.IGNORECASE)


def asker_spans(text: str, topical: bool = True) -> list[tuple[int, int]]:
    """The (start, end) spans of ``text`` that describe the asker. With ``topical`` False, clauses that
    state an interest ("I'm interested in …", "I work with …") are left out: their words are the topic."""
    spans = []
    for match in _SELF_START.finditer(text):
        start = match.start()
        if spans and start < spans[-1][1]:
            continue
        end_match = _CLAUSE_END.search(text, match.end())
        end = end_match.start() if end_match else len(text)
        if not topical and _INTEREST.search(text[start:end]):
            continue
        spans.append((start, end))
    return spans


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    out = list(text)
    for start, end in spans:
        out[start:end] = " " * (end - start)
    return "".join(out)


def without_asker_places(text: str) -> str:
    """``text`` with the clauses about the asker blanked out (same length, so positions hold) when the
    request itself does not ask about the asker's own place ("what is my council doing?"). A place named
    there ("I live in Aarhus", "jeg bor i Odense") is where the asker is, not what is asked about."""
    spans = [(s, e) for s, e in asker_spans(text) if not _INTEREST_PLACE.search(text[s:e])]
    if not spans:
        return text
    blanked = _blank(text, spans)
    return text if _OWN_PLACE.search(blanked) or not re.search(r"\w", blanked) else blanked



def request_part(text: str) -> str:
    """``text`` without the clauses that only describe the asker ("I'm with an anglers' club, so who would I
    write to?" -> "so who would I write to?"). A clause stating an interest stays; a message that is all
    about the asker is returned as it is."""
    spans = asker_spans(text, topical=False)
    if not spans:
        return text
    rest = " ".join(_blank(text, spans).split())
    return rest if re.search(r"\w", rest) else text
