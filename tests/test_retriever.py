"""Retriever.search: bad input is a clear ValueError; the real model finds the right case and contact."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import FakeEmbedder

from assistant.records import Contact
from assistant.retriever import Retriever

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

CONTACTS = {
    "Frederikshavn": Contact("Bente Bundgård Jokumsen", "chefkonsulent", "bejo@frederikshavn.dk"),
    "Norddjurs": Contact("Sofia Braad Riis", "udviklingskonsulent", "sobrh@norddjurs.dk"),
    "Herning": Contact("Anne Kristine Hundahl Mikkelsen", "udviklingskonsulent", "bekae@herning.dk"),
    "Gladsaxe": Contact("Line Vind", "chefkonsulent", "linevi@gladsaxe.dk"),
    "Aarhus": None,
}


@pytest.fixture(scope="module")
def fake_retriever(tmp_path_factory) -> Retriever:
    """The bundled corpus indexed with the fake embedder (no model)."""
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copy(CORPUS / "partnerskaber-for-handling.txt", corpus)
    return Retriever.build(corpus, tmp_path_factory.mktemp("index") / "index", embedder=FakeEmbedder())


# ---- bad input (fake embedder) -------------------------------------------------------------------

@pytest.mark.unit
@pytest.mark.parametrize("query, message", [
    ("", "query is empty"),
    ("   \n\t  ", "query is empty"),
    ("<b></b> &nbsp; ", "query is empty"),
    ("x" * 2001, r"query is too long \(2001 characters; at most 2000\)"),
    (None, "query must be a string, not NoneType"),
    (["biodiversitet"], "query must be a string, not list"),
])
def test_bad_query_is_a_clear_value_error(fake_retriever, query, message):
    with pytest.raises(ValueError, match=message):
        fake_retriever.search(query)


@pytest.mark.unit
@pytest.mark.parametrize("k, message", [
    (0, "k must be at least 1, not 0"),
    (-1, "k must be at least 1, not -1"),
    ("3", "k must be a whole number, not '3'"),
    (2.5, "k must be a whole number, not 2.5"),
    (True, "k must be a whole number, not True"),
    (None, "k must be a whole number, not None"),
])
def test_bad_k_is_a_clear_value_error(fake_retriever, k, message):
    with pytest.raises(ValueError, match=message):
        fake_retriever.search("biodiversitet", k=k)


@pytest.mark.unit
def test_query_of_exactly_the_maximum_length_is_answered(fake_retriever):
    query = ("biodiversitet og insekthoteller " * 70)[:2000]
    assert len(query) == 2000
    assert fake_retriever.search(query, k=1)[0].case.municipality == "Frederikshavn"


@pytest.mark.unit
def test_unknown_municipality_filter_is_a_clear_value_error(fake_retriever):
    with pytest.raises(ValueError, match="unknown municipality 'Atlantis'; the corpus has: Aarhus, Frederikshavn, "
                                         "Gladsaxe, Herning, Norddjurs"):
        fake_retriever.search("biodiversitet", municipality="Atlantis")
    with pytest.raises(ValueError, match="municipality must be a name"):
        fake_retriever.search("biodiversitet", municipality=17)


@pytest.mark.unit
def test_municipality_without_cases_gives_no_hits(fake_retriever):
    assert fake_retriever.search("biodiversitet", municipality="Vejle") == []


@pytest.mark.unit
@pytest.mark.parametrize("name", ["Herning", "Herning Kommune", "herning"])
def test_municipality_filter_keeps_only_that_municipality(fake_retriever, name):
    hits = fake_retriever.search("partnerskaber og bæredygtighed", k=10, municipality=name)
    assert len(hits) == 4
    assert {h.case.municipality for h in hits} == {"Herning"}
    assert [h.rank for h in hits] == [1, 2, 3, 4]


@pytest.mark.unit
def test_html_in_the_query_is_stripped(fake_retriever):
    hits = fake_retriever.search("<img src=x onerror=alert(1)>biodiversitet", k=3)
    plain = fake_retriever.search("biodiversitet", k=3)
    assert hits[0].case.municipality == "Frederikshavn"
    assert [h.passage.id for h in hits] == [h.passage.id for h in plain]
    assert [h.score for h in hits] == [h.score for h in plain]


@pytest.mark.unit
def test_unknown_retriever_kind(fake_retriever):
    with pytest.raises(ValueError, match="unknown retriever 'magic': choose one of hybrid, dense, bm25, rrf"):
        fake_retriever.search("biodiversitet", retriever="magic")


@pytest.mark.unit
@pytest.mark.parametrize("kind", ["hybrid", "dense", "bm25", "rrf"])
def test_every_retriever_kind_ranks_hits(fake_retriever, kind):
    hits = fake_retriever.search("Halmstad Kattegat", k=3, retriever=kind)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert hits[0].case.municipality == "Norddjurs"
    if kind == "bm25":  # BM25 alone returns only passages sharing a term: the two Norddjurs ones
        assert len(hits) == 2 and all(h.sparse_score > 0 for h in hits)
    else:
        assert len(hits) == 3


@pytest.mark.unit
def test_large_k_returns_at_most_every_passage(fake_retriever):
    hits = fake_retriever.search("verdensmål", k=10_000)
    assert len(hits) == min(100, len(fake_retriever.data.passages))
    assert len({h.passage.id for h in hits}) == len(hits)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))


@pytest.mark.unit
def test_hit_carries_case_source_and_contact(fake_retriever):
    top = fake_retriever.search("Halmstad", k=1)[0]
    assert top.case.title == "På tværs af farvande og kommunegrænser"
    assert top.contact == CONTACTS["Norddjurs"]
    assert top.source.file == "partnerskaber-for-handling.txt"
    assert top.source.heading == "På tværs af farvande og kommunegrænser"
    assert "Halmstad" in top.text


# ---- the real default model (multilingual-e5-small), Danish and English -------------------------------

QUESTIONS = [
    # (question, municipality expected at rank 1)
    ("Hvor har kommunen sat insekthoteller op på et areal, som en stor virksomhed ejer?", "Frederikshavn"),
    ("Which municipality teamed up with an engine manufacturer to increase biodiversity on its land?",
     "Frederikshavn"),
    ("Hvilken kommune har et samarbejde med en svensk kommune på den anden side af Kattegat?", "Norddjurs"),
    ("Which council works with universities and colleges in Aarhus to support local businesses?", "Norddjurs"),
    ("Hvor har man oprettet en medlemsorganisation med et bæredygtighedsråd på 25 lokale repræsentanter?",
     "Herning"),
    ("Which municipality set aside five million kroner a year for its work on the global goals?", "Herning"),
    ("Hvem siger, at de bygger cyklen, mens de kører på den?", "Herning"),
    ("Hvilken kommune har valgt at fokusere på syv bestemte verdensmål?", "Gladsaxe"),
    ("Which municipality built the SDGs into its core operations through a city-council strategy from 2018?",
     "Gladsaxe"),
    ("Hvor blev et rum på biblioteket til en grøn gavebod, hvor børn kunne bytte legetøj?", "Aarhus"),
    ("Where did the libraries use design thinking to learn about inequality in talking about sustainability?",
     "Aarhus"),
    ("Hvilke biblioteker lod byens hjemløse overtage et lokale som et eksperiment?", "Aarhus"),
    ("Who advises other municipalities to be concrete about the goals instead of theorising?", "Frederikshavn"),
    ("Hvor skal alle fagudvalg behandle verdensmålene mindst en gang i kvartalet?", "Herning"),
]


@pytest.mark.integration
@pytest.mark.parametrize("question, municipality", QUESTIONS, ids=[f"q{i:02d}" for i in range(len(QUESTIONS))])
def test_real_model_ranks_the_right_case_near_the_top_with_its_contact(real_retriever, question, municipality):
    hits = real_retriever.search(question, k=5)
    ranking = [(h.case.municipality, h.passage.heading, round(h.score, 3)) for h in hits[:3]]
    first_cases = list(dict.fromkeys(h.case.municipality for h in hits))[:3]
    assert municipality in first_cases, ranking
    hit = next(h for h in hits if h.case.municipality == municipality)
    assert hit.case.contact == CONTACTS[municipality]
    assert [h.rank for h in hits] == [1, 2, 3, 4, 5]


@pytest.mark.integration
def test_real_model_puts_the_right_case_first_for_nearly_all_questions(real_retriever):
    # The quality target is a rate (case Recall@1 >= 0.9), so one miss of these 14 is allowed; with
    # latent terms for English questions none misses today (before them, q08 ranked Gladsaxe third).
    misses = [(q, m, real_retriever.search(q, k=1)[0].case.municipality) for q, m in QUESTIONS
              if real_retriever.search(q, k=1)[0].case.municipality != m]
    assert len(misses) <= 1, misses


@pytest.mark.integration
@pytest.mark.parametrize("question", [
    "Hvem kan jeg kontakte om Verdensrummet på DOKK1?",
    "Who is the contact person for the libraries' Verdensrummet?",
])
def test_real_model_never_invents_a_contact_for_aarhus(real_retriever, question):
    top = real_retriever.search(question, k=3)[0]
    assert top.case.municipality == "Aarhus"
    assert top.case.contact is None


@pytest.mark.integration
@pytest.mark.parametrize("question, email", [
    ("Hvem kan jeg kontakte om Bæredygtig Herning?", "bekae@herning.dk"),
    ("Who can I contact about the partnership with Halmstad?", "sobrh@norddjurs.dk"),
    ("Hvad er e-mailen til chefkonsulenten i Gladsaxe?", "linevi@gladsaxe.dk"),
])
def test_real_model_contact_questions(real_retriever, question, email):
    top = real_retriever.search(question, k=3)[0]
    assert top.case.contact is not None and top.case.contact.email == email
    assert email in top.passage.text  # the case's contact paragraph is shown first


@pytest.mark.unit
def test_contact_question_ranks_cases_by_topic_and_shows_the_contact_paragraph_first(fake_retriever):
    hits = fake_retriever.search("Hvem kan jeg kontakte om insekthotellerne hos MAN Energy Solutions?", k=10)
    top_case = hits[0].case
    assert top_case.municipality == "Frederikshavn"
    assert hits[0].passage.context is not None and "bejo@frederikshavn.dk" in hits[0].passage.text
    # a question that is no contact question keeps the best-matching paragraph first
    plain = fake_retriever.search("insekthotellerne hos MAN Energy Solutions", k=1)[0]
    assert plain.case.municipality == "Frederikshavn" and plain.passage.context is None


@pytest.mark.integration
def test_real_model_municipality_filter_and_html(real_retriever):
    hits = real_retriever.search("<script>alert(1)</script>Hvordan arbejder de med partnerskaber?", k=5,
                                 municipality="Gladsaxe")
    assert len(hits) == 5
    assert {h.case.municipality for h in hits} == {"Gladsaxe"}


@pytest.mark.unit
@pytest.mark.parametrize("question, topic", [
    ("Hvem kan jeg kontakte om partnerskabet med Halmstad?", "partnerskabet med Halmstad?"),
    ("Hvem er kontaktperson for verdensmålsarbejdet i Gladsaxe?", "verdensmålsarbejdet i Gladsaxe?"),
    ("Hvad er mailen til udviklingskonsulenten i Herning?", "udviklingskonsulenten i Herning?"),
    ("Who can I reach out to about the member-based sustainability centre?", "the member-based sustainability centre?"),
    ("What's the email address of the contact person for the Aarhus libraries' SDG work?",
     "the Aarhus libraries' SDG work?"),
    ("Who should I email about the cooperation across the Kattegat?", "the cooperation across the Kattegat?"),
    # nothing left but the frame, or no frame at all: the question as it is
    ("Hvem kan jeg kontakte om det?", "Hvem kan jeg kontakte om det?"),
    ("Who do I contact there?", "Who do I contact there?"),
    ("Hvilken kommune samarbejder med MAN Energy Solutions?", "Hvilken kommune samarbejder med MAN Energy Solutions?"),
])
def test_contact_frame_is_stripped_from_the_topic(question, topic):
    from assistant.language import strip_contact_frame
    assert strip_contact_frame(question) == topic


# ---- regions --------------------------------------------------------------------------------------

@pytest.mark.unit
def test_every_municipality_is_in_exactly_one_region():
    from assistant.municipalities import MUNICIPALITIES, REGIONS
    members = [m for names in REGIONS.values() for m in names]
    assert sorted(members) == sorted(MUNICIPALITIES)
    assert {r: len(v) for r, v in REGIONS.items()} == {"Nordjylland": 11, "Midtjylland": 19, "Syddanmark": 22,
                                                       "Sjælland": 17, "Hovedstaden": 29}


@pytest.mark.unit
@pytest.mark.parametrize("text, regions", [
    ("Hvilke kommuner i Nordjylland arbejder med verdensmål?", ["Nordjylland"]),
    ("nordjyske kommuner og Region Midtjylland", ["Nordjylland", "Midtjylland"]),
    ("a council in North Jutland or the Capital Region", ["Nordjylland", "Hovedstaden"]),
    ("Hvad gør kommunerne på Fyn?", ["Fyn"]),
    ("Region Sjælland", ["Sjælland"]),
    ("Sjælland", []),  # the island also holds the capital region
    ("Frederikshavn", []),
])
def test_regions_named_in_text(text, regions):
    from assistant.municipalities import regions_in
    assert regions_in(text) == regions


@pytest.mark.unit
def test_a_named_region_boosts_its_municipalities_cases(fake_retriever):
    question = "Hvem arbejder med partnerskaber i Nordjylland?"
    plain = {h.passage.id: h.score for h in fake_retriever.with_config(region_boost=0.0).search(question, k=100)}
    boosted = fake_retriever.search(question, k=100)
    for hit in boosted:
        expected = plain[hit.passage.id] + (0.15 if hit.case.municipality == "Frederikshavn" else 0.0)
        assert hit.score == pytest.approx(expected, abs=1e-6), hit.case.municipality


@pytest.mark.unit
def test_goal_and_region_filters(fake_retriever):
    assert {h.case.municipality for h in fake_retriever.search("verdensmål", k=20, goal=13)} == {"Gladsaxe"}
    assert {h.case.municipality for h in fake_retriever.search("partnerskab", k=20, region="North Jutland")} \
        == {"Frederikshavn"}
    assert {h.case.municipality for h in fake_retriever.search("partnerskab", k=20, region="Midtjylland")} \
        <= {"Norddjurs", "Herning", "Aarhus"}
    assert fake_retriever.search("partnerskab", goal=13, region="Nordjylland") == []  # both must hold
    assert fake_retriever.search("partnerskab", goal=16) == []
    for bad in (0, 18, True, "13"):
        with pytest.raises(ValueError, match="goal must be a Verdensmål number"):
            fake_retriever.search("partnerskab", goal=bad)
    with pytest.raises(ValueError, match="unknown region 'Mordor'"):
        fake_retriever.search("partnerskab", region="Mordor")
    # the island is no region: the message says what to write instead
    with pytest.raises(ValueError, match="unknown region 'Sjælland': .*Region Sjælland"):
        fake_retriever.search("partnerskab", region="Sjælland")
    assert fake_retriever.search("partnerskab", region="Grønland") == []  # an area like Funen


@pytest.mark.unit
def test_a_question_asking_which_municipality_puts_theme_intros_down(fake_retriever):
    """intro_penalty: "Hvilken kommune …?" is never answered by a theme's intro (it names no municipality)."""
    def intro_scores(retriever, question):
        return {h.passage.id: h.score for h in retriever.search(question, k=100) if not h.case.municipality}

    asks = "Hvilken kommune arbejder med partnerskaber for handling?"
    plain, penalised = intro_scores(fake_retriever.with_config(intro_penalty=0.0), asks), intro_scores(fake_retriever, asks)
    assert plain and plain.keys() == penalised.keys()
    assert all(plain[p] - penalised[p] == pytest.approx(0.2, abs=1e-5) for p in plain)  # (scores are rounded to 1e-6)
    other = "Hvad handler partnerskaber for handling om?"  # asks no municipality: untouched
    assert intro_scores(fake_retriever.with_config(intro_penalty=0.0), other) == intro_scores(fake_retriever, other)


