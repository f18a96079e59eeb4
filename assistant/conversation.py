"""Assistant: a chat turn + the user's earlier messages -> an extractive answer with sources.

No language model is involved. Each message is read in order and the *case in focus* is
tracked across the conversation:

- a message naming a municipality that has a case moves the focus there ("Og Gladsaxe?");
- a follow-up keeps the focus: a message with few words of its own beyond pronouns, question words
  and contact words ("Hvem kan jeg kontakte om det?", "Who do I contact there?"), or one whose
  pronoun points back at the case ("Hvordan har de tiltrukket virksomheder?", "Do they also work
  with universities?") unless it asks for a municipality ("Hvilken kommune ...?");
- any other message is a new topic: the focus moves to the best-ranked case for it.

The answer is built from the case in focus: a lead naming the municipality and case with the
best-matching sentence(s) of the passage, the case's contact (or "no contact" when the case names
none), and the ranked sources. When the best passage is not close enough to the question
(calibrated on the tuning half of corpus/questions.jsonl), or the question is about a municipality
that has no case, ``found`` is False and the hits are listed only as "maybe related".
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from urllib.parse import quote

import numpy as np

from .asker import request_part
from .chunking import split_sentences
from .goals import goals_in
from .ingest.contacts import display_phone
from .language import MAX_QUERY_CHARS, EmptyQueryError, clean_query, detect_language
from .listing import Listing, is_list_question, list_cases, request_text
from .listing import topic_words as list_topic_words
from .markup import linkable_email
from .municipalities import (
    AREAS,
    asked_municipalities,
    asked_regions,
    asks_any_municipality,
    asks_municipality,
    municipalities_of_regions,
    regions_in,
    without_municipalities,
)
from .records import Case, Hit, Reply
from .retriever import Retriever
from .roles import contacts_for, first_contact, holds_job
from .scope import is_errand, is_small_talk, names_errand
from .sparse import words

_CONTACT = re.compile(
    r"\b(kontakt\w*|e-?mail\w*|mail\w*|ringe|telefon\w*|tlf|ansvarlig\w*|hvem\s+(kan|skal|må)\s+jeg|"
    r"hvem\s+står|contact\w*|reach|phone|call|who\s+(can|should|do|could)\s+i|who\s+is\s+responsible|"
    r"person\s+to)\b", re.IGNORECASE)
# the municipality just answered, named again without its name
_SAME_PLACE = re.compile(r"\b(?:(?:i|fra|hos)\s+)?samme\s+kommune\b|\bthe\s+same\s+(?:municipality|council|town|city)\b|"
                         r"\b(?:that|this)\s+(?:municipality|council)\b|\bden\s+(?:samme\s+)?kommune\b", re.IGNORECASE)

# asking for something like the case before ("What about Holstebro, anything similar there?"): a case that
# is only like it is an answer
_SIMILAR = re.compile(r"\b(?:similar|(?:something|anything)\s+like\s+(?:that|it|this)|the\s+same|lignende|"
                      r"tilsvarende|noget\s+i\s+samme\s+stil|(?:det|noget)\s+samme)\b", re.IGNORECASE)

# words that carry no topic of their own in a follow-up
_FOLLOW_WORDS = set("""
det den dem der her de deres dens dets sådan også så og men nu lige mere om hvad hvem hvor hvordan
hvilken hvilke hvornår hvorfor kan jeg jer vi man skal må gerne vil tak fortæl mig mere uddyb
kontakte kontakt kontaktperson kontaktpersonen e-mail email mailen e-mailen mail mailadresse adresse
ringe telefon telefonnummer nummer navn navnet står bag ansvarlig ansvarlige
it there that this they them those their its what who where how which can could should do does
i me we you is are was the a an and but so also more about tell please thanks contact person
email e-mail mail address phone number name responsible behind reach call
would write talk speak ask send message touch get involved join want help out
skrive tale snakke henvende spørge sende høre være med hjælpe
thank thanks that's really useful helpful great perfect nice okay super godt fint perfekt nyttigt spændende
whats what's who's whos person's persons job title role position stilling titel jobtitel rolle stillingsbetegnelse
kontaktpersonens kontaktpersoner personen personens
actually someone somebody need rather instead prefer sorry undskyld
mange meget many much cool betaler betalte betale pays paid pay koster kostede cost costs
""".split())
_NO_TOPIC = {
    "da": "Spørgsmålet mangler et emne: hvilken case eller kommune mener du? Spørg fx «Hvem kan jeg kontakte om "
          "genbrug i skolerne?», eller nævn kommunen.",
    "en": "The question needs a topic: which case or municipality do you mean? Ask e.g. \"Who can I contact about "
          "recycling in schools?\", or name the municipality.",
}
_FILTERED = {
    "da": "Svaret er begrænset til {only}, men spørgsmålet handler om {named}.",
    "en": "Answers are limited to {only}, but the question is about {named}.",
}
MAX_HISTORY = 1000  # earlier messages accepted in one call (the last HISTORY_TURNS are read)
HISTORY_TURNS = 8
_NOT_FOUND = {
    "da": "Jeg fandt ikke noget i casene, der besvarer spørgsmålet.",
    "en": "I found nothing in the cases that answers this question.",
}
_TEXTS = {
    "da": {"contact": "Kontakt", "no_contact": "Casen nævner ingen kontaktperson.", "sources": "Kilder",
           "maybe": "Måske relateret", "theme": "Temaet", "municipality": "Kommune", "score": "score",
           "contact_lead": "Kontaktperson for casen", "listed": "{n} cases svarer på spørgsmålet",
           "listed_one": "1 case svarer på spørgsmålet", "all": "Alle cases{what} ({n})", "goal": " om verdensmål",
           "region": " i", "and": "og"},
    "en": {"contact": "Contact", "no_contact": "The case names no contact person.", "sources": "Sources",
           "maybe": "Maybe related", "theme": "The theme", "municipality": "Municipality", "score": "score",
           "contact_lead": "Contact person for the case", "listed": "{n} cases answer the question",
           "listed_one": "1 case answers the question", "all": "All cases{what} ({n})", "goal": " on goal",
           "region": " in", "and": "and"},
}


_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+|~$!:@<>])")
_MD_LINE_START = re.compile(r"^(\s*)(?:([-=])|(\d+)([.)]))", re.MULTILINE)


def _e(text: str | None) -> str:
    """Corpus text as Markdown that shows literally: HTML escaped, every Markdown character
    backslash-escaped (no links, images, emphasis, autolinked URLs or e-mails), no list starts."""
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(text or "", quote=False))
    escaped = re.sub(r"(?i)\b(www)\.", r"\1\\.", escaped)
    escaped = _MD_LINE_START.sub(lambda m: m.group(1) + ("\\" + m.group(2) if m.group(2)
                                                         else m.group(3) + "\\" + m.group(4)), escaped)
    return escaped.replace("\n", " ")


@dataclass
class Turn:
    query: str
    language: str
    contact: bool
    focus: Case | None
    topic: str  # the text retrieval uses for this turn (the topic message + follow-up)
    reason: str | None = None  # why nothing is answered: "no_topic", "filtered" (else not found)
    seen: tuple[str, ...] = ()  # the cases in focus so far in the conversation (ids), for "back to the … one"


def is_contact_question(text: str) -> bool:
    return bool(_CONTACT.search(text))


# A pronoun pointing back at what was talked about. Danish: a subject pronoun right after the verb of
# a question ("Hvordan har de ...", "Arbejder de ...": "det" is left out, it is mostly "it is"), or an
# object pronoun closing it ("... med dem?", "... about it?"): these always count.
_QUESTION_WORD = r"(?:hvordan|hvad|hvor(?:dan|når|for)?|hvornår|hvorfor|hvem|how|what|when|where|why|who)"
_ANAPHOR = re.compile(
    rf"^\W*(?:{_QUESTION_WORD}(?:\s+(?:mange|meget|tit|ofte|længe|langt|much|many|long|often))?\s+)?\w+\s+(?:de|den|han|hun)\b"
    r"(?!\s+(?:fleste|mange|andre|samme|nye|store|små|største|bedste|første|sidste|to|tre|fire|fem)\b)"
    r"|^\W*hvilke[nt]?\s+\w+\s+\w+\s+(?:de|han|hun)\b(?!\s+(?:fleste|mange|andre|samme)\b)"  # "Hvilken nabokommune samarbejder de med?"
    r"|\b(?:om|med|til|for|af|på|ved|bag|fra|about|with|for|of|from|behind)\s+(?:det|den|dem|it|them)\W*$"
    r"|\b(?:is|are|was|were)\s+there\W*$"  # "How many volunteers are there?"
    r"|\b(?:do|does|did|are|were|have|has|had|can|could|will|would)\s+they\b"  # "How many suppliers do they use?"
    r"|\b(?:done|doing|joined|tried|used|started)\s+it\b",  # "How many yards have done it so far?"
    re.IGNORECASE)
# Pronouns that may point back or inside the question itself: they/them/he/she, possessives (deres, its,
# her …), "there" (not "is there"), "it" after an auxiliary. In a question with a topic of its own they
# mostly point inside it ("Where do job ambassadors help kids land their first job?", "How did the council
# back the villagers when they built …"), so they count only in a short message (at most
# PRONOUN_TOPIC_WORDS words of its own) or near its start ("Do they also work with universities?", "What
# is their budget?", "How many people sit on its board?").
_PRONOUN = re.compile(
    r"\b(?:they|them|he|she|him|deres|dens|dets|hans|hendes|their|theirs|its|his|her)\b"
    r"|(?<!\bis )(?<!\bare )(?<!\bwas )(?<!\bwere )\bthere\b(?!\s+(?:is|are|was|were)\b)"
    r"|\b(?:does|did|is|was|has|had|can|could|will|would)\s+it\b",
    re.IGNORECASE)
PRONOUN_TOPIC_WORDS = 3
PRONOUN_LEAD = 4  # words before the pronoun


# a message that says it leaves the case talked about ("Totally unrelated: …", "Noget helt andet: …")
_NEW_TOPIC = re.compile(
    r"\b(?:(?:totally|completely|entirely)\s+)?unrelated\b|\b(?:a\s+)?(?:different|another|new|separate)\s+"
    r"(?:question|topic|subject)\b|\bsomething\s+(?:(?:totally|completely|entirely|quite)\s+)?(?:else|different)\b|\bchang\w*\s+(?:the\s+)?(?:subject|topic)\b"
    r"|\bnoget\s+(?:helt\s+)?andet\b|\b(?:et\s+)?(?:andet|nyt)\s+(?:spørgsmål|emne)\b|\bskift\w*\s+emne\b",
    re.IGNORECASE)


_RELATION = re.compile(r"\b(?:neighbou?r\w*|partner\w*|nabo\w*|samarbejdspartner\w*)\b", re.IGNORECASE)


# a request for the municipality's other cases ("Har de andre cases?", "Har Fredericia andet?", "Anything else
# from them?", "Do they have other projects?")
_OTHER_CASES = re.compile(
    r"\b(?:andre|flere|anden|andet|nogle\s+andre)\s+(?:cases?|projekt\w*|eksempl\w*|initiativ\w*|tiltag)\b"
    r"|\bandet\W*$|\bnoget\s+andet\b(?!\s*:)"
    r"|\b(?:other|more|another|further)\s+(?:cases?|projects?|examples?|initiatives?|schemes?)\b"
    r"|\banything\s+else\b|\bsomething\s+else\s+(?:from|by|in)\b", re.IGNORECASE)


# one case picked out among those talked about by what it is about ("Den med børnetøjet – hvem kan jeg
# kontakte?", "Jeg tænker på den med sommerhusejerne", "the one with the rain beds")
_SELECTION = re.compile(
    r"^\W*(?:(?:og|and|ok|okay|nej|no|ja|yes|jeg\s+tænker\s+på|jeg\s+mener|i\s+mean|i'm\s+thinking\s+of)\W+)*"
    r"(?:(?:den|det|the\s+one|that\s+one)\s+(?:med|om|hvor|with|about|where)\s+\w|the\s+[\w-]+(?:\s+[\w-]+)?\s+one\b)"
    r"|\b(?:(?:going|go|get|getting)\s+)?back\s+to\s+the\b|\btilbage\s+til\b", re.IGNORECASE)


# a correction of what the answer before took the question to mean ("I mean drinking water", "Nej, jeg mener
# den i Jylland", "No, I meant the one with the schools")
_CORRECTION = re.compile(r"^\W*(?:(?:no|nope|nej|ah|oh|sorry|undskyld|hmm)\W+)*(?:i\s+mean[t]?|what\s+i\s+mean[t]?\s+is|"
                         r"jeg\s+mener|jeg\s+mente|jeg\s+tænker\s+på|jeg\s+tænkte\s+på|i\s+was\s+thinking\s+of)\b",
                         re.IGNORECASE)


# a remark on the language of the chat ("sorry, switching to English:", "på dansk:"): no part of the request
_LANGUAGE_REMARK = re.compile(r"^\W*(?:(?:sorry|undskyld|ok|okay)\W+)?(?:switching\s+to|in|now\s+in|på|nu\s+på|skifter\s+til)"
                              r"\s+(?:english|danish|engelsk|dansk)\s*[:,.–-]\s*", re.IGNORECASE)


def without_language_remark(text: str) -> str:
    """``text`` without a leading remark on the chat's language ("sorry, switching to English: …")."""
    rest = _LANGUAGE_REMARK.sub("", text, count=1)
    return rest if re.search(r"\w", rest) else text


