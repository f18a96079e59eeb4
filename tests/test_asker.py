"""What a message says about the asker (asker.py): places there are not asked about, words there are not the
topic. Unit tests need no model; the integration tests use the real default model on the tuning corpus."""

import pytest

from assistant import Assistant
from assistant.asker import asker_spans, request_part, without_asker_places
from assistant.municipalities import asked_municipalities, asked_regions
from assistant.retriever import Retriever


@pytest.mark.unit
@pytest.mark.parametrize("question, asked", [
    ("I live in Aarhus and work as a teacher. Is there a council that grows mussels?", []),
    ("Jeg bor i Odense og er lærer. Findes der en kommune, hvor fiskere dyrker muslinger?", []),
    ("I'm a student in Aalborg writing about food waste. Which council weighs canteen waste?", []),
    ("Jeg arbejder i Herning, men hvad gør Gladsaxe med affald?", ["Gladsaxe"]),
    # the request is about the asker's own place: it is asked about
    ("I live in Odense. What is my council doing about food waste?", ["Odense"]),
    ("Jeg bor i Aarhus. Hvad gør min kommune for biodiversiteten?", ["Aarhus"]),
    # an interest, not where the asker is
    ("I'm curious what Aarhus does about heat pumps.", ["Aarhus"]),
    # no asker at all; "i sit" is Danish ("in one's"), not "I sit"
    ("Hvad gør Odense?", ["Odense"]),
    ("Hvordan kan ældre blive boende i sit eget hjem, i Aarhus?", ["Aarhus"]),
    ("Which council works with Aarhus University?", []),  # an institution's name (test_conversation.py)
])
def test_a_place_the_asker_names_for_themselves_is_not_asked_about(question, asked):
    assert asked_municipalities(question) == asked


@pytest.mark.unit
def test_regions_and_positions():
    assert asked_regions("Jeg bor i Nordjylland. Findes der en kommune, der deler cykler ud?") == []
    assert asked_regions("Jeg bor i Nordjylland. Hvilke kommuner her arbejder med cykler?") == ["Nordjylland"]
    assert asked_regions("Hvilke kommuner i Nordjylland arbejder med cykler?") == ["Nordjylland"]
    text = "I live in Aarhus. Which council does this?"
    assert len(without_asker_places(text)) == len(text)  # blanked in place: positions hold
    assert asker_spans(text) == [(0, 16)]


@pytest.mark.unit
@pytest.mark.parametrize("message, asked", [
    ("I'm with an anglers' club nearby, so who would I write to?", ", so who would I write to?"),
    ("I'm a teacher at a school close by. Who should I email?", ". Who should I email?"),
    ("Jeg sidder i bestyrelsen for en grundejerforening. Hvem kan jeg ringe til?", ". Hvem kan jeg ringe til?"),
    # an interest carries the topic: it stays
    ("I'm interested in heat pumps, who can I talk to?", "I'm interested in heat pumps, who can I talk to?"),
    ("Jeg arbejder med ældre i Odense, hvem kan jeg kontakte?", "Jeg arbejder med ældre i Odense, hvem kan jeg kontakte?"),
    # all about the asker: nothing is left out
    ("I work at a library.", "I work at a library."),
    ("Who runs the mussel trial?", "Who runs the mussel trial?"),
])
def test_the_request_without_the_asker(message, asked):
    assert request_part(message) == asked


@pytest.fixture(scope="module")
def tuning(tuning_index, e5_embedder):
    return Assistant(Retriever.load(tuning_index, embedder=e5_embedder, rebuild=False))


@pytest.mark.integration
@pytest.mark.parametrize("question", [
    "I live in Aarhus and work as a teacher. Is there a council where fishermen grow mussels to clean the fjord?",
    "Jeg bor i Odense og er lærer. Findes der en kommune, hvor fiskere dyrker muslinger for at rense fjorden?",
])
def test_where_the_asker_lives_does_not_make_the_question_not_found(tuning, question):
    # Aarhus and Odense have no case in the tuning corpus: before, the question was "not found" for them
    reply = tuning.ask(question)
    assert reply.found and reply.case.municipality == "Morsø"


@pytest.mark.integration
@pytest.mark.parametrize("follow_up", [
    "I'm with a local anglers' club, so who would I write to?",
    "I'm a teacher at a school close by. Who should I email?",
])
def test_a_contact_question_about_the_asker_stays_on_the_case(tuning, follow_up):
    first = "Which council has local fishermen growing mussels on long lines to clean up the fjord?"
    reply = tuning.ask(follow_up, history=[first])
    assert reply.found and reply.case.municipality == "Morsø"
    assert "mlkr@morsoe.dk" in reply.answer


@pytest.mark.integration
def test_an_asker_with_no_question_topic_gets_asked_for_one(tuning):
    reply = tuning.ask("I'm a teacher. Who can I contact?")
    assert not reply.found and reply.reason == "no_topic"
