"""Which of a case's contacts an answer names first: the one whose job the question asks for.

"Hvem er projektlederen?", "Who is the project leader?", "Hvem er afdelingschef i Job og Ydelse?",
"Who is the head of climate and environment?". Only a question that names a job (a Danish job word:
-leder, -chef, -konsulent …; or an English one: leader, head, mayor …) reorders the contacts; the
contacts whose role holds that job come first, and among them the one whose role or department
shares most of the question's other words (in English through a small lexicon of municipal
department words). Any other question keeps the case's order: "unge" in a question about young
people does not make the head of "Børn og Unge" the contact.
"""

from __future__ import annotations

import re

from .ingest.contacts import _ROLE_NOUN
from .municipalities import asked_municipalities, municipality_of_domain
from .records import Case, Contact
from .sparse import stem_words, words

# English job words as the Danish role words they are part of ("project leader" -> "projektleder")
JOB_WORDS_EN = {"mayor": ("borgmester",), "leader": ("leder",), "manager": ("leder", "chef"),
                "head": ("leder", "chef"), "consultant": ("konsulent",), "adviser": ("konsulent", "rådgiver"),
                "advisor": ("konsulent", "rådgiver"), "coordinator": ("koordinator",), "chief": ("chef",),
                "director": ("direktør",), "ambassador": ("ambassadør",), "chair": ("formand",),
                "chairman": ("formand",), "chairperson": ("formand",), "officer": ("medarbejder", "konsulent"),
                "specialist": ("specialist",), "planner": ("planlægger",), "secretary": ("sekretær",),
                "counsellor": ("rådgiver", "vejleder"), "counselor": ("rådgiver", "vejleder"),
                "caseworker": ("sagsbehandler", "rådgiver"), "guide": ("vejleder",), "teacher": ("lærer",),
                "principal": ("skoleleder",), "engineer": ("ingeniør",), "architect": ("arkitekt",),
                "biologist": ("biolog",), "nurse": ("sygeplejerske",), "boss": ("leder", "chef"),
                "supervisor": ("leder", "chef"), "superior": ("leder", "chef")}
# asking for someone above the project's contact ("is there someone more senior?", "higher up")
_SENIOR = re.compile(r"\b(?:more\s+senior|higher\s+up|someone\s+senior|further\s+up)\b"
                     r"|\b(?:person|one|someone|somebody|personen|den)\s+(?:above|over)(?:\s+(?:them|him|her|hende|ham|dem))?"
                     r"\s*(?:[?.!,;]|$)", re.IGNORECASE)  # "not the energy consultant, the person above"
# Danish manager words stand for each other ("chef for Plan og Udvikling" is the "leder af Plan og Udvikling")
_MANAGER_STEMS = ("led", "chef")
_ABOVE = {"boss", "supervisor", "superior", "head", "chief"}
# English words that qualify a job or name a unit, as the Danish word parts they appear as
QUALIFIERS_EN = {"project": "projekt", "climate": "klima", "environment": "miljø", "environmental": "miljø",
                 "culture": "kultur", "cultural": "kultur", "leisure": "fritid", "children": "børn",
                 "youth": "unge", "young": "unge", "elderly": "ældre", "senior": "ældre", "health": "sundhed",
                 "care": "pleje", "employment": "beskæftigelse", "jobs": "job", "job": "job", "nature": "natur",
                 "planning": "plan", "business": "erhverv", "school": "skole", "schools": "skole",
                 "education": "uddannelse", "social": "social", "technical": "teknik", "energy": "energi",
                 "waste": "affald", "water": "vand", "roads": "vej", "traffic": "trafik", "citizen": "borger",
                 "citizens": "borger", "library": "bibliotek", "libraries": "bibliotek",
                 "sustainability": "bæredygtighed", "development": "udvikling", "housing": "bolig",
                 "family": "familie", "families": "familie", "food": "mad", "procurement": "indkøb",
                 "purchasing": "indkøb", "staff": "stab", "communication": "kommunikation", "department": "afdeling",
                 "division": "afdeling", "municipal": "kommunal", "city": "by"}


# a Danish job word, also definite or plural ("projektlederen", "konsulenterne")
_JOB = re.compile(_ROLE_NOUN.pattern.removesuffix("$") + r"(?:en|ne|erne|e|er|s)?$", re.IGNORECASE)


def _job_stems(tokens: list[str]) -> set[str]:
    return set(stem_words([t for t in tokens if _JOB.search(t)]))


# a contrast or "above"/"over" and the (one or two) words after it, with an article between
_CONTRASTED = re.compile(r"\b(?:not|ikke|rather\s+than|instead\s+of|frem\s+for|i\s+stedet\s+for|above|over)\s+"
                         r"(?:(?:the|a|an|den|det|de|en|et|his|her|their|hans|hendes|my|min)\s+)?[\w-]+(?:\s+[\w-]+)?",
                         re.IGNORECASE)