def corrects(text: str) -> bool:
    """Whether ``text`` corrects what the answer before took the question to mean ("I mean …")."""
    return bool(_CORRECTION.search(text))


_OWN_WORK = re.compile(r"\b(?:of\s+(?:its|their)\s+own|its\s+own|their\s+own|selv|egen|eget|egne)\b", re.IGNORECASE)
_BACK_TO = re.compile(r"\bback\s+to\b|\btilbage\s+til\b", re.IGNORECASE)
# another municipality than the one talked about ("Hvilken anden kommune …?", "Does any other council …?")
_OTHER_MUNICIPALITY = re.compile(r"\b(?:anden|andre|another|other)\s+(?:\w+\s+)?(?:kommuner?|councils?|municipalit\w*|"
                                 r"towns?|byer?)\b", re.IGNORECASE)


def picks_one(text: str) -> bool:
    """Whether ``text`` picks out a case by what it is about ("Den med børnetøjet")."""
    return bool(_SELECTION.search(text))


def asks_for_other_cases(text: str) -> bool:
    """Whether ``text`` asks for the other cases of the municipality talked about (or of the one it names)."""
    return bool(_OTHER_CASES.search(text))


def changes_topic(text: str) -> bool:
    """Whether ``text`` says it is about something else than the conversation so far."""
    return bool(_NEW_TOPIC.search(text))


