"""List answers: questions that ask for every case on a topic, and the cases that answer them.

"Hvilke kommuner arbejder med genbrug?", "Which municipalities in North Jutland work with companies?",
"Vis alle cases om mål 4", "Show me every case on SDG 13" ask for a set, not for the one best case.
``is_list_question`` tells them from singular ones ("Hvilken kommune …?", "Which municipality …?").

``list_cases`` picks the cases: a goal or region the question names ("om mål 12", "SDG 13", "i
Nordjylland", "on Funen") is a filter, as are the caller's ``municipality``/``goal``/``region``. A question
with a filter and no topic of its own ("Vis alle cases om mål 12", "Which municipalities in the Capital
Region have cases?") lists every case meeting the filter, by municipality. Otherwise the retriever ranks
every case (its best passage is its score) and the cases that clear the relevance bar are listed, best
first. Theme intros (no municipality) are never listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .goals import goals_asked, without_goals
from .language import detect_language
from .municipalities import AREAS, asked_regions, municipalities_of_regions, without_regions
from .records import Case, Hit
from .retriever import MAX_K, Retriever
from .sparse import STOPWORDS, words

# plural nouns a list question asks for: municipalities, towns, cases, examples, projects
_DA_PLURAL = r"(?:kommuner(?:ne|s)?|byer(?:ne)?|cases(?:ne)?|casene|eksempler(?:ne)?|projekter(?:ne)?)"
_EN_PLURAL = r"(?:municipalities|councils|local\s+authorities|towns|cities|cases|projects|examples)"
_PLURAL = rf"(?:{_DA_PLURAL}|{_EN_PLURAL})"
_LIST_CUES = re.compile("|".join((
    rf"\bhvilke\s+(?:\w+\s+){{0,2}}?{_DA_PLURAL}\b",                       # Hvilke (andre) kommuner …
    rf"\b(?:which|what)\s+(?:\w+\s+){{0,2}}?{_EN_PLURAL}\b",               # Which (other) municipalities …
    r"\bvis\s+(?:mig\s+)?alle\b", r"\bshow\s+(?:me\s+)?(?:all|every)\b",   # Vis alle …, Show me every …
    rf"\balle\s+(?:de\s+)?{_DA_PLURAL}\b",                                 # alle cases / alle kommuner
    rf"\b(?:all|every)\s+(?:the\s+|of\s+the\s+)?(?:{_EN_PLURAL}|case|municipality|council|project|example)\b(?!['’])",
    rf"\bhvor\s+mange\s+{_DA_PLURAL}\b",                                   # Hvor mange kommuner …
    r"\bhow\s+many\s+(?:municipalities|councils|cases|towns|cities)\b",
    rf"\b(?:er|findes)\s+der\s+(?:\w+\s+)?{_DA_PLURAL}\b",               # Findes der (andre) kommuner …
    rf"\b(?:are|were)\s+there\s+(?:any\s+|other\s+|more\s+)?{_EN_PLURAL}\b",
    r"^\W*(?:please\s+|kan\s+du\s+|can\s+you\s+|could\s+you\s+)?(?:list|liste)\b",  # List …
    r"\b(?:list|liste)\s+(?:over|of|all|alle|every)\b", r"\b(?:a|en)\s+(?:liste|list|oversigt|overview)\b",
    r"\boversigt\s+over\b", rf"\b(?:nævne?|name)\s+(?:alle\s+|all\s+|de\s+|the\s+|some\s+|nogle\s+)?{_PLURAL}",
    rf"\bhvad\s+for\s+(?:nogle|nogen)\s+{_DA_PLURAL}\b",                # Hvad for nogle kommuner …
    # a request for them anywhere in a longer message: "Kan du give mig de kommuner …", "Could you list the
    # municipalities …", "Show me the councils …", "et overblik over …", "Hvem af kommunerne …", "if so, which"
    rf"\b(?:giv|give|vis|show|send|get|find)\s+(?:mig|me|os|us)\s+(?:\w+\s+){{0,3}}?{_PLURAL}\b",
    rf"\blist\s+(?:\w+\s+){{0,2}}?{_PLURAL}\b", r"\b(?:overview|overblik)\s+(?:of|over)\b",
    rf"\bhvem\s+af\s+(?:de\s+)?{_DA_PLURAL}\b", rf"\b(?:who|which)\s+(?:of|among)\s+(?:the|these)\s+{_EN_PLURAL}\b",
    r"\b(?:i\s+så\s+fald|if\s+so),?\s+(?:hvilke|which)\b", r"\bwhich\s+ones\b",
    r"\b(?:de|the)\s+(?:kommuner|municipalities|councils),?\s+(?:der|som|hvis|that|whose)\b",  # … kende de kommuner, hvis …
)), re.IGNORECASE)

# words that ask for a list or name a filter, but no topic: without other words, a list question
# lists every case its filters allow
_GENERIC = frozenset("""
hvilke hvilken vis mig alle alt liste list oversigt giv nævn mange findes nogen nogle andre flere også gerne
kommune kommuner kommunerne kommuners kommunen by byer byerne case cases casene eksempel eksempler eksemplerne
projekt projekter projekterne indsats indsatser initiativ initiativer arbejder arbejde arbejdet arbejdes
beskæftiger gør gøre laver lave handler har findes ligger
verdensmål verdensmålene verdensmålet mål målene målet fn fns sdg sdgs goal goals global un
region regionen regioner regions danmark danske dansk denmark danish bæredygtighed bæredygtig bæredygtige
which what show me all every list of name give please municipalities municipality councils council towns town
cities city cases case projects project examples example local authorities work works working worked doing
have has got related sustainable development sustainability any some other more
tiltag initiativ initiativer indsatsen indsatserne eksempel bidrager bidrage bidrag knytter knyttet knyttes hører
høre hørende relaterer relateret relaterede vedrører omhandler dækker understøtter støtter sigter peger forbundet
samling samlingen kataloget katalog inspirationskataloget siderne siden side her samlet samlede jeres vores
oversigten liste listen med selv deres sine sit deltager deltage involveret indgår part catalogue collection
pages page site here included listed featured linked link links tied tie ties connected connect supporting
support supports contribute contributes contributing address addresses addressing report reports reporting
involve involves involved involving associated relate relates relating concerning regarding fall falls under
overview initiatives initiative efforts effort schemes scheme undertakings activities activity
find finde giv fortæl fald tell find give represented representing presented present shown mentioned described
appear appears nævnt nævnes nævner beskrevet beskrives omtalt omtales repræsenteret repræsenterede
""".split())
# English function words missing from the BM25 stopword list: no topic of their own
_FUNCTION_WORDS_EN = frozenset("""
across also although among amongst another anyone anything anywhere around either else ever every everyone
everything everywhere however least less many may might much must neither never none nothing often one ones
others perhaps rather several since someone something sometimes somewhere still though thus toward towards
upon via whether whose whom whoever whatever whichever wherever within without would could should shall can
yet lot lots kind kinds sort sorts like i'd i'm i've we'd we're you'd there's here's
""".split())
# compounds of a catalogue word ("case-samlingen", "bæredygtighedscases", "verdensmålsprojekter")
_GENERIC_PART = re.compile(r"(?:cases?|casene|samling\w*|projekt\w*|indsats\w*|initiativ\w*|eksempl\w*)$|"
                           r"^(?:verdensmål|bæredygtighed)s?", re.IGNORECASE)


def is_list_question(text: str) -> bool:
    """Whether ``text`` asks for every case on something ("Hvilke kommuner …?", "Which municipalities …?",
    "Vis alle cases om mål 4", "List …"), not for one ("Hvilken kommune …?", "Which municipality …?")."""
    return bool(_LIST_CUES.search(text))


# where a long message's sentences part: ". ", "? ", ": ", "; " and a spaced dash
_SENTENCE_BREAK = re.compile(r"(?<=[.!?:;])\s+|\s+[–—-]\s+")


def request_text(text: str) -> str:
    """The sentences of a list question that ask for the list: "Jeg er frivillig i en naturforening og vil
    vise gode eksempler. Giv mig de kommuner, der arbejder med livet på land." -> the second sentence. The
    sentences about the asker are left out, so that their words are not taken for the topic. A message whose
    every sentence asks (or none does) is returned as it is."""
    parts = [p for p in _SENTENCE_BREAK.split(text.strip()) if p.strip()]
    asking = [p for p in parts if _LIST_CUES.search(p)]
    return " ".join(asking) if asking and len(asking) < len(parts) else text


def topic_words(text: str) -> list[str]:
    """The words of a list question that name a topic: not its list cues, goals, regions, stopwords (the
    BM25 lists) or English function words the BM25 list lacks ("whose", "either", "among")."""
    out = []
    for word in words(without_filters(text)):
        word = re.split(r"['’]", word)[0]  # "that's" -> "that"
        if word in _GENERIC or word in STOPWORDS or word in _FUNCTION_WORDS_EN or _GENERIC_PART.search(word) \
                or word.isdigit() or len(word) <= 2:
            continue
        out.append(word)
    return out


_MARK = "\u2063"
_FILTER_PHRASE = re.compile(
    rf"(?:\b(?:om|on|about|under|for|med|with|til|to|i|in|på|fra|from|within|inden\s+for)\s+(?:the\s+)?)?"
    rf"(?:\bregion(?:en)?\s+)?{_MARK}(?:\s+region\b)?", re.IGNORECASE)


def without_filters(text: str) -> str:
    """``text`` without the goals and regions it names, and the words that lead to them ("Hvilke kommuner i
    Nordjylland arbejder med mad?" -> "Hvilke kommuner arbejder med mad?")."""
    marked = without_regions(without_goals(text, _MARK), _MARK)
    return re.sub(r"\s+", " ", _FILTER_PHRASE.sub(" ", marked)).strip()


def search_text(text: str) -> str:
    """What a list question is searched as: the question without its filters ("Hvilke kommuner i
    Nordjylland arbejder med mad?" -> "Hvilke kommuner arbejder med mad?"), so that the cases are ranked by
    the topic alone (a region or goal named would boost its cases)."""
    return without_filters(text) or text


@dataclass(frozen=True)
class ListBar:
    """When a case is listed for a topical list question: its score (its best passage's fused score) is at
    least ``relative`` times the best case's in the whole corpus, whatever the filters, so a filter that holds
    no case on the topic lists nothing. 0.7 was chosen on the 38 tuning list questions (eval-tuning/ and
    tests/fixtures/pages/list-questions.jsonl; README, "List answers"): set precision / recall 0.87 / 0.89
    there; 0.65 gives 0.82 / 0.93, 0.75 gives 0.89 / 0.82."""

    relative: float = 0.7


@dataclass(frozen=True)
class Listing:
    """The cases a list question names, best first (by municipality for a filter-only question), and the
    best hit of each that the search returned."""

    cases: list[Case] = field(default_factory=list)
    hits: list[Hit] = field(default_factory=list)
    filter_only: bool = False          # no topic: every case the filters allow
    goals: tuple[int, ...] = ()        # the goals and regions the question named (filters)
    regions: tuple[str, ...] = ()


def ranked_cases(retriever: Retriever, text: str) -> list[Hit]:
    """Each municipal case's best hit for ``text``, best case first (the whole corpus, no filter)."""
    best: dict[str, Hit] = {}
    for hit in retriever.search(text, k=MAX_K):
        if hit.case.municipality:
            best.setdefault(hit.case.id, hit)
    return list(best.values())


def above_bar(ranked: list[Hit], bar: ListBar) -> list[Hit]:
    """The hits (one a case, best first) whose score clears ``bar`` against the first's."""
    return [h for h in ranked if h.score >= bar.relative * ranked[0].score] if ranked else []


def list_cases(retriever: Retriever, question: str, text: str | None = None, municipality: str | None = None,
               goal: int | None = None, region: str | None = None, bar: ListBar | None = None,
               language: str | None = None) -> Listing:
    """Every case that answers the list question ``question``; its topic is searched as ``text`` (by default
    the question itself, without its filters).

    The goals and regions the question names filter the cases (a case on any of the goals, in any of the
    regions), and so do ``municipality``, ``goal`` and ``region`` (validated as ``Retriever.search`` does).
    Like an ordinary answer, a Danish question whose topic shares no term with the corpus lists nothing.
    """
    only, goal, region = retriever.check_filters(municipality, goal, region)  # ValueError as a search
    goals, regions = tuple(goals_asked(question)), tuple(asked_regions(question))
    allowed = _Filter(only, goal, frozenset(municipalities_of_regions(region)) if region is not None else None,
                      goals, frozenset(m for area in regions for m in AREAS[area]) if regions else None)
    request = text or request_text(question)
    topic = topic_words(request)
    if not topic and not (goals or regions or only or goal is not None or region is not None):
        request, topic = text or question, topic_words(question)  # the topic was in the sentence before
    if not topic:  # "Vis alle cases om mål 12": every case the filters allow
        cases = sorted((c for c in retriever.data.cases if c.municipality and allowed(c)),
                       key=lambda c: (c.municipality.casefold(), c.title.casefold()))
        hit_of = {h.case.id: h for h in ranked_cases(retriever, search_text(request))} if cases else {}
        return Listing(cases, [hit_of[c.id] for c in cases if c.id in hit_of], True, goals, regions)
    if (language or detect_language(question)) == "da" and not retriever.data.sparse.query_terms(" ".join(topic)):
        return Listing([], [], False, goals, regions)
    chosen = [h for h in above_bar(ranked_cases(retriever, search_text(request)), bar or ListBar())
              if allowed(h.case)]
    return Listing([h.case for h in chosen], chosen, False, goals, regions)


@dataclass(frozen=True)
class _Filter:
    """Whether a case meets the caller's filters (all must hold) and the question's (a named goal: any)."""

    municipality: str | None
    goal: int | None
    members: frozenset[str] | None     # the municipalities of the caller's region
    goals: tuple[int, ...]             # named in the question
    areas: frozenset[str] | None       # the municipalities of the regions named in the question

    def __call__(self, case: Case) -> bool:
        owners = case.owners  # a joint case is each partner's too
        return ((self.municipality is None or self.municipality in owners)
                and (self.goal is None or int(self.goal) in case.goals)
                and (self.members is None or any(m in self.members for m in owners))
                and (not self.goals or bool(set(self.goals) & set(case.goals)))
                and (self.areas is None or any(m in self.areas for m in owners)))
