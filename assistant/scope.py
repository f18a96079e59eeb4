"""Questions outside what the cases are for: a citizen's own errand with the municipality.

The cases tell what municipalities do for sustainability; they never say when the citizen service desk
opens, what a passport costs, how to apply for a parking permit or a building permit, when the next
local election is or what the property tax is. A question about such an errand is answered "not found"
even when it names a municipality that has a case ("Hvor kan jeg aflevere storskrald i Faxe?"), instead
of with the nearest case. Only the errand's object counts (a service, document, permit, tax or election),
never a topic word a case could hold ("affald", "flytte", "MitID": a case may teach pensioners to use it).
Besides those objects, a question asking in the first person singular how, where or when to carry out one
of the procedures a citizen does with the council (pay, book, report, register, renew, apply, enrol: "How
do I book a civil wedding?", "Hvordan melder jeg flytning?") is an errand whatever its object; signing
oneself up ("melde mig", "sign up") and getting in touch are not among them, nor is "how can one" ("Hvor
kan man købe gamle døre …?" is a case question).
"""

from __future__ import annotations

import re

_ERRAND = re.compile(r"""\b(?:
    pas(?:set)?(?!\s+på)|passports?|kørekort\w*|driv(?:ing|er'?s)\s+licen[cs]es?|sundhedskort\w*|sygesikringsbevis\w*|
    health\s+(?:insurance\s+)?card|
    parkeringstilladelse\w*|beboerlicens\w*|(?:residents'?\s+|residential\s+)?parking\s+permits?|
    adresseændring\w*|(?:change|changing)\s+(?:of\s+|my\s+)?address|
    åbningstid\w*|opening\s+hours|storskrald\w*|bulky\s+waste|
    kommunalvalg\w*|valg\s+til\s+kommunalbestyrelsen|(?:municipal|local)\s+elections?|næste\s+(?:gang\s+)?valg|
    ejendomsskat\w*|grundskyld\w*|property\s+tax\w*|kommuneskat\w*|skatteprocent\w*|income\s+tax\w*|
    byggetilladelse\w*|building\s+permits?|folkeregister\w*|boligstøtte\w*|housing\s+benefits?|beboerparkering\w*|
    (?:not|\w+n't)\s+(?:been\s+|being\s+)?emptied|ikke\s+(?:blevet\s+)?tømt|
    hvornår\s+(?:bliver|tømmes|henter\s+de)\s+(?:\w+\s+){0,2}?(?:skrald|affald)\w*|
    (?:bin|rubbish|garbage|trash|waste)\s+(?:collection\s+)?day|
    when\s+(?:is|are|will)\s+(?:my|our|the)\s+(?:bins?|rubbish|garbage|trash)\s+(?:be\s+)?(?:collected|emptied|picked)
)\b""", re.IGNORECASE | re.VERBOSE)

# small talk and requests no case is for: a greeting alone, "how are you", a joke, a poem, the time, the weather
_SMALL_TALK = re.compile(r"""
    ^\W*(?:hi|hello|hey|hej|hejsa|hallo|goddag|godmorgen|good\s+(?:morning|afternoon|evening))\W*(?:there)?\W*$
  | \bhow\s+are\s+you\b|\bhow['’]?s\s+it\s+going\b|\bhvordan\s+(?:har\s+du\s+det|går\s+det)\b
  | \b(?:tell|give)\s+me\s+a\s+joke\b|\bfortæl\s+(?:mig\s+)?en\s+(?:vittighed|vits|joke|historie)\b
  | \b(?:write|compose|make)\s+(?:me\s+)?an?\s+(?:poem|song|haiku|limerick|story)\b
  | \b(?:skriv|digt)\s+(?:mig\s+)?(?:et\s+digt|en\s+sang|en\s+historie|et\s+haiku|et\s+vers)\b
  | \bwhat\s+time\s+is\s+it\b|\bhvad\s+er\s+klokken\b
  | \bwhat['’]?s\s+the\s+weather\b|\bweather\s+(?:forecast|today|tomorrow|like)\b|\bhvordan\s+(?:bliver|er)\s+vejret\b
  | \bwho\s+are\s+you\b|\bhvem\s+er\s+du\b|\bare\s+you\s+(?:a\s+)?(?:robot|bot|human|real)\b
""", re.IGNORECASE | re.VERBOSE)


_EN_VERB = r"(?:pay|book|report|register|renew|apply|enrol+)"
_DA_PRESENT = r"(?:betaler|booker|melder|anmelder|indberetter|søger|ansøger|fornyer|indskriver)"
_DA_INFINITIVE = r"(?:betale|booke|melde|anmelde|indberette|søge\s+om|ansøge|forny|indskrive)"
_PROCEDURE = re.compile(rf"""
    \b(?:how|where|when)\s+(?:do|can|should|must)\s+I\s+(?:go\s+about\s+)?{_EN_VERB}(?:ing)?\b
  | \b(?:hvordan|hvor|hvornår)\s+{_DA_PRESENT}\s+jeg\b(?!\s+mig)
  | \b(?:hvordan|hvor|hvornår)\s+(?:kan|skal|må)\s+jeg\s+{_DA_INFINITIVE}\b(?!\s+mig)
""", re.IGNORECASE | re.VERBOSE)


def names_errand(text: str) -> bool:
    """Whether ``text`` names one of a citizen's errands (a passport, a parking permit, taxes …), whatever it
    asks about it: "and what about a parking permit?" after a case is no follow-up the case answers."""
    return bool(_ERRAND.search(text))


def is_errand(text: str) -> bool:
    """Whether ``text`` asks about a citizen's own errand with the municipality (documents, permits, opening
    hours, taxes, elections) or asks how to carry out such a procedure: nothing the cases answer."""
    return bool(_ERRAND.search(text) or _PROCEDURE.search(text))


def is_small_talk(text: str) -> bool:
    """Whether ``text`` is small talk or a request no case is for ("how are you today?", "skriv et digt om
    bæredygtighed", "hvad er klokken?"): answered "not found", never with the nearest case."""
    return bool(_SMALL_TALK.search(text))
