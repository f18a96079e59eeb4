"""The 98 Danish municipalities, their five regions, and finding both in free text."""

from __future__ import annotations

import re
from functools import lru_cache

from .asker import without_asker_places

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

# Greenland's five municipalities (Kalaallit Nunaat): cases come from them too, in Danish.
GREENLAND: tuple[str, ...] = ("Avannaata", "Kujalleq", "Qeqqata", "Qeqertalik", "Sermersooq")
# The Faroe Islands' larger municipalities: named in a question, they are places no Danish case is about.
FAROE: tuple[str, ...] = ("Tórshavn", "Klaksvík", "Runavík", "Tvøroyri", "Fuglafjørður", "Vestmanna", "Sørvágur",
                          "Vágur", "Eiði")
ALL_MUNICIPALITIES: tuple[str, ...] = MUNICIPALITIES + GREENLAND + FAROE

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
    "Torshavn": "Tórshavn",
    "Klaksvik": "Klaksvík",
    "Runavik": "Runavík",
}


def _ascii_spellings(name: str) -> set[str]:
    """A name as typed without Danish letters: "Sønderborg" -> "Sonderborg", "Soenderborg"; "Tårnby" -> "Tarnby",
    "Taarnby"; "Vallensbæk" -> "Vallensbaek", "Vallensbak"."""
    spellings = {name}
    for letter, plain in (("æ", ("ae", "a")), ("ø", ("oe", "o")), ("å", ("aa", "a")),
                          ("Æ", ("Ae", "A")), ("Ø", ("Oe", "O")), ("Å", ("Aa", "A"))):
        spellings = {s.replace(letter, p) for s in spellings for p in plain} if letter in name else spellings
    return spellings - {name}


# every Danish municipality also as typed on a keyboard without æ, ø and å
ALIASES.update({spelling: name for name in MUNICIPALITIES for spelling in _ascii_spellings(name)
                if spelling not in ALIASES and spelling not in MUNICIPALITIES})


def normalize_municipality(name: str | None) -> str | None:
    """'Frederikshavn Kommune' -> 'Frederikshavn'; aliases to the official bare name."""
    if name is None:
        return None
    bare = re.sub(r"\s+((?:regions)?kommune|municipality)$", "", name.strip(), flags=re.IGNORECASE).strip()
    bare = re.sub(r"^(?:kommune(?:qarfik)?|municipality\s+of)\s+", "", bare, flags=re.IGNORECASE).strip()
    if not bare:
        return None
    for official in ALL_MUNICIPALITIES:
        if official.lower() == bare.lower():
            return official
    for alias, official in ALIASES.items():
        if alias.lower() == bare.lower():
            return official
    if bare.lower().endswith("s") and bare != name.strip():  # "Bornholms Regionskommune", "Vesthimmerlands Kommune"
        stem = normalize_municipality(bare[:-1])
        return stem if stem in ALL_MUNICIPALITIES else bare
    return bare


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    names = sorted(list(ALL_MUNICIPALITIES) + list(ALIASES), key=len, reverse=True)
    alternatives = "|".join(re.escape(n) for n in names)
    # the name as a whole word, optionally genitive ("Hernings", "Aarhus'", "Norddjurs’"), with "Kommune(s)"
    # after it or Greenland's "Kommune(qarfik)" or a label ("Kommune: Greve", "**Kommune:** Greve") before it,
    # or the first part of a library service's name
    # ("Ballerupbibliotekerne")
    return re.compile(
        rf"(?<![\w-])(?P<prefix>[Kk]ommune(?:qarfik)?\s+|(?:[Kk]ommune|[Mm]unicipality)\**\s*:\**\s*)?({alternatives})(?:s|['’]s?)?"
        rf"(?:bibliotek(?:et|erne)?)?(?P<kommune>\s+(?:[Rr]egions)?[Kk]ommun(?:es?|ia|a))?(?![\w-])",
        re.IGNORECASE,
    )


