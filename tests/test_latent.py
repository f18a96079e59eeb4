"""Latent terms: the model's sparse concept features, stored per passage and used for English questions."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from conftest import CORPUS, FakeEmbedder, LatentFakeEmbedder, write_bee_corpus

from assistant.evaluation import case_ranking, relevant_cases
from assistant.fusion import evidence_fusion
from assistant.question_set import load_questions
from assistant.retriever import Retriever
from assistant.store import LATENT_FILES, LATENT_TOP_K, IndexLoadError, load_index


def test_fusion_gives_latent_terms_their_share_hand_computed():
    dense = np.array([0.8, 0.6, 0.7])     # minmax -> 1, 0, 0.5
    bm25 = np.array([0.0, 2.0, 1.0])      # max-scaled -> 0, 1, 0.5
    latent = np.array([1.0, 3.0, 5.0])    # minmax -> 0, 0.5, 1
    fused = evidence_fusion(dense, bm25, 0.5, 0.4, latent, 0.3)   # w = 0.2, v = 0.3
    assert fused == pytest.approx([0.5 * 1, 0.2 * 1 + 0.3 * 0.5, 0.5 * 0.5 + 0.2 * 0.5 + 0.3 * 1])
    # without latent scores the weight goes back to dense
    assert evidence_fusion(dense, bm25, 0.5, 0.4, None, 0.3) == pytest.approx([0.8, 0.2, 0.5])
    # the shares never exceed 1: latent takes at most what BM25 leaves
    assert evidence_fusion(dense, bm25, 1.0, 1.0, latent, 0.3) == pytest.approx([0.0, 1.0, 0.5])


@pytest.fixture
def latent_index(tmp_path):
    corpus = write_bee_corpus(tmp_path / "corpus")
    embedder = LatentFakeEmbedder(dim=64)
    retriever = Retriever.build(corpus, tmp_path / "index", embedder=embedder)
    return corpus, tmp_path / "index", embedder, retriever


def test_build_stores_latent_codes_and_records_them(latent_index):
    _, index, embedder, retriever = latent_index
    manifest = json.loads((index / "manifest.json").read_text())
    n = manifest["passages"]
    assert manifest["latent"] == {"fingerprint": "fake-latent-1024", "features": 1024, "top_k": LATENT_TOP_K,
                                  "encoded": n, "reused": 0}
    for name in LATENT_FILES:
        assert (index / name).is_file() and name in manifest["files"]
    # the vector counts stay apart from the latent codes
    assert manifest["embedded"] == n + manifest["sentence_vectors"] and manifest["reused_embeddings"] == 0
    data = load_index(index)
    n = len(data.passages)
    assert data.latent_ids.shape == data.latent_weights.shape == (n, LATENT_TOP_K)
    assert embedder.latent_texts == n
    # the codes are those of the indexed texts (the weights of absent slots are 0)
    ids, weights = embedder.latent([data.passages[0].indexed_text(data.cases[0])], LATENT_TOP_K)[0]
    assert set(data.latent_ids[0][data.latent_weights[0] > 0]) == set(ids)


def test_english_question_uses_latent_terms_danish_does_not(latent_index):
    _, _, embedder, retriever = latent_index
    before = embedder.latent_calls
    # "bees" and "honey" share no word (and no 4-gram) with the Danish text; only the latent terms link them
    question = "Which municipality keeps bees that make honey?"
    latent = retriever.latent_scores(question, np.arange(len(retriever.data.passages)))
    owners = [retriever._case_of[row].municipality for row in np.argsort(-latent)]
    assert owners[0] == "Aarhus" and latent.max() > 0
    hits = retriever.search(question, k=2)
    assert embedder.latent_calls == before + 1
    assert hits[0].case.municipality == "Aarhus"
    retriever.with_config(latent_weight_en=0.0).search(question + " Now.", k=2)
    assert embedder.latent_calls == before + 1  # weight 0: no latent encode
    retriever.search("Hvilken kommune har bier på taget?", k=2)
    assert embedder.latent_calls == before + 1  # Danish: BM25 carries the lexical side, no latent encode


def test_latent_gap_spends_the_second_pass_only_on_near_ties(latent_index):
    """``latent_gap`` (off by default): the latent pass runs only when the best cases are closer than it."""
    _, _, embedder, retriever = latent_index
    question = "Which municipality keeps bees that make honey on a roof?"
    retriever.clear_query_cache()
    before = embedder.latent_calls
    retriever.with_config(latent_gap=0.0).search(question, k=2)
    assert embedder.latent_calls == before  # no gap is below 0: never a second pass
    default = retriever.search(question, k=2)
    assert embedder.latent_calls == before + 1  # the default (inf) always takes it for English
    rows = np.arange(len(retriever.data.passages))
    assert retriever._case_gap(rows, np.zeros(len(rows))) == 0.0  # equal scores: a tie
    first = (retriever._case_rows == retriever._case_rows[0]).astype(float)
    assert retriever._case_gap(rows, first) == 1.0  # one case 1.0 ahead of the other
    assert retriever._case_gap(rows[:1], first[:1]) == float("inf")  # one case only: nothing to break
    wide = retriever.with_config(latent_gap=10.0)
    wide.clear_query_cache()
    assert [h.case.id for h in wide.search(question, k=2)] == [h.case.id for h in default]


def test_latent_codes_are_reused_on_rebuild(latent_index):
    corpus, index, _, _ = latent_index
    with open(corpus / "bier.md", "a", encoding="utf-8") as handle:
        handle.write("\nEn ny afsnit om bestøvning af blomster i byens parker og haver.\n")
    again = LatentFakeEmbedder(dim=64)
    rebuilt = Retriever.load(index, corpus, embedder=again)
    assert again.latent_texts == 1  # only the new paragraph's code is computed
    assert rebuilt.data.manifest["latent"]["encoded"] == 1
    assert rebuilt.data.manifest["latent"]["reused"] == len(rebuilt.data.passages) - 1


def test_embedder_without_latent_terms_builds_without_them(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "partnerskaber-for-handling.txt", corpus)
    retriever = Retriever.build(corpus, tmp_path / "index", embedder=FakeEmbedder())
    assert retriever.data.manifest["latent"] is None and retriever.data.latent_ids is None
    assert not any((tmp_path / "index" / name).exists() for name in LATENT_FILES)
    assert retriever.search("Which municipality works with a company on biodiversity?", k=1)


def test_latent_head_change_makes_the_index_stale(latent_index):
    corpus, index, _, _ = latent_index
    other = LatentFakeEmbedder(dim=64)
    other.FEATURES = 2048
    rebuilt = Retriever.load(index, corpus, embedder=other)
    assert rebuilt.data.manifest["latent"]["features"] == 2048
    assert other.latent_texts == len(rebuilt.data.passages)  # old codes not reused under another head


@pytest.mark.parametrize("damage, message", [
    (lambda index: (index / LATENT_FILES[0]).unlink(), "latent_ids.npy is missing"),
    (lambda index: (index / LATENT_FILES[1]).write_bytes(b"garbage"), "latent_weights.npy"),
    (lambda index: np.save(index / LATENT_FILES[0], np.full_like(np.load(index / LATENT_FILES[0]), 99999)),
     "latent_ids.npy does not match its checksum"),
])
def test_damaged_latent_files_are_a_clear_error(latent_index, damage, message):
    _, index, _, _ = latent_index
    damage(index)  # (the out-of-range file has the same size: its checksum catches it)
    with pytest.raises(IndexLoadError, match=message):
        load_index(index)


@pytest.mark.integration
def test_real_model_latent_terms_improve_english_questions(real_retriever):
    """With the bundled sparse head, English questions of the bundled set rank the right case higher
    (case MRR over all of them) than the same hybrid without latent terms; Danish ones are untouched."""
    data = real_retriever.data
    assert data.manifest["latent"]["features"] > 0 and data.latent_ids is not None
    questions = [q for q in load_questions(CORPUS / "questions.jsonl") if q.municipality or q.kind == "theme"]

    def mrr(retriever, lang):
        ranks = []
        for q in (q for q in questions if q.lang == lang):
            relevant = set(relevant_cases(q, retriever.cases.values()))
            ranking = case_ranking(retriever.search(q.question, k=10))
            ranks.append(next((1 / i for i, c in enumerate(ranking, 1) if c in relevant), 0.0))
        return float(np.mean(ranks))

    plain = real_retriever.with_config(latent_weight_en=0.0)
    assert mrr(real_retriever, "en") > mrr(plain, "en") + 0.02
    assert mrr(real_retriever, "da") == mrr(plain, "da")
