"""The coverage check (assistant/coverage.py): word groups, the background sample, the contrast, and the
background's place in the index (stored, checksummed, validated, absent for models without token states)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.conversation import Assistant, content_words
from assistant.coverage import (
    MAX_BACKGROUND_CASES,
    MIN_BACKGROUND_CASES,
    Background,
    background_cases,
    contrast,
    word_groups,
)
from assistant.retriever import Retriever
from assistant.store import IndexLoadError, load_index


def test_word_groups_join_pieces_and_keep_wanted_words():
    pieces = ["\u2581Which", "\u2581council", "\u2581runs", "\u2581electric", "\u2581fer", "ries", "?"]
    assert word_groups(pieces, {"electric", "ferries"}) == [[3], [4, 5, 6]]
    # a hyphenated word counts when it or one of its parts is wanted
    pieces = ["\u2581single", "-", "use", "\u2581cups"]
    assert word_groups(pieces, {"single-use"}) == [[0, 1, 2]]
    assert word_groups(pieces, {"use"}) == [[0, 1, 2]]
    assert word_groups(pieces, {"bottles"}) == []


def test_background_is_every_case_of_a_small_corpus_and_an_even_sample_of_a_large_one():
    few = [f"c{i}" for i in range(10)]
    assert background_cases(few) == few
    many = [f"c{i}" for i in range(1000)]
    sample = background_cases(many)
    assert len(sample) == MAX_BACKGROUND_CASES == len(set(sample))
    assert sample[0] == "c0" and int(sample[-1][1:]) > 950  # spread over the whole catalogue


def _unit(rows):
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_contrast_is_how_much_better_the_case_covers_the_words_than_cases_at_large():
    dim = 8
    eye = np.eye(dim, dtype=np.float32)
    # question words: "ferries" (axis 0) and "islands" (axis 1); three background cases
    question = _unit([eye[0], eye[1]])
    pieces = ["\u2581ferries", "\u2581islands"]
    covers_both = _unit([eye[0], eye[1], eye[5]])
    covers_one = _unit([eye[1], eye[6]])
    neither = _unit([eye[6], eye[7]])
    states = np.vstack([covers_both, covers_one, neither]).astype(np.float16)
    background = Background(states, ("a", "b", "c"), np.array([0, 3, 5, 7]))
    words = {"ferries", "islands"}
    # mean cover over the cases: ferries 1/3, islands 2/3
    assert contrast(question, pieces, words, covers_both, background) == pytest.approx(
        ((1 - 1 / 3) + (1 - 2 / 3)) / 2, abs=1e-3)
    assert contrast(question, pieces, words, covers_one, background) == pytest.approx(
        ((0 - 1 / 3) + (1 - 2 / 3)) / 2, abs=1e-3)
    assert contrast(question, pieces, words, neither, background) < 0
    assert contrast(question, pieces, {"harbours"}, covers_both, background) is None  # no content word


def test_content_words_leave_out_question_words_and_municipality_names():
    assert content_words("Which council in Vejle has electric ferries?") == {"electric", "ferries"}
    assert content_words("Hvordan arbejder kommunen med verdensmålene?") == set()  # nothing in particular
    assert "kommune" not in content_words("Hvilken kommune har elfærger til småøerne?")


def test_index_keeps_the_background_with_checksums(tmp_path, corpus_copy, e5_embedder):
    embedder = e5_embedder
    if not embedder.tokens_fingerprint:
        pytest.skip("the compiled engine is not available here: no token states")
    index = tmp_path / "index"
    built = Retriever.build(corpus_copy, index, embedder=embedder)
    manifest = json.loads((index / "manifest.json").read_text())
    assert manifest["tokens"]["fingerprint"] == embedder.tokens_fingerprint
    assert {"tokens.npy", "tokens.json"} <= set(manifest["files"])
    data = load_index(index)
    assert data.background is not None
    assert data.background.case_ids == tuple(c.id for c in built.data.cases)  # a small corpus: every case
    assert len(data.background.states) == manifest["tokens"]["tokens"] > 0
    assert manifest["tokens"]["encoded"] == manifest["tokens"]["passages"] > 0
    # a rebuild after a new case encodes only the new case's passages again
    (corpus_copy / "ny.md").write_text("---\ntitle: Bistader på biblioteket\nmunicipality: Vejle\n---\n"
                                       "Biblioteket har fået to bistader på taget, passet af frivillige.\n", encoding="utf-8")
    Retriever.build(corpus_copy, index, embedder=embedder)
    again = json.loads((index / "manifest.json").read_text())["tokens"]
    assert again["passages"] > manifest["tokens"]["passages"]
    assert again["reused"] == manifest["tokens"]["passages"] and again["encoded"] == again["passages"] - again["reused"]
    first = data.background
    kept = {key: np.asarray(first.states[first.passage_starts[i]:first.passage_starts[i + 1]])
            for i, key in enumerate(first.keys)}
    rebuilt = load_index(index).background
    same = [np.array_equal(np.asarray(rebuilt.states[rebuilt.passage_starts[i]:rebuilt.passage_starts[i + 1]]), kept[key])
            for i, key in enumerate(rebuilt.keys) if key in kept]
    assert len(same) == len(kept) and all(same)  # reused as they were
    # a damaged background is a damaged index, named as such
    meta = json.loads((index / "tokens.json").read_text())
    meta["starts"][-1] += 5
    (index / "tokens.json").write_text(json.dumps(meta))
    with pytest.raises(IndexLoadError, match="tokens.json"):
        load_index(index)


def test_models_without_token_states_leave_the_check_out(tmp_path, corpus_copy, fake_embedder):
    index = tmp_path / "index"
    retriever = Retriever.build(corpus_copy, index, embedder=fake_embedder)
    manifest = json.loads((index / "manifest.json").read_text())
    assert manifest["tokens"] is None and "tokens.npy" not in manifest["files"]
    assert retriever.data.background is None
    case = retriever.data.cases[0]
    assert retriever.coverage("Hvem har sat insekthoteller op?", case, {"insekthoteller"}) is None
    assert Assistant(retriever)._covers("Hvem har sat insekthoteller op?", retriever.search("insekthoteller")[0])


# ---- with the real model --------------------------------------------------------------------------------
# Contrasts measured here (multilingual-e5-small via the compiled engine, MIN_CONTRAST 0.0045); each
# assertion is at least 0.009 away from the threshold, the largest build-to-build difference measured on
# the tuning pool being 0.0013 (README, "Not found").

def _judged(retriever, question):
    """The contrast the answer to ``question`` was judged by, and whether it was found."""
    seen = []
    assistant = Assistant(retriever)
    original = assistant.retriever.coverage

    def coverage(text, case, words):
        value = original(text, case, words)
        seen.append(value)
        return value

    assistant.retriever = retriever.with_config()
    assistant.retriever.coverage = coverage
    reply = assistant.ask(question)
    return seen, reply


@pytest.fixture(scope="module")
def tuning_retriever(tuning_index):
    return Retriever.load(tuning_index)


@pytest.mark.parametrize("question, municipality, measured", [
    ("Har Rødovre noget om solceller på skolerne?", "Rødovre", -0.0049),  # Rødovre: first jobs, tablets
    ("Does Odder run walks for widowers?", "Odder", -0.0115),  # Odder: dinner buddies
])
def test_a_named_municipality_whose_case_is_on_another_topic_is_not_found(tuning_retriever, question, municipality,
                                                                          measured):
    # each passes the cosine bar with the name taken out: the bar alone answered it with the case
    without = Assistant(tuning_retriever)
    without.MIN_CONTRAST = None
    assert without.ask(question).case.municipality == municipality
    seen, reply = _judged(tuning_retriever, question)
    assert not reply.found
    assert seen and seen[-1] < Assistant.MIN_CONTRAST - 0.009  # measured: ``measured``


@pytest.mark.parametrize("question, municipality", [
    ("Which council hangs mussel lines in the Limfjord to clean the water?", "Morsø"),  # measured 0.141
    ("Which municipality teaches seniors to use tablets?", "Rødovre"),  # 0.175
    ("Hvilken kommune har bygget en svømmehal opvarmet af solfangere?", "Stevns"),  # 0.099
])
def test_a_case_that_says_what_is_asked_is_answered(tuning_retriever, question, municipality):
    seen, reply = _judged(tuning_retriever, question)
    assert reply.found and reply.case.municipality == municipality
    assert seen and all(value > Assistant.MIN_CONTRAST + 0.02 for value in seen)


def test_a_small_corpus_is_not_checked(real_retriever):
    """The bundled page's five cases are no background to set a case's cover against (MIN_BACKGROUND_CASES):
    a question it answers with a case is answered as before."""
    assert len(real_retriever.data.background.case_ids) < MIN_BACKGROUND_CASES
    case = real_retriever.search("insekthoteller")[0].case
    assert real_retriever.coverage("Hvem har sat insekthoteller op?", case, {"insekthoteller"}) is None
    reply = Assistant(real_retriever).ask("Hvad hedder udviklingsstrategien i Frederikshavn Kommune?")
    assert reply.found and reply.case.municipality == "Frederikshavn"


def test_a_carried_topic_is_not_held_to_the_words_check(tuning_index):
    """"Og i X?" after an answer asks the earlier question's topic of X, whose case may put it in other words;
    the check of a question's own words is not applied to a carried topic (README, "Not found")."""
    retriever = Retriever.load(tuning_index)
    judged = []
    original = retriever.coverage

    def coverage(text, case, words):
        judged.append(case.municipality)
        return original(text, case, words)

    retriever.coverage = coverage
    history = ["Er der nogen kommune, hvor mænd, der er blevet enkemænd, går ture sammen?"]
    first = Assistant(retriever).ask(history[0])
    assert first.found and first.case.municipality != "Odder" and judged  # a fresh question is checked
    judged.clear()
    Assistant(retriever).ask("Og i Odder?", history=history)
    assert "Odder" not in judged
    judged.clear()
    # the topic as the question's own: checked, and Odder's case (dinner buddies) does not say it (measured
    # contrast -0.0115; the cosine bar alone answered it with that case)
    own = Assistant(retriever).ask("Does Odder run walks for widowers?")
    assert "Odder" in judged and not own.found