# names that are also ordinary words in lower case ("vejen" the road, "greve" a count, "skive" a slice)
_WORDS_TOO = frozenset({"vejen", "greve", "lejre", "odder", "skive", "faxe", "ringsted", "sorø", "struer", "aero"})


_PLACE_BEFORE = re.compile(r"(?:^|[\s,.!?])(?:og|and|i|in|på|on|for|about|med|fra|from)\s*$", re.IGNORECASE)


def _counts_as_name(match: re.Match[str], lowercase: bool) -> bool:
    """Whether a match of ``_pattern()`` names the municipality: capitalised, or (``lowercase``) in lower case
    unless the name is an ordinary word too ("greve", "faxe") with no "kommune" after it."""
    raw = match.group(2)
    if raw[0].isupper() or not lowercase:
        return raw[0].isupper()
    # an ordinary word too counts where only a place can stand: with "kommune", or closing a short "and in X?",
    # "og i odder?", "what about sorø?"
    closing = not match.string[match.end():].strip(" ?!.") and bool(_PLACE_BEFORE.search(match.string[:match.start()]))
    return raw.casefold() not in _WORDS_TOO or bool(match.group("kommune")) or closing


def find_municipality_spans(text: str, lowercase: bool = False) -> list[tuple[str, bool, int]]:
    """Every municipality named in ``text``, in order: (official name, named with 'Kommune', position).
    Names count when capitalised; with ``lowercase`` (a question typed in lower case: "har kolding noget
    om …") also in lower case, except names that are ordinary words too unless "kommune" follows them."""
    found = []
    for match in _pattern().finditer(text):
        raw = match.group(2)
        if not _counts_as_name(match, lowercase):
            continue
        found.append((normalize_municipality(raw) or raw, bool(match.group("kommune") or match.group("prefix")),
                      match.start()))
    return found


def find_municipalities(text: str) -> list[tuple[str, bool]]:
    """Every municipality named in ``text``, in order, as (official name, followed by 'Kommune')."""
    return [(name, kommune) for name, kommune, _ in find_municipality_spans(text)]


# words right before a municipality that make it a partner in a question ("the scheme run jointly with Stevns",
# "sammen med Faxe Kommune"), not the one asked about
_PARTNER_BEFORE = re.compile(r"\b(?:(?:jointly|together|along|in\s+partnership)\s+with|alongside|sammen\s+med|"
                             r"i\s+samarbejde\s+med|i\s+partnerskab\s+med)\s+$", re.IGNORECASE)


# words around a municipality that make it a landmark for somewhere near it ("a Copenhagen suburb", "north of
# Aarhus", "uden for Odense"): its region is asked about, not the municipality
_NEAR_BEFORE = re.compile(r"\b(?:suburbs?\s+of|outside|near|around|close\s+to|(?:north|south|east|west)\s+of|"
                          r"nær|uden\s+for|tæt\s+på|(?:nord|syd|øst|vest)\s+for|forstad\s+til|forstæder\s+til)\s+$",
                          re.IGNORECASE)
_NEAR_AFTER = re.compile(r"^[\w-]+['’]?s?\s+(?:suburbs?|area|omegn|egnen)\b", re.IGNORECASE)


# a municipality's name as the first word of an institution's ("Aarhus University", "Aalborg Universitet",
# "Odense Universitetshospital", "Billund Lufthavn"): the institution is meant, not the municipality
_INSTITUTION_AFTER = re.compile(r"^[\w-]+['’]?s?\s+(?:universitet\w*|university|universitetshospital\w*|sygehus\w*|"
                                r"hospital\w*|lufthavn\w*|airport|zoo|business\s+school|handelshøjskole\w*|"
                                r"katedralskole\w*|teater|theatre|domkirke\w*|cathedral)\b", re.IGNORECASE)