def _last_question(text: str) -> str:
    """The last sentence of ``text`` that ends in a question mark (``text`` when none does)."""
    questions = [q for q in re.split(r"(?<=[.!?])\s+", text) if q.rstrip().endswith("?")]
    return questions[-1] if questions else text


def topic_words(text: str) -> list[str]:
    """The words of a message that name a topic: not pronouns, question, contact or function words."""
    return [w for w in words(text) if w not in _FOLLOW_WORDS and len(w) > 2]


def _has_own_topic(text: str) -> bool:
    """Whether ``text`` (municipality names already taken out) names a topic beyond what a follow-up or a list
    question says anyway: a word that is a topic word to both ("cykler" in "Har kommunen noget om cykler?"; not
    "laver" in "Hvad laver kommunen?")."""
    return bool(_own_topic_words(text))


def _own_topic_words(text: str) -> set[str]:
    """The words of ``text`` that are topic words to both word lists (this module's and listing's)."""
    return set(topic_words(text)) & set(list_topic_words(text))


def content_words(text: str) -> set[str]:
    """The words of a question that say what it asks about, for the check of which of them a case covers
    (coverage.py): the topic words to both word lists (as `_has_own_topic`), municipality names left out. A
    question with none ("Hvordan arbejder kommunen med verdensmålene?") asks about nothing in particular,
    which any case may answer, and one naming a goal ("… linked to SDG 9 on industry?") is answered by the
    cases' goals, not by its words (the goal's name is general): neither is checked."""
    if goals_in(text):
        return set()
    return _own_topic_words(without_municipalities(text))


