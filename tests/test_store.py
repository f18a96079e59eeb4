"""The index folder: round trip, stale-index rebuilds, interrupted builds, damaged files."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import FakeEmbedder

from assistant.corpus import CorpusError, corpus_hash
from assistant.retriever import Retriever
from assistant.store import FORMAT_VERSION, REQUIRED, IndexLoadError, StaleIndexError, build_index, load_index

pytestmark = pytest.mark.unit

FIXTURE_CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
MARKDOWN_CASE = FIXTURE_CORPUS / "groenne-tage-aalborg.md"


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(parent: Path) -> list[str]:
    """Temporary build folders (".index.tmp-…", ".index.old-…") left next to the index."""
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.fixture
def built(corpus_copy, tmp_path):
    """An index of the bundled corpus built with the fake embedder: (index folder, embedder, data)."""
    embedder = FakeEmbedder()
    index = tmp_path / "index"
    data = build_index(corpus_copy, index, embedder)
    return index, embedder, data


# ---- round trip ----------------------------------------------------------------------------------

def test_build_then_load_round_trip(built):
    index, _, data = built
    loaded = load_index(index)
    assert loaded.cases == data.cases
    assert loaded.passages == data.passages
    assert loaded.vectors.dtype == np.float32
    np.testing.assert_array_equal(loaded.vectors, data.vectors)
    for field in dataclasses.fields(data):  # every array the index keeps (vectors and any others)
        if isinstance(getattr(data, field.name), np.ndarray):
            np.testing.assert_array_equal(getattr(loaded, field.name), getattr(data, field.name))
    assert loaded.manifest == data.manifest
    assert len(loaded.dense) == len(data.dense) >= len(data.passages)
    query = "insekthoteller og biodiversitet"
    np.testing.assert_allclose(loaded.sparse.scores(query), data.sparse.scores(query))
    assert [c.municipality for c in loaded.cases] == [None, "Frederikshavn", "Norddjurs", "Herning", "Gladsaxe",
                                                      "Aarhus"]


def test_round_trip_keeps_phone_documents_links_and_null_fields(tmp_path):
    data = build_index(FIXTURE_CORPUS, tmp_path / "index", FakeEmbedder())
    loaded = load_index(tmp_path / "index")
    assert loaded.cases == data.cases
    cases = {c.id: c for c in loaded.cases}
    assert cases["vejle-naar-vandet-stiger-i-vejle-fjord"].contact.phone == "+4576810000"
    assert cases["skive-halm-og-traeflis-i-stedet-for-olie"].documents[0].url == \
        "https://example.org/skive/energiplan.pdf"
    assert cases["lolland-brint"].municipality is None and cases["lolland-brint"].contact is None


def test_index_folder_holds_plain_files_and_a_manifest(built, corpus_copy):
    index, embedder, data = built
    assert sorted(p.name for p in index.iterdir()) == sorted(REQUIRED)
    assert {"manifest.json", "cases.json", "passages.jsonl", "embeddings.npy", "dense.faiss", "bm25"} <= set(REQUIRED)
    assert not any(p.suffix in {".pkl", ".pickle"} for p in index.rglob("*"))
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == FORMAT_VERSION == 2
    assert set(manifest["files"]) >= {"cases.json", "embeddings.npy", "bm25/vocabulary.json"}
    assert all(set(r) == {"bytes", "sha256"} for r in manifest["files"].values())
    assert manifest["embedder"] == {"kind": "fake", "name": "fake", "fingerprint": "fake-fake-256", "dim": 256}
    assert manifest["corpus"]["hash"] == corpus_hash(corpus_copy)
    assert manifest["cases"] == 6
    assert manifest["passages"] == len(data.passages) == len(index.joinpath("passages.jsonl").read_text(
        encoding="utf-8").splitlines())
    assert manifest["embedded"] == embedder.embedded >= len(data.passages)
    assert manifest["reused_embeddings"] == 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}", manifest["built_at"])
    assert isinstance(manifest["build_seconds"], float)
    assert np.load(index / "embeddings.npy", allow_pickle=False).shape == (len(data.passages), 256)


def test_passage_ids_are_stable_across_builds(corpus_copy, tmp_path):
    first = build_index(corpus_copy, tmp_path / "a", FakeEmbedder())
    second = build_index(corpus_copy, tmp_path / "b", FakeEmbedder())
    assert [p.id for p in first.passages] == [p.id for p in second.passages]
    assert len({p.id for p in first.passages}) == len(first.passages)


def test_rebuild_in_place_reuses_every_embedding(built, corpus_copy):
    index, _, data = built
    again = FakeEmbedder()
    rebuilt = build_index(corpus_copy, index, again)
    assert again.embedded == 0
    assert rebuilt.manifest["embedded"] == 0
    assert rebuilt.manifest["reused_embeddings"] == data.manifest["embedded"]
    np.testing.assert_array_equal(rebuilt.vectors, data.vectors)
    assert leftovers(index.parent) == []


# ---- Retriever.load: build when missing, rebuild when stale ---------------------------------------

def test_load_builds_a_missing_index(corpus_copy, tmp_path):
    embedder = FakeEmbedder()
    index = tmp_path / "new" / "index"
    retriever = Retriever.load(index, corpus=corpus_copy, embedder=embedder)
    assert (index / "manifest.json").is_file()
    assert embedder.embedded == retriever.data.manifest["embedded"] >= len(retriever.data.passages)
    assert retriever.search("insekthoteller", k=1)[0].case.municipality == "Frederikshavn"


def test_load_of_a_fresh_index_embeds_nothing(built):
    index, _, data = built
    embedder = FakeEmbedder()
    retriever = Retriever.load(index, embedder=embedder)
    assert embedder.embedded == 0
    assert retriever.data.manifest["built_at"] == data.manifest["built_at"]
    assert retriever.search("Halmstad", k=1)[0].case.municipality == "Norddjurs"
    assert embedder.embedded == 1  # the question only


def test_changed_corpus_rebuilds_and_embeds_only_new_passages(built, corpus_copy, tmp_path):
    index, _, data = built
    # what the new case alone costs to embed, measured on a corpus holding only that case
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(MARKDOWN_CASE, alone)
    new_case = FakeEmbedder()
    only_new = build_index(alone, tmp_path / "alone-index", new_case)
    assert len(only_new.passages) == 2  # two sections of one paragraph each
    shutil.copy(MARKDOWN_CASE, corpus_copy)
    embedder = FakeEmbedder()
    # no corpus given: the one recorded in the manifest is checked
    retriever = Retriever.load(index, embedder=embedder)
    manifest = retriever.data.manifest
    assert manifest["corpus"]["hash"] == corpus_hash(corpus_copy)
    assert manifest["cases"] == 7
    # only the Aalborg case's texts are embedded; every other vector comes from the old index
    assert embedder.embedded == new_case.embedded == manifest["embedded"]
    assert manifest["reused_embeddings"] == data.manifest["embedded"]
    assert manifest["passages"] == len(data.passages) + 2
    old_rows = {p.id: i for i, p in enumerate(data.passages)}
    for i, p in enumerate(retriever.data.passages):
        if p.id in old_rows:
            np.testing.assert_array_equal(retriever.data.vectors[i], data.vectors[old_rows[p.id]])
    top = retriever.search("sedum på skolernes tage", k=1)[0]
    assert top.case.municipality == "Aalborg"
    assert top.case.contact.email == "sawi@aalborg.dk"


def test_other_embedder_rebuilds_everything(built):
    index, _, data = built
    other = FakeEmbedder(name="other")
    retriever = Retriever.load(index, embedder=other)
    assert other.embedded == data.manifest["embedded"] >= len(data.passages)
    assert retriever.data.manifest["embedder"]["name"] == "other"
    assert retriever.data.manifest["embedder"]["fingerprint"] == "fake-other-256"


def test_stale_index_with_rebuild_false_raises_and_keeps_the_index(built, corpus_copy):
    index, _, _ = built
    before = snapshot(index)
    shutil.copy(MARKDOWN_CASE, corpus_copy)
    with pytest.raises(IndexLoadError, match="is stale: the corpus in .* changed"):
        Retriever.load(index, embedder=FakeEmbedder(), rebuild=False)
    with pytest.raises(IndexLoadError, match="is stale: the index was built with 'fake'"):
        Retriever.load(index, corpus=FIXTURE_CORPUS.parent / "missing", embedder=FakeEmbedder(name="x"),
                       rebuild=False)
    assert snapshot(index) == before


def test_missing_index_with_rebuild_false_raises(tmp_path, corpus_copy):
    with pytest.raises(IndexLoadError, match="no index at"):
        Retriever.load(tmp_path / "index", corpus=corpus_copy, embedder=FakeEmbedder(), rebuild=False)
    assert not (tmp_path / "index").exists()


def test_missing_index_and_missing_corpus(tmp_path):
    with pytest.raises(CorpusError, match="no corpus folder at"):
        Retriever.load(tmp_path / "index", corpus=tmp_path / "nowhere", embedder=FakeEmbedder())


def test_vanished_corpus_keeps_serving_the_index(built, corpus_copy):
    index, _, data = built
    shutil.rmtree(corpus_copy)
    retriever = Retriever.load(index, embedder=FakeEmbedder())
    assert retriever.data.passages == data.passages


def test_format_version_mismatch_is_stale_not_a_crash(built):
    index, _, _ = built
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 99
    (index / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(StaleIndexError, match="has format 99"):
        load_index(index)


# ---- an interrupted build leaves the old index usable -------------------------------------------

def _boom(*args, **kwargs):
    raise RuntimeError("simulated crash mid-build")


@pytest.mark.parametrize("target", ["assistant.store.SparseIndex.build", "assistant.store.DenseIndex.save",
                                    "assistant.sparse.SparseIndex.save"])
def test_interrupted_build_leaves_the_old_index(built, corpus_copy, monkeypatch, target):
    index, _, data = built
    before = snapshot(index)
    shutil.copy(MARKDOWN_CASE, corpus_copy)
    monkeypatch.setattr(target, _boom)
    with pytest.raises(RuntimeError, match="simulated crash"):
        Retriever.load(index, embedder=FakeEmbedder())
    monkeypatch.undo()
    assert snapshot(index) == before
    assert leftovers(index.parent) == []
    assert load_index(index).passages == data.passages


def test_failed_swap_puts_the_old_index_back(built, corpus_copy, monkeypatch):
    index, _, data = built
    before = snapshot(index)
    shutil.copy(MARKDOWN_CASE, corpus_copy)
    real_replace = os.replace

    def replace(src, dst):
        if ".tmp-" in os.fspath(src):
            raise OSError("simulated failure moving the new index into place")
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(OSError, match="simulated failure"):
        build_index(corpus_copy, index, FakeEmbedder())
    monkeypatch.undo()
    assert snapshot(index) == before
    assert leftovers(index.parent) == []
    assert load_index(index).passages == data.passages


def test_embedder_failure_mid_build_leaves_the_old_index(built, corpus_copy):
    index, _, _ = built
    before = snapshot(index)
    shutil.copy(MARKDOWN_CASE, corpus_copy)

    class Failing(FakeEmbedder):
        def embed(self, texts, kind="passage"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_index(corpus_copy, index, Failing())
    assert snapshot(index) == before
    assert leftovers(index.parent) == []


def test_build_refuses_to_replace_a_folder_that_is_not_an_index(corpus_copy, tmp_path):
    target = tmp_path / "documents"
    target.mkdir()
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(IndexLoadError, match="refusing to write the index into .*documents.*not an index"):
        build_index(corpus_copy, target, FakeEmbedder())
    assert snapshot(target) == {"notes.txt": b"mine"}
    with pytest.raises(IndexLoadError, match="refusing"):
        Retriever.load(target, corpus=corpus_copy, embedder=FakeEmbedder())
    assert snapshot(target) == {"notes.txt": b"mine"}
    # the corpus folder itself given as the index is the same mistake
    with pytest.raises(IndexLoadError, match="refusing"):
        build_index(corpus_copy, corpus_copy, FakeEmbedder())
    assert (corpus_copy / "partnerskaber-for-handling.txt").is_file()


def test_build_into_an_empty_folder_keeps_its_readme(corpus_copy, tmp_path):
    target = tmp_path / "index"
    target.mkdir()
    (target / "README.md").write_text("built by assistant build", encoding="utf-8")
    build_index(corpus_copy, target, FakeEmbedder())
    assert (target / "README.md").read_text(encoding="utf-8") == "built by assistant build"
    assert (target / "manifest.json").is_file()


# ---- damaged files: a clear ValueError naming the file, and nothing deleted ------------------------

def _truncate_embeddings(index: Path) -> None:
    path = index / "embeddings.npy"
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garbage_dense_same_size(index: Path) -> None:
    path = index / "dense.faiss"
    path.write_bytes(b"\x00garbage!" * (path.stat().st_size // 9) + b"x" * (path.stat().st_size % 9))


def _garbage_dense_short(index: Path) -> None:
    (index / "dense.faiss").write_bytes(b"not a faiss index")


def _invalid_manifest(index: Path) -> None:
    (index / "manifest.json").write_text('{"format_version": 1, "embedder": ', encoding="utf-8")


def _manifest_not_an_object(index: Path) -> None:
    (index / "manifest.json").write_text("[1, 2, 3]", encoding="utf-8")


def _manifest_with_wrong_shape(index: Path) -> None:
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"] = ["embeddings.npy"]
    (index / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


def _delete_bm25(index: Path) -> None:
    shutil.rmtree(index / "bm25")


def _delete_passages(index: Path) -> None:
    (index / "passages.jsonl").unlink()


def _cases_garbage_same_size(index: Path) -> None:
    path = index / "cases.json"
    path.write_bytes(b"{" * path.stat().st_size)


def _truncate_embeddings_without_size_record(index: Path) -> None:
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    del manifest["files"]
    (index / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    _truncate_embeddings(index)


def _bm25_garbage(index: Path) -> None:
    for path in (index / "bm25").iterdir():
        if path.suffix in {".npy", ".json"}:
            path.write_bytes(b"\x93NUMPY garbage")


@pytest.mark.parametrize("damage, message", [
    (_truncate_embeddings, r"embeddings\.npy has \d+ bytes, the manifest says \d+"),
    (_truncate_embeddings_without_size_record, r"manifest\.json has no valid 'files' record"),
    (_garbage_dense_same_size, r"dense\.faiss does not match its checksum"),
    (_garbage_dense_short, r"dense\.faiss has \d+ bytes"),
    (_invalid_manifest, r"manifest\.json is not valid JSON"),
    (_manifest_not_an_object, r"manifest\.json is not an object"),
    (_manifest_with_wrong_shape, r"manifest\.json has no valid 'files' record"),
    (_delete_bm25, r"bm25 is missing"),
    (_delete_passages, r"passages\.jsonl is missing"),
    (_cases_garbage_same_size, r"cases\.json does not match its checksum"),
    (_bm25_garbage, r"bm25/\S+ has \d+ bytes"),
])
def test_damaged_index_is_a_clear_error_and_is_not_overwritten(built, damage, message):
    index, _, _ = built
    damage(index)
    damaged = snapshot(index)
    with pytest.raises(IndexLoadError, match=message) as caught:
        load_index(index)
    assert isinstance(caught.value, ValueError)
    assert str(index) in str(caught.value)
    # the retriever refuses too (the corpus is unchanged, so there is no reason to rebuild silently)
    with pytest.raises(IndexLoadError, match=message):
        Retriever.load(index, embedder=FakeEmbedder())
    assert snapshot(index) == damaged
    assert leftovers(index.parent) == []


def test_explicit_build_replaces_a_damaged_index(built, corpus_copy):
    index, _, data = built
    _invalid_manifest(index)
    rebuilt = Retriever.build(corpus_copy, index, embedder=FakeEmbedder())
    assert load_index(index).passages == data.passages == rebuilt.data.passages


def test_a_killed_build_leaves_no_temp_folder_behind_after_the_next_build(built, corpus_copy):
    # a build killed outright (SIGKILL) leaves its temp folder; the next build removes it
    index, _, _ = built
    dead = index.parent / ".index.tmp-999999999-1"
    dead.mkdir()
    (dead / "embeddings.npy").write_bytes(b"partial")
    Retriever.build(corpus_copy, index, embedder=FakeEmbedder())
    assert not dead.exists()
    assert leftovers(index.parent) == []
    load_index(index)
