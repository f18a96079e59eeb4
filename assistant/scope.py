"""Questions outside what the cases are for: a citizen's own errand with the municipality.

The cases tell what municipalities do for sustainability; they never say when the citizen service desk
opens, what a passport costs, how to apply for a parking permit or a building permit, when the next
local election is or what the property tax is. A question about such an errand is answered "not found"
even when it names a municipality that has a case ("Hvor kan jeg aflevere storskrald i Faxe?"), instead
of with the nearest case. Only the errand's object counts (a service, document, permit, tax or election),
never a topic word a case could hold ("affald", "flytte", "MitID": a case may teach pensioners to use it).
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
    byggetilladelse\w*|building\s+permits?|folkeregister\w*
)\b""", re.IGNORECASE | re.VERBOSE)


def is_errand(text: str) -> bool:
    """Whether ``text`` asks about a citizen's own errand with the municipality (documents, permits, opening
    hours, taxes, elections): nothing the cases answer."""
    return bool(_ERRAND.search(text))