def is_follow_up(text: str) -> bool:
    """Whether a message continues the case in focus rather than starting a topic of its own."""
    content = topic_words(text)
    if len(content) <= 1 and len(text) < 120:
        return True
    # "Which neighbouring council are they working with?": a municipality asked for in relation to the case
    return refers_back(text) and (not asks_municipality(text) or bool(_RELATION.search(text)))


def refers_back(text: str) -> bool:
    """A pronoun in ``text`` points back at something said before ("Hvordan har de ...?")."""
    if _ANAPHOR.search(text):
        return True
    pronoun = _PRONOUN.search(text)
    return pronoun is not None and (len(topic_words(text)) <= PRONOUN_TOPIC_WORDS
                                    or len(text[:pronoun.start()].split()) < PRONOUN_LEAD)


class Assistant:
    """Conversation over a Retriever. Stateless: the history is passed in with every call."""

    # Calibrated on the tuning half of corpus/questions.jsonl plus corpus/questions-calibration.jsonl
    # (README, "Not found"): the top passage's cosine must reach this, per question language; a
    # Danish question must also share at least one term with the corpus. English questions over
    # Danish text share few, and their cosines are lower, hence the lower bar.
    MIN_DENSE = {"da": 0.827, "en": 0.78}
    # A question that clears the cosine bar must also be about what its top case says: the case's contrast
    # (coverage.py: how much better it covers the question's content words than the corpus's cases do on
    # average) must reach this. Calibrated on the tuning pool (README, "Not found"); None: not checked.
    MIN_CONTRAST: float | None = 0.0045
    # a follow-up with no pronoun keeps the case in focus when that case's best passage scores within this
    # of the best passage for the message alone (README, "Conversation"; chosen on the tuning dialogues)
    FOCUS_MARGIN = 0.15
    FOCUS_DEPTH = 20  # passages of the focus's municipality searched for its best one
    JOB_TOPIC_WORDS = 4  # ... or when it asks, in at most this many words of its own, for a job the focus's contacts hold

    def __init__(self, retriever: Retriever, k: int = 5, min_dense: dict[str, float] | None = None) -> None:
        self.retriever = retriever
        self.k = _check_k(k)
        self.min_dense = dict(self.MIN_DENSE if min_dense is None else min_dense)
        self._only: str | None = None  # a per-call municipality filter (set on a copy in ask)
        self._goal: int | None = None  # per-call goal and region filters (likewise)
        self._region: str | None = None

    # ---- focus tracking ------------------------------------------------------------------
    def _corpus_goals(self) -> set[int]:
        return {goal for case in self.retriever.data.cases for goal in case.goals}

    def _corpus_municipalities(self, text: str) -> tuple[list[str], list[str]]:
        """The municipalities ``text`` names that have a case, and the places it names that have none:
        municipalities, and regions or areas ("Which Greenlandic municipality …?", "på Færøerne")
        where no case of the corpus is from."""
        named = asked_municipalities(text)
        if len(named) > 1:  # "Herlev, ok. Does Vallensbæk have something on food waste too?": the question's first
            asked = asked_municipalities(_last_question(text))
            named = [m for m in named if m in asked] + [m for m in named if m not in asked]
        known = set(self.retriever.municipalities)
        in_corpus = [m for m in named if m in known]
        empty_areas = [] if in_corpus else [area for area in asked_regions(text) if not known & set(AREAS[area])]
        return in_corpus, [m for m in named if m not in known] + empty_areas

    def _search(self, text: str, k: int | None = None, municipality: str | None = None) -> list[Hit]:
        """Hits for ``text``; under a per-call filter never from another municipality (asking for
        another one gives no hits)."""
        if self._only and municipality and municipality != self._only:
            return []
        return self.retriever.search(text, k=k or self.k, municipality=municipality or self._only,
                                     goal=self._goal, region=self._region)

    def _allows(self, case: Case | None) -> bool:
        """Whether ``case`` meets this call's filters (municipality, goal, region)."""
        return case is not None and (not self._only or self._only in case.owners) \
            and (self._goal is None or self._goal in case.goals) \
            and (self._region is None or any(m in municipalities_of_regions(self._region) for m in case.owners))

    def _turn(self, message: str, previous: Turn | None) -> tuple[Turn, list[Hit], bool]:
        # a message with no language of its own ("Og Gladsaxe?") keeps the conversation's
        language = detect_language(message, default=previous.language if previous else "da")
        contact = is_contact_question(message)
        in_corpus, elsewhere = self._corpus_municipalities(message)
        if not in_corpus and not elsewhere and previous is not None and previous.focus is not None \
                and previous.focus.municipality and _SAME_PLACE.search(message):
            in_corpus = [previous.focus.municipality]  # "… i samme kommune", "does the same council have …"
        if previous is not None and self._only and previous.focus is not None \
                and previous.focus.municipality != self._only:
            previous = None  # a case outside the filter is not carried into this turn
        leaves = changes_topic(message)
        # what the message asks, without what it says about the asker ("I'm with an anglers' club, so who
        # would I write to?" is a follow-up)
        request = request_part(without_language_remark(message))
        picked = previous is not None and picks_one(request)  # searched with the topic before, the focus not kept
        follow = previous is not None and previous.focus is not None and is_follow_up(request) and not leaves \
            and not picked and not (previous.focus.municipality and corrects(request))
        if not follow and previous is not None and previous.focus is not None and previous.focus.municipality \
                and not in_corpus and not elsewhere and not leaves:
            # no pronoun, but still about the case in focus: "How many have found one so far?", "Who's the
            # climate adviser?" (a job its contacts hold)
            follow = not asks_any_municipality(message) and self._stays_on(previous.focus, message)
        # a broad question answered by a theme's intro, then narrowed down ("I mean …"): both are searched
        narrows = not follow and previous is not None and previous.focus is not None \
            and not previous.focus.municipality and not in_corpus and not elsewhere and not leaves
        corrected = previous is not None and previous.focus is not None and previous.focus.municipality \
            and corrects(request) and not picked
        if (picked or corrected) and not in_corpus and not elsewhere and not leaves:
            # a case picked out, or a correction ("I mean drinking water"): searched with the topic before;
            # a correction is not about the case it corrects
            query = _join(previous.topic, request)
            hits = self._search(query)
            if _BACK_TO.search(request):  # "going back to the furniture one": a case talked about before
                earlier = [h for h in self._search(request, k=self.FOCUS_DEPTH) if h.case.id in previous.seen]
                if earlier:
                    query = request
                    hits = _rerank(earlier[:1] + [h for h in hits if h.passage.id != earlier[0].passage.id], self.k)
            if corrected:
                hits = _rerank([h for h in hits if h.case.id != previous.focus.id], self.k)
            focus = hits[0].case if hits else None
            return Turn(message, language, contact, focus, query), hits, focus is not None

        if previous is not None and previous.focus is not None and asks_for_other_cases(request) \
                and (in_corpus or previous.focus.municipality) and not asks_any_municipality(request) and not leaves:
            # "Har de andre cases?": the same municipality's (or the one named's) other cases, nearest the
            # message's own topic if it has one, else the conversation's
            municipality = in_corpus[0] if in_corpus else previous.focus.municipality
            if not (self._only and municipality != self._only):
                own_topic = len(topic_words(request)) > 2 + bool(in_corpus)
                hits = [h for h in self._search(message if own_topic else _join(previous.topic, message),
                                                k=self.FOCUS_DEPTH, municipality=municipality)
                        if h.case.id != previous.focus.id]
                hits = _rerank(hits, self.k)
                focus = hits[0].case if hits else None
                return Turn(message, language, contact, focus, focus.title if focus else message), hits, \
                    focus is not None
        if in_corpus and self._only and self._only not in in_corpus:
            # the question is about another municipality than the filter allows: say so, answer nothing
            return Turn(message, language, contact, None, message, reason="filtered"), [], False
        if in_corpus:
            municipality = self._only or in_corpus[0]
            # "Og i Vordingborg?" after a topic no case answered: that topic, asked of the municipality
            own_topic = _has_own_topic(without_municipalities(request))
            again = previous is not None and previous.focus is None and previous.reason is None \
                and is_follow_up(request) and not leaves and not own_topic
            topic = _join(previous.topic, message) if follow or again else message
            # a message with a topic of its own ("does Silkeborg have anything on nature as well?") is searched
            # as it is, within the municipality
            hits = self._search(message if own_topic else topic, municipality=municipality)
            if not hits and previous is not None:
                hits = self._search(previous.topic, municipality=municipality)
            focus = hits[0].case if hits else None
            if not follow and is_errand(message):  # "Hvor kan jeg aflevere storskrald i Faxe?": no case says
                return Turn(message, language, contact, None, topic), hits, False
            # judged on the message's own topic ("Og Gentofte – har de noget om klimatilpasning?"), or on the topic
            # no case answered before it ("Og i Vordingborg?"), or on the conversation's topic when the message moves
            # it to another municipality ("Og i Lemvig?" after a case elsewhere: the same bar as a question naming
            # Lemvig with that topic); asking for a contact there ("Og Gladsaxe — hvem er kontaktperson der?"), the
            # municipality's case nearest the conversation answers
            moved = follow and not own_topic and not contact and not previous.contact \
                and previous.focus.municipality not in (None, municipality)  # (a follow-up has a previous focus)
            # (after "Who do I contact there?", "And in Frederikshavn?" asks for the contact there: not judged)
            own = message if own_topic else previous.topic if again or moved else None
            # (a topic from before is held to the bar of its own language: "Og i Morsø?" after an English question)
            judged = language if own is None or own is message else detect_language(own, default=language)
            if focus is not None and own is not None and not _SIMILAR.search(request) \
                    and not self._named_topic_fits(own, judged, municipality, focus, carried=own is not message):
                # "Har Hørsholm også et projekt om cykler?": the municipality has cases, none on the topic
                return Turn(message, language, contact, None, topic), hits, False
            return Turn(message, language, contact, focus, topic), hits, focus is not None
        if elsewhere and follow and _OWN_WORK.search(request):
            # "does Sorø have a climate project of its own?": a municipality with no case asked about itself
            return Turn(message, language, contact, None, message), self._search(message), False
        if elsewhere and follow and len(topic_words(message)) <= 1:
            # "Og Odense?" after another case: a municipality with no case is not answered by the focus
            hits = self._search(message)
            return Turn(message, language, contact, None, message), hits, False
        if follow:
            topic = _join(previous.topic, message)
            focus = previous.focus
            if names_errand(message) or is_small_talk(message):  # "and what about a parking permit?", "btw
                # what's the weather like tomorrow?": no case's business
                return Turn(message, language, contact, None, topic), self._search(topic), False
            hits = self._search(topic)
            # the case in focus leads; its best passage for the combined question first
            own = [h for h in hits if h.case.id == focus.id]
            if not own and focus.municipality:
                own = self._search(topic, k=1, municipality=focus.municipality)
            hits = _rerank(own[:1] + [h for h in hits if not own or h.passage.id != own[0].passage.id], self.k)
            return Turn(message, language, contact, focus, topic), hits, True
        if not topic_words(request) and not elsewhere:
            # "Hvem kan jeg kontakte om det?" with nothing before it: there is no topic to answer
            return Turn(message, language, contact, None, message, reason="no_topic"), [], False
        text = _join(previous.topic, message) if narrows else message
        hits = self._search(text)
        if previous is not None and previous.focus is not None and previous.focus.municipality \
                and _OTHER_MUNICIPALITY.search(request):  # "Hvilken anden kommune …?": not the one just answered
            hits = _rerank([h for h in hits if h.case.municipality != previous.focus.municipality], self.k)
        if narrows:  # narrowed down from the intro: a case more specific than the intro is wanted
            hits = _rerank([h for h in hits if h.case.id != previous.focus.id], self.k)
        # a question about a municipality that has no case is not answered by another's case
        # nor is a question about a goal that no case names (every goal it names is uncovered)
        asked_goals = set(goals_in(message))
        uncovered = bool(asked_goals) and not asked_goals & self._corpus_goals()
        found = bool(hits) and not elsewhere and not uncovered and not is_errand(message) and not is_small_talk(message) \
            and self._answers(message, language, hit=hits[0])
        focus = hits[0].case if hits and found else None
        return Turn(message, language, contact, focus, text), hits, found

    def _named_topic_fits(self, topic: str, language: str, municipality: str, focus: Case,
                          carried: bool = False) -> bool:
        """Whether a question naming ``municipality`` (which has cases) is answered by its case ``focus``: the
        question with the name taken out clears the same bar against the municipality's best passage. The
        name alone lifts the cosine of every passage that names it, so it is no evidence for the topic. A
        question with nothing but the name ("Hvad laver Gladsaxe?") or asking for a job one of the case's
        contacts holds ("afdelingschefen … i Dragør") is answered as before."""
        text = without_municipalities(topic)
        if not _has_own_topic(request_part(text)) or holds_job(focus, topic):
            return True
        hits = self._search(text, k=1, municipality=municipality)  # the cosine bar alone: with the name gone
        return bool(hits) and hits[0].dense_score is not None \
            and hits[0].dense_score >= self._bar(language, hits[0]) \
            and (carried or self._covers(text, hits[0]))  # a Danish topic may share no indexed term

    def _stays_on(self, focus: Case, message: str) -> bool:
        """Whether a message with no pronoun is still about ``focus``: it asks for a job one of the focus's
        contacts holds, or the focus's best passage scores within FOCUS_MARGIN of the best for it."""
        if holds_job(focus, message) and len(topic_words(message)) <= self.JOB_TOPIC_WORDS:
            return True
        hits = self._search(message)
        own = [h.score for h in hits if h.case.id == focus.id]
        if not own and hits and focus.municipality:  # the focus's best passage, also when it is not among the k best
            own = [h.score for h in self._search(message, k=self.FOCUS_DEPTH, municipality=focus.municipality)
                   if h.case.id == focus.id][:1]
        return bool(own) and own[0] >= hits[0].score - self.FOCUS_MARGIN

    def _bar(self, language: str, hit: Hit) -> float:
        """The cosine the top passage must reach. The bars were calibrated on Danish text: "da" for a Danish
        question on a Danish passage (same language), "en" for an English one (across languages). In a
        corpus that mixes languages the pair's kind decides: a Danish question on an English passage gets
        the cross-language bar, an English question on an English passage the same-language one."""
        same = detect_language(hit.passage.text) == language
        return self.min_dense.get("da" if same else "en", self.min_dense["da"])

    def _covers(self, message: str, hit: Hit) -> bool:
        """Whether the top case covers what the question asks (coverage.py) well enough: its contrast reaches
        MIN_CONTRAST; True where the contrast cannot be told."""
        if self.MIN_CONTRAST is None:
            return True
        contrast = self.retriever.coverage(message, hit.case, content_words(message))
        return contrast is None or contrast >= self.MIN_CONTRAST

    def _answers(self, message: str, language: str, hit: Hit) -> bool:
        if hit.dense_score is None or hit.dense_score < self._bar(language, hit):
            return False
        if language == "da" and not self.retriever.data.sparse.query_terms(message):
            return False
        return self._covers(message, hit)

    # ---- the public call -------------------------------------------------------------------
    def ask(self, message: str, history: list | tuple | None = None, k: int | None = None,
            municipality: str | None = None, goal: int | None = None, region: str | None = None) -> Reply:
        """Answer ``message`` given the user's earlier messages (oldest first).

        ``history`` items are strings, or chat messages ``{"role": "user" | "assistant", "content": str}``
        (Gradio's format; only the user's are read). ``k`` overrides the number of sources;
        ``municipality`` keeps only that municipality's cases, ``goal`` only cases naming that Verdensmål
        (1-17), ``region`` only cases of that region's municipalities ("Nordjylland", "North Jutland",
        "Fyn"), for the answer and every source, whatever the conversation said. A list question ("Hvilke
        kommuner …?", "Vis alle cases om mål 4") is answered with every case that answers it
        (``reply.cases``, ``reply.kind == "list"``). Raises ValueError for anything else.
        """
        message = clean_query(message)
        earlier = user_messages(history)
        k = None if k is None else _check_k(k)
        region = None if isinstance(region, str) and not region.strip() else region  # "" is no filter
        only, goal, region = self.retriever.check_filters(municipality, goal, region)
        # per-call settings live on a shallow copy, so concurrent chats don't share them
        if k is not None or only or goal is not None or region is not None:
            clone = Assistant(self.retriever, k or self.k, self.min_dense)
            clone._only, clone._goal, clone._region = only, goal, region
            return clone._ask(message, earlier)
        return self._ask(message, earlier)

    def _ask(self, message: str, history: list[str]) -> Reply:
        previous: Turn | None = None
        seen: tuple[str, ...] = ()
        for earlier in history[-HISTORY_TURNS:]:
            turn, _, found = self._turn(earlier, previous)
            if found and turn.focus is not None:
                seen = tuple(dict.fromkeys(seen + (turn.focus.id,)))
            if found or previous is None:
                previous = replace(turn, seen=seen)
        listing = is_list_question(message)
        # a list question is answered from the sentences that ask for the list, not those about the asker
        turn, hits, found = self._turn(request_text(message) if listing else message, previous)
        if self._only or self._goal is not None or self._region is not None:  # the filters hold whatever
            hits = _rerank([h for h in hits if self._allows(h.case)], self.k)  # the conversation said
            if turn.focus is not None and not self._allows(turn.focus):
                turn, found = replace(turn, focus=None), False
        if listing and turn.reason != "filtered":
            return self._list_reply(message, turn, hits, found, previous)
        answer = self._render(turn, hits, found)
        return Reply(answer=answer, hits=hits, found=found, case=turn.focus if found else None,
                     language=turn.language, query=turn.topic, reason=None if found else turn.reason or "not_found")

    def _list_reply(self, message: str, turn: Turn, hits: list[Hit], found: bool, previous: Turn | None) -> Reply:
        """A list question: every case that answers it (listing.py), or the not-found answer when none does
        or when an ordinary answer would not be found (a topic no case is close to)."""
        question = message
        if previous is not None and previous.focus is not None and refers_back(message):
            question, found = _join(previous.topic, message), True  # "Hvilke andre kommuner gør det?"
        listing = list_cases(self.retriever, question, municipality=self._only, goal=self._goal,
                             region=self._region, language=turn.language)
        if not listing.cases or not (found or listing.filter_only):
            return Reply(answer=self._render(replace(turn, reason=None), hits, False), hits=hits, found=False,
                         language=turn.language, query=question, reason="not_found", kind="list")
        return Reply(answer=self._render_list(turn.language, listing, question), hits=_rerank(listing.hits, self.k),
                     found=True, case=listing.cases[0], language=turn.language, query=question,
                     cases=list(listing.cases), kind="list")

    # ---- rendering -------------------------------------------------------------------------
    def _render_list(self, language: str, listing: Listing, question: str) -> str:
        """Each listed case: municipality, title and the contact it names first (e-mail as a mailto link)."""
        t = _TEXTS[language]
        if listing.filter_only:
            goals = sorted(set(listing.goals) | ({self._goal} if self._goal is not None else set()))
            places = list(dict.fromkeys(list(listing.regions) + (regions_in(self._region) if self._region else [])))
            places += [self._only] if self._only else []
            joiner = f" {t['and']} "
            what = (f"{t['goal']} {joiner.join(map(str, goals))}" if goals else "") \
                + (f"{t['region']} {joiner.join(places)}" if places else "")
            if language == "da" and places == ["Fyn"]:
                what = what.replace(" i Fyn", " på Fyn")
            head = t["all"].format(what=what, n=len(listing.cases))
        else:
            head = t["listed_one"] if len(listing.cases) == 1 else t["listed"].format(n=len(listing.cases))
        lines = [f"**{_e(head)}:**", ""]
        for number, case in enumerate(listing.cases, 1):
            contact = first_contact(case, question)
            lines.append(f"{number}. **{_e(case.place)}** — {_e(case.title)}  ")
            lines.append(f"   {t['contact']}: {_one_contact(contact) if contact else _e(t['no_contact'])}")
        return "\n".join(lines)

    def _best_sentences(self, query: str, hit: Hit, limit: int = 2) -> list[str]:
        """The passage's sentences closest to the question, in text order (stored vectors, no model call
        beyond the question's cached one)."""
        sentences = split_sentences(hit.text)
        vectors = self.retriever.sentence_vectors(hit.passage.id)
        if len(sentences) <= limit or len(vectors) != len(sentences):
            return sentences or [hit.text]
        qvec = self.retriever.query_vector(query)
        terms = set(self.retriever.data.sparse.tokenizer(query))
        overlap = np.array([len(terms & set(self.retriever.data.sparse.tokenizer(s))) for s in sentences], float)
        score = vectors @ qvec + 0.03 * overlap
        keep = sorted(np.argsort(-score)[:limit])
        return [sentences[i] for i in keep]

    def _render(self, turn: Turn, hits: list[Hit], found: bool) -> str:
        t = _TEXTS[turn.language]
        lines: list[str] = []
        if turn.reason == "no_topic":
            return _NO_TOPIC[turn.language]
        if turn.reason == "filtered":
            named = ", ".join(self._corpus_municipalities(turn.query)[0])
            return _FILTERED[turn.language].format(only=_e(self._only), named=_e(named))
        if not found:
            lines.append(_NOT_FOUND[turn.language])
            if hits:
                lines += ["", f"**{t['maybe']}:**"]
                lines += [f"- {_e(_where(h.case, t))} — {_e(h.case.title)}" for h in _unique_cases(hits)[:3]]
            return "\n".join(lines)
        case = turn.focus
        own = [h for h in hits if h.case.id == case.id]
        # quote what the case is about, not its contact line (that is given in full already)
        lead = next((h for h in own if not h.passage.context), None)
        if lead is None and case.municipality:
            lead = next((h for h in self._search(turn.topic, k=3, municipality=case.municipality)
                         if h.case.id == case.id and not h.passage.context), None)
        if turn.contact:
            lines.append(f"**{t['contact_lead']} {_e(_where(case, t))} — {_e(case.title)}:**")
            lines.append(_contact_line(case, t, turn.query))
        else:
            lines.append(f"**{_e(_where(case, t))} — {_e(case.title)}**")
        if lead is not None:
            for sentence in self._best_sentences(turn.topic, lead):
                lines.append(f"> {_e(sentence)}")
        if not turn.contact:
            lines += ["", f"**{t['contact']}:** " + _contact_line(case, t, turn.query)]
        lines += ["", f"**{t['sources']}:**"]
        for h in hits:
            section = f" › {_e(h.passage.heading)}" if h.passage.heading else ""
            lines.append(f"{h.rank}. {_e(_where(h.case, t))} — {_e(h.case.title)}{section} "
                         f"({_e(h.case.source)}, {t['score']} {h.score:.2f})")
        return "\n".join(lines)