def _near_spans(text: str, lowercase: bool = False) -> list[tuple[str, bool]]:
    """(municipality, named as a landmark for a place near it) for each municipality ``text`` names."""
    out = []
    for name, _, start in find_municipality_spans(text, lowercase):
        near = _NEAR_BEFORE.search(text[max(0, start - 30):start]) or _NEAR_AFTER.match(text[start:start + 40])
        out.append((name, bool(near)))
    return out


def asked_municipalities(text: str) -> list[str]:
    """The distinct municipalities a question asks about, in order: those it names, less those it names only
    as a partner ("… the scheme run jointly with Stevns?"), as where the asker is ("I live in Aarhus. Is
    there a council that …?"; asker.py), as a landmark ("a Copenhagen suburb": its region is asked) or as the
    first word of an institution's name ("Aarhus University")."""
    text = without_asker_places(text)
    spans = find_municipality_spans(text, lowercase=True)
    near = {name for name, is_near in _near_spans(text, lowercase=True) if is_near}
    owners = {name for name, _, start in spans
              if not _PARTNER_BEFORE.search(text[max(0, start - 40):start]) and name not in near
              and not _INSTITUTION_AFTER.match(text[start:start + 60])}
    return list(dict.fromkeys(name for name, _, _ in spans if name in owners))  # in order of first mention


def without_municipalities(text: str, replacement: str = "kommunen") -> str:
    """``text`` with each municipality it names (with "Kommune", a genitive or a label) replaced by
    ``replacement``: "Har Hørsholm også noget om cykler?" -> "Har kommunen også noget om cykler?"."""
    return re.sub(r"[ \t]+", " ", _pattern().sub(
        lambda m: replacement if _counts_as_name(m, lowercase=True) else m.group(0), text)).strip()


def municipalities_in(text: str) -> list[str]:
    """The distinct municipalities named in ``text``, in order of first mention."""
    seen: list[str] = []
    for name, _ in find_municipalities(text):
        if name not in seen:
            seen.append(name)
    return seen


