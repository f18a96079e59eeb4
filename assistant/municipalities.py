"""The 98 Danish municipalities and finding them in free text."""

from __future__ import annotations

import re
from functools import lru_cache

MUNICIPALITIES: tuple[str, ...] = (
    "Albertslund", "Allerød", "Assens", "Ballerup", "Billund", "Bornholm", "Brøndby",
    "Brønderslev", "Dragør", "Egedal", "Esbjerg", "Fanø", "Favrskov", "Faxe", "Fredensborg",
    "Fredericia", "Frederiksberg", "Frederikshavn", "Frederikssund", "Furesø",
    "Faaborg-Midtfyn", "Gentofte", "Gladsaxe", "Glostrup", "Greve", "Gribskov",
    "Guldborgsund", "Haderslev", "Halsnæs", "Hedensted", "Helsingør", "Herlev", "Herning",
    "Hillerød", "Hjørring", "Holbæk", "Holstebro", "Horsens", "Hvidovre", "Høje-Taastrup",
    "Hørsholm", "Ikast-Brande", "Ishøj", "Jammerbugt", "Kalundborg", "Kerteminde", "Kolding",
    "København", "Køge", "Langeland", "Lejre", "Lemvig", "Lolland", "Lyngby-Taarbæk", "Læsø",
    "Mariagerfjord", "Middelfart", "Morsø", "Norddjurs", "Nordfyns", "Nyborg", "Næstved",
    "Odder", "Odense", "Odsherred", "Randers", "Rebild", "Ringkøbing-Skjern", "Ringsted",
    "Roskilde", "Rudersdal", "Rødovre", "Samsø", "Silkeborg", "Skanderborg", "Skive",
    "Slagelse", "Solrød", "Sorø", "Stevns", "Struer", "Svendborg", "Syddjurs", "Sønderborg",
    "Thisted", "Tønder", "Tårnby", "Vallensbæk", "Varde", "Vejen", "Vejle", "Vesthimmerland",
    "Viborg", "Vordingborg", "Ærø", "Aabenraa", "Aalborg", "Aarhus",
)

# Other spellings people use (English exonyms, old "aa" forms, towns named for their municipality).
ALIASES: dict[str, str] = {
    "Copenhagen": "København",
    "Kobenhavn": "København",
    "Elsinore": "Helsingør",
    "Århus": "Aarhus",
    "Ålborg": "Aalborg",
    "Åbenrå": "Aabenraa",
    "Lyngby": "Lyngby-Taarbæk",
    "Ikast": "Ikast-Brande",
    "Ringkøbing": "Ringkøbing-Skjern",
    "Taastrup": "Høje-Taastrup",
    "Faaborg": "Faaborg-Midtfyn",
}


def normalize_municipality(name: str | None) -> str | None:
    """'Frederikshavn Kommune' -> 'Frederikshavn'; aliases to the official bare name."""
    if name is None:
        return None
    bare = re.sub(r"\s+(kommune|municipality)$", "", name.strip(), flags=re.IGNORECASE).strip()
    if not bare:
        return None
    for official in MUNICIPALITIES:
        if official.lower() == bare.lower():
            return official
    for alias, official in ALIASES.items():
        if alias.lower() == bare.lower():
            return official
    return bare


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    names = sorted(list(MUNICIPALITIES) + list(ALIASES), key=len, reverse=True)
    alternatives = "|".join(re.escape(n) for n in names)
    # the name as a whole word, optionally genitive ("Hernings", "Aarhus'", "Norddjurs’")
    return re.compile(
        rf"(?<![\w-])({alternatives})(?:s|['’]s?)?(?P<kommune>\s+[Kk]ommunes?)?(?![\w-])",
        re.IGNORECASE,
    )


def find_municipalities(text: str) -> list[tuple[str, bool]]:
    """Every municipality named in ``text``, in order, as (official name, followed by 'Kommune')."""
    found = []
    for match in _pattern().finditer(text):
        raw = match.group(1)
        # case-sensitive guard: "greve", "faxe" etc. are also ordinary words in lower case
        if not raw[0].isupper():
            continue
        found.append((normalize_municipality(raw) or raw, bool(match.group("kommune"))))
    return found


def municipalities_in(text: str) -> list[str]:
    """The distinct municipalities named in ``text``, in order of first mention."""
    seen: list[str] = []
    for name, _ in find_municipalities(text):
        if name not in seen:
            seen.append(name)
    return seen