def _join(topic: str, message: str) -> str:
    """The earlier topic and a follow-up searched together, within the query length limit (the start of
    a long topic gives way: the follow-up is what was asked)."""
    room = MAX_QUERY_CHARS - len(message) - 1
    if len(topic) > room:
        topic = topic[len(topic) - room:].split(" ", 1)[-1] if room > 0 else ""
    return f"{topic} {message}".strip()


def _check_k(k: object) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k <= 0:
        raise ValueError(f"k must be a whole number of at least 1, not {k!r}")
    return int(k)


def user_messages(history: object) -> list[str]:
    """The user's earlier messages from ``history``, cleaned like a question (blank ones skipped).

    Items are strings or chat messages ``{"role", "content"}`` (assistant messages are skipped);
    anything else, or an item over the question length limit, is a ValueError naming the item.
    """
    if history is None:
        return []
    if not isinstance(history, (list, tuple)):
        raise ValueError("history must be a list of the user's earlier messages (strings or "
                         f"{{'role': 'user', 'content': ...}} messages), not {type(history).__name__}")
    if len(history) > MAX_HISTORY:
        raise ValueError(f"history has {len(history)} messages; at most {MAX_HISTORY}")
    out = []
    for number, item in enumerate(history, 1):
        if isinstance(item, dict):
            role, content = item.get("role"), item.get("content")
            if role not in ("user", "assistant", "system") or not isinstance(content, str):
                raise ValueError(f"history message {number} must have a role (user/assistant) and a text "
                                 f"content, not {str(item)[:80]}")
            if role != "user":
                continue
            item = content
        elif not isinstance(item, str):
            raise ValueError(f"history message {number} must be a string or a {{'role', 'content'}} message, "
                             f"not {type(item).__name__}")
        try:
            out.append(clean_query(item))
        except EmptyQueryError:
            continue  # a blank message says nothing about the topic
        except ValueError as exc:
            raise ValueError(f"history message {number}: {exc}") from None
    return out