# The five regions (since 2007) and the municipalities in each.
REGIONS: dict[str, tuple[str, ...]] = {
    "Nordjylland": ("Brønderslev", "Frederikshavn", "Hjørring", "Jammerbugt", "Læsø", "Mariagerfjord", "Morsø",
                    "Rebild", "Thisted", "Vesthimmerland", "Aalborg"),
    "Midtjylland": ("Favrskov", "Hedensted", "Herning", "Holstebro", "Horsens", "Ikast-Brande", "Lemvig",
                    "Norddjurs", "Odder", "Randers", "Ringkøbing-Skjern", "Samsø", "Silkeborg", "Skanderborg",
                    "Skive", "Struer", "Syddjurs", "Viborg", "Aarhus"),
    "Syddanmark": ("Assens", "Billund", "Esbjerg", "Fanø", "Fredericia", "Faaborg-Midtfyn", "Haderslev",
                   "Kerteminde", "Kolding", "Langeland", "Middelfart", "Nordfyns", "Nyborg", "Odense", "Svendborg",
                   "Sønderborg", "Tønder", "Varde", "Vejen", "Vejle", "Ærø", "Aabenraa"),
    "Sjælland": ("Faxe", "Greve", "Guldborgsund", "Holbæk", "Kalundborg", "Køge", "Lejre", "Lolland", "Næstved",
                 "Odsherred", "Ringsted", "Roskilde", "Slagelse", "Solrød", "Sorø", "Stevns", "Vordingborg"),
    "Hovedstaden": ("Albertslund", "Allerød", "Ballerup", "Bornholm", "Brøndby", "Dragør", "Egedal", "Fredensborg",
                    "Frederiksberg", "Frederikssund", "Furesø", "Gentofte", "Gladsaxe", "Glostrup", "Gribskov",
                    "Halsnæs", "Helsingør", "Herlev", "Hillerød", "Hvidovre", "Høje-Taastrup", "Hørsholm", "Ishøj",
                    "København", "Lyngby-Taarbæk", "Rudersdal", "Rødovre", "Tårnby", "Vallensbæk"),
}
# How people name them, Danish and English ("Nordjylland", "Region Nordjylland", "North Jutland",
# "nordjyske"); the island of Funen and Greenland as areas of their own. Region Sjælland only by its region names:
# the island of Zealand ("Sjælland") also holds the capital region.
_REGION_NAMES: dict[str, tuple[str, ...]] = {
    "Nordjylland": (r"nordjylland\w*", r"nordjysk\w*", r"north(?:ern)?\s+jutland", r"north\s+denmark\s+region"),
    "Midtjylland": (r"midtjylland\w*", r"midtjysk\w*", r"cent(?:ral|re)\s+jutland", r"central\s+denmark\s+region",
                    r"mid-?jutland"),
    "Syddanmark": (r"syddanmark\w*", r"region\s+of\s+southern\s+denmark", r"southern\s+denmark"),
    "Sjælland": (r"region\s+sjælland\w*", r"region\s+zealand", r"zealand\s+region"),
    "Hovedstaden": (r"(?:region\s+)?hovedstaden\w*", r"hovedstadsområdet\w*", r"capital\s+region(?:\s+of\s+denmark)?",
                    r"greater\s+copenhagen", r"københavnsområdet", r"storkøbenhavn\w*", r"københavns\s+omegn"),
    "Fyn": (r"fyn(?:s|ske)?", r"funen"),
    "Grønland": (r"grønland(?:s)?", r"grønlandsk[e]?", r"greenland(?:'s|ic)?", r"kalaallit\s+nunaat"),
    "Færøerne": (r"færøerne(?:s)?", r"færøsk[e]?", r"(?:the\s+)?faroe(?:s|se)?(?:\s+islands)?", r"føroyar"),
}
AREAS: dict[str, tuple[str, ...]] = {**REGIONS, "Fyn": ("Assens", "Faaborg-Midtfyn", "Kerteminde", "Langeland",
                                                        "Middelfart", "Nordfyns", "Nyborg", "Odense", "Svendborg",
                                                        "Ærø"),
                                     "Grønland": GREENLAND, "Færøerne": FAROE}


# what a region filter accepts, for error messages (plain "Sjælland" is the island, not the region)
REGION_CHOICES = ("Nordjylland, Midtjylland, Syddanmark, Region Sjælland, Hovedstaden, Fyn, Grønland or Færøerne "
                  "(or their English names: North Jutland, Region Zealand, the Capital Region, Funen, Greenland, "
                  "the Faroe Islands …)")


@lru_cache(maxsize=1)
def _region_pattern() -> re.Pattern[str]:
    groups = "|".join(f"(?P<r{i}>{'|'.join(names)})" for i, names in enumerate(_REGION_NAMES.values()))
    return re.compile(rf"(?<![\w-])(?:{groups})(?![\w-])", re.IGNORECASE)


def regions_in(text: str) -> list[str]:
    """The regions (and Funen, "Fyn") named in ``text``, in order of first mention."""
    names = list(_REGION_NAMES)
    seen: list[str] = []
    for match in _region_pattern().finditer(text):
        index = next(int(k[1:]) for k, v in match.groupdict().items() if v)
        if names[index] not in seen:
            seen.append(names[index])
    return seen


def asked_regions(text: str) -> list[str]:
    """The regions (and Funen) a question asks about: those it names, less those naming where the asker is
    ("Jeg bor i Nordjylland. Findes der …?")."""
    text = without_asker_places(text)
    landmarks = [region for name, is_near in _near_spans(text) if is_near
                 for region, members in REGIONS.items() if name in members]
    return list(dict.fromkeys(regions_in(text) + landmarks))


def without_regions(text: str, replacement: str = " ") -> str:
    """``text`` with the regions (and Funen) it names replaced."""
    return _region_pattern().sub(replacement, text)