def _asked_jobs(question: str) -> tuple[set[str], set[str], set[str], dict[str, int], bool] | None:
    """The jobs a question names (Danish job stems, English job words as Danish parts), its stems and the
    unit words it names in English, and whether it asks for a manager above the project ("the boss"); None
    when it names no job."""
    tokens = words(question)
    # a job named as a contrast or as what the one asked for is above ("not the coordinator", "altså ikke
    # projektlederen", "the manager above the youth guides") is not the one asked for
    named = words(_CONTRASTED.sub(" ", question))
    danish_jobs = _job_stems(named)
    english_jobs = {part for w in named for part in JOB_WORDS_EN.get(w, ())}
    # someone above the project: "the boss", "the head of …", "someone more senior" (a project leader is not)
    above = bool(_SENIOR.search(question)) or any(
        w in _ABOVE or w == "manager" and (i == 0 or named[i - 1] != "project") for i, w in enumerate(named))
    if above:  # a manager: a "chef", or a "leder" who is not the project's
        english_jobs = (english_jobs - {"leder"}) | {"chef"}
    if not (danish_jobs or english_jobs or above):
        return None
    # a unit word right before the job asked for first ("the family counsellor") says more than one elsewhere
    # ("for the nature days"); a later job is often a contrast ("the head of …, not the project manager")
    first = next((i for i, w in enumerate(tokens) if w in JOB_WORDS_EN), None)
    direct = {QUALIFIERS_EN[tokens[first - 1]]} if first and tokens[first - 1] in QUALIFIERS_EN else set()
    parts = {QUALIFIERS_EN[w]: 1 + (QUALIFIERS_EN[w] in direct) for w in tokens if w in QUALIFIERS_EN}
    return danish_jobs, english_jobs, set(stem_words(tokens)), parts, above


def _fit(contact: Contact, asked_jobs: tuple[set[str], set[str], set[str], dict[str, int], bool]) -> tuple[int, int]:
    """How well ``contact`` holds the job asked for: (job words matched, unit words matched)."""
    danish_jobs, english_jobs, asked, parts, above = asked_jobs
    role_words = words(contact.role or "")
    unit_words = role_words + words(contact.department or "")
    role_joined, unit_joined = "".join(role_words), "".join(unit_words)
    role_stems = set(stem_words(role_words))
    # an English job as its Danish words ("head of environment" ~ "miljøchef", "project manager" ~ "projektleder")
    english_parts = [part for w in role_words for part in JOB_WORDS_EN.get(w, ())]
    if english_parts:
        units = [QUALIFIERS_EN[w] for w in role_words if w in QUALIFIERS_EN]
        role_stems |= set(stem_words(english_parts + [u + part for u in units for part in english_parts]))
    # a Danish job word names the role or its last part ("lederen" ~ "projektleder")
    job = 2 * sum(any(stem.endswith(asked_job) for stem in role_stems) for asked_job in danish_jobs) \
        + 2 * sum(part in role_joined for part in english_jobs) \
        + 2 * (above and "leder" in role_joined and "projektleder" not in role_joined)
    if not job and any(asked_job.endswith(_MANAGER_STEMS) and not asked_job.endswith("projektled")
                       for asked_job in danish_jobs):  # the other manager word (a project leader is none)
        job = int(any(stem.endswith(_MANAGER_STEMS) and not stem.endswith("projektled") for stem in role_stems))
    if not job:
        return 0, 0
    unit = len((asked - danish_jobs) & set(stem_words(unit_words))) + sum(weight for part, weight in parts.items()
                                                                          if part in unit_joined)
    return job, unit


def contacts_for(case: Case, question: str = "") -> list[Contact]:
    """The case's contacts, those whose job the question names first ("projektlederen", "the project
    leader"), the best match of role and department words leading; otherwise in the case's order."""
    asked_jobs = _asked_jobs(question)
    contacts = list(case.contacts)
    if case.partners:  # a joint case: the contacts of the municipality the question names come first
        asked = [m for m in asked_municipalities(question) if m in case.owners]
        if asked:
            contacts.sort(key=lambda c: municipality_of_domain(c.email or "") != asked[0])
    if asked_jobs is None:
        return contacts
    return sorted(contacts, key=lambda c: tuple(-x for x in _fit(c, asked_jobs)))


def holds_job(case: Case | None, question: str) -> bool:
    """Whether ``question`` names a job ("Who's the climate adviser?", "Hvem er projektlederen?") that one of
    the case's contacts holds."""
    asked_jobs = _asked_jobs(question)
    return case is not None and asked_jobs is not None and any(_fit(c, asked_jobs)[0] for c in case.contacts)


def first_contact(case: Case | None, question: str = "") -> Contact | None:
    """The contact an answer about ``case`` names first for ``question`` (None when it names none)."""
    ordered = contacts_for(case, question) if case is not None else []
    return ordered[0] if ordered else None


def unit_fits(cases, question: str) -> list[int] | None:
    """For each case, how many of the unit words a question names next to a job (the department or field:
    "the head of climate and utilities", "klimakoordinatoren") its best contact holding that job matches;
    None when the question names no job."""
    asked_jobs = _asked_jobs(question)
    if asked_jobs is None:
        return None
    return [max((unit for job, unit in (_fit(c, asked_jobs) for c in case.contacts) if job), default=0)
            for case in cases]