def _where(case: Case, t: dict) -> str:
    return case.place if case.municipality else f"{t['theme']} {case.title}"


def _contact_line(case: Case, t: dict, question: str = "") -> str:
    if not case.contacts:
        return t["no_contact"]
    return "; ".join(_one_contact(c) for c in contacts_for(case, question))


def _one_contact(contact) -> str:
    parts = [_e(contact.name)] if contact.name else []
    if contact.role:
        parts.append(_e(contact.role))
    if contact.department:
        parts.append(_e(contact.department))
    if linkable_email(contact.email):
        parts.append(f"[{_e(contact.email)}](mailto:{quote(contact.email, safe='@.+-_')})")
    elif contact.email:  # (the build drops invalid addresses; one that slipped through is never a link)
        parts.append(_e(contact.email))
    if contact.phone:
        parts.append(f"tlf. {_e(display_phone(contact.phone))}")
    return ", ".join(parts)


def _unique_cases(hits: list[Hit]) -> list[Hit]:
    seen, out = set(), []
    for h in hits:
        if h.case.id not in seen:
            seen.add(h.case.id)
            out.append(h)
    return out


def _rerank(hits: list[Hit], k: int) -> list[Hit]:
    return [replace(h, rank=i) for i, h in enumerate(hits[:k], 1)]