def test_a_question_naming_a_goal_is_judged_by_the_goal_not_its_words():
    assert content_words("Er der en kommune med et projekt under verdensmål 9 om industri og infrastruktur?") == set()
    assert content_words("Which council links its harbour project to SDG 14, life below water?") == set()


def test_a_case_outside_the_background_sample_is_encoded_once(tmp_path, corpus_copy, e5_embedder, monkeypatch):
    """A catalogue larger than MAX_BACKGROUND_CASES keeps an even sample; the top case may be outside it, and
    is then encoded when first judged, the same states as the index would hold, and kept."""
    import assistant.coverage as coverage
    import assistant.retriever as retriever_module
    if not e5_embedder.tokens_fingerprint:
        pytest.skip("the compiled engine is not available here: no token states")
    monkeypatch.setattr(coverage, "MAX_BACKGROUND_CASES", 2)
    monkeypatch.setattr(retriever_module, "MIN_BACKGROUND_CASES", 2)
    retriever = Retriever.build(corpus_copy, tmp_path / "index", embedder=e5_embedder)
    sample = retriever.data.background.case_ids
    assert len(sample) == 2
    outside = next(c for c in retriever.data.cases if c.id not in sample and c.municipality)
    calls = []
    original = e5_embedder.token_states
    monkeypatch.setattr(e5_embedder, "token_states", lambda text, kind: calls.append(kind) or original(text, kind))
    question = "Hvem står for partnerskabet?"
    first = retriever.coverage(question, outside, {"partnerskabet"})
    passages = [p for p in retriever.data.passages if p.case_id == outside.id]
    assert isinstance(first, float) and calls.count("passage") == len(passages)
    expected = np.vstack([original(p.indexed_text(outside), "passage")[0] for p in passages])
    assert np.array_equal(retriever._case_states.get(outside.id), expected)
    calls.clear()
    assert retriever.coverage(question, outside, {"partnerskabet"}) == first and calls == []  # kept


def test_an_index_whose_background_another_engine_made_is_stale(tmp_path, corpus_copy, fake_embedder):
    """Built where the model gave no token states (or other ones), an index is rebuilt where it gives them, so
    the check is never silently off (or made with states that do not match the question's)."""
    from assistant.manifest import read_manifest, staleness
    index = tmp_path / "index"
    Retriever.build(corpus_copy, index, embedder=fake_embedder)
    manifest = read_manifest(index)
    assert staleness(manifest, corpus_copy, fake_embedder) is None
    fake_embedder.__class__ = type("StatesEmbedder", (type(fake_embedder),),
                                   {"tokens_fingerprint": property(lambda self: "fake-states1")})
    assert "token states" in staleness(manifest, corpus_copy, fake_embedder)