@pytest.mark.unit
def test_a_job_and_unit_named_raise_the_cases_whose_contact_holds_them(fake_retriever):
    """role_boost: "Who is the development consultant?" raises the cases with an udviklingskonsulent (Norddjurs,
    Herning) by 0.1 and no other; a question naming no job (or only the job, no unit) changes nothing."""
    def scores(retriever, question):
        return {h.passage.id: (h.case.municipality, h.score) for h in retriever.search(question, k=100)}

    asks = "Who is the development consultant for the Global Goals?"
    plain, boosted = scores(fake_retriever.with_config(role_boost=0.0), asks), scores(fake_retriever, asks)
    assert plain.keys() == boosted.keys()
    raised = {m for p, (m, s) in boosted.items() if s - plain[p][1] == pytest.approx(0.1, abs=1e-5)}
    assert raised == {"Norddjurs", "Herning"}
    assert all(boosted[p][1] == pytest.approx(plain[p][1], abs=1e-5) for p in plain if plain[p][0] not in raised)
    for other in ("Hvad handler partnerskaber for handling om?", "Who is the consultant?"):
        assert scores(fake_retriever.with_config(role_boost=0.0), other) == scores(fake_retriever, other)


@pytest.mark.integration
def test_a_question_whether_any_municipality_does_something_is_answered_by_a_case(tuning7_retriever):
    # "Any municipality …?" / "Findes der en kommune …?" asks for a municipality as "Which municipality …?"
    # does: the theme page's intro (no municipality) is not the answer
    for question in ("Any municipality working with a twin town abroad?",
                     "Findes der en kommune, der samarbejder med en venskabsby i udlandet?"):
        assert tuning7_retriever.search(question, k=1)[0].case.municipality is not None, question