def municipalities_of_regions(text: str) -> list[str]:
    """The municipalities of every region or area named in ``text``."""
    return [m for area in regions_in(text) for m in AREAS[area]]


# The municipalities' own web and mail domains: the name with æ/ø/å spelled ae/oe/aa (or e/o/a), hyphens
# kept or dropped, optionally with "kommune" after it (aeroekommune.dk), plus the short forms some use.
_DOMAIN_SHORT = {"kk": "København", "ltk": "Lyngby-Taarbæk", "htk": "Høje-Taastrup", "rksk": "Ringkøbing-Skjern",
                 "fmk": "Faaborg-Midtfyn", "brk": "Bornholm", "vhk": "Vesthimmerland", "frederiksberg": "Frederiksberg",
                 "aarhuskommune": "Aarhus", "aab": "Aabenraa"}


def _spellings(name: str) -> set[str]:
    lowered = name.lower()
    variants = {lowered}
    for letter, options in (("æ", ("ae", "e")), ("ø", ("oe", "o")), ("å", ("aa", "a")), ("é", ("e",))):
        variants = {v.replace(letter, option) for v in variants for option in options} if letter in lowered \
            else variants
    return variants | {v.replace("-", "") for v in variants}


@lru_cache(maxsize=1)
def _domains() -> dict[str, str]:
    table = {}
    for name in ALL_MUNICIPALITIES:
        for spelling in _spellings(name):
            table[spelling] = name
            table[spelling + "kommune"] = name
            table[spelling + "-kommune"] = name
    table.update(_DOMAIN_SHORT)
    return table


def host_of(address: str) -> str:
    """The host of an e-mail address or URL, lower case: "bejo@frederikshavn.dk" and
    "https://www.kl.dk/tema/…" -> "frederikshavn.dk", "www.kl.dk"."""
    host = address.rsplit("@", 1)[-1] if "@" in address and "://" not in address else \
        re.sub(r"^[a-z][a-z0-9+.-]*://", "", address.strip().lower()).split("/", 1)[0].split(":", 1)[0]
    return host.lower().strip(".")


def municipality_of_domain(address: str | None) -> str | None:
    """The municipality whose own domain an e-mail address or URL is on (bejo@frederikshavn.dk,
    https://www.aeroekommune.dk/…, amly@sermersooq.gl), else None."""
    labels = host_of(address).split(".") if address else []
    if len(labels) < 2 or labels[-1] not in ("dk", "gl"):
        return None
    return _domains().get(labels[-2])


_ASKS_MUNICIPALITY = re.compile(
    r"\b(?:hvilken|hvilke|which|what)\s+(?:\w+\s+)?(?:kommune\w*|municipalit\w*|council\w*|by|town|city|bibliotek\w*|"
    r"librar\w*)\b", re.IGNORECASE)


_ANY_MUNICIPALITY = re.compile(
    r"\b(?:any|some|another|other)\s+(?:\w+\s+)?(?:councils?|municipalit\w*|towns?|cit(?:y|ies))\b"
    r"|\b(?:nogen|nogle|andre|anden|en)\s+(?:\w+\s+)?kommune(?:r|rne)?\b", re.IGNORECASE)


def asks_any_municipality(text: str) -> bool:
    """Whether ``text`` asks which (or whether any, or another) municipality does something: "Which council …",
    "Any municipality working with a twin town?", "Findes der en kommune, der …?"."""
    return asks_municipality(text) or bool(_ANY_MUNICIPALITY.search(text))


def asks_municipality(text: str) -> bool:
    """Whether ``text`` asks which municipality (town, council, library) does something."""
    return bool(_ASKS_MUNICIPALITY.search(text))


def check_region(region: object) -> str | None:
    """``region`` when it names a region or area (None: no region filter); ValueError otherwise."""
    if region is None:
        return None
    if not isinstance(region, str) or not regions_in(region):
        raise ValueError(f"unknown region {region!r}: {REGION_CHOICES}")
    return region
