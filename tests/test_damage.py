"""A damaged index is detected, named and left alone; a rebuild never reuses damaged data.

Every file of a freshly built index (latent files and bm25/ included) is damaged in turn: one byte in its
middle is changed, its size kept, so only a content check can tell. Loading must then raise
``IndexLoadError`` naming the file (README, "Bad input": "a damaged or truncated index file
(IndexLoadError, naming the file; the index is left as it is)").
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest
from conftest import CORPUS, LatentFakeEmbedder

from assistant.retriever import Retriever
from assistant.store import IndexLoadError

pytestmark = pytest.mark.unit

QUERY = "insekthoteller og biodiversitet"


def _is_index_content(path: Path) -> bool:
    return path.is_file() and path.name != "manifest.json" and not path.name.lower().startswith("readme")


def _index_files() -> list[str]:
    """The files of a freshly built index (relative paths), found at collection: new files are covered."""
    try:
        with tempfile.TemporaryDirectory() as tmp:
            corpus = Path(tmp) / "corpus"
            corpus.mkdir()
            shutil.copy(CORPUS / "partnerskaber-for-handling.txt", corpus)
            index = Path(tmp) / "index"
            Retriever.build(corpus, index, embedder=LatentFakeEmbedder())
            return sorted(p.relative_to(index).as_posix() for p in index.rglob("*") if _is_index_content(p))
    except Exception as exc:  # noqa: BLE001 - reported by the tests, not as a collection error
        return [f"<building an index failed: {type(exc).__name__}: {exc}>"]


INDEX_FILES = _index_files()


class Built(NamedTuple):
    corpus: Path
    index: Path
    retriever: Retriever


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Built:
    """The bundled corpus indexed with the latent fake embedder (never modified: tests damage copies)."""
    root = tmp_path_factory.mktemp("pristine")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "partnerskaber-for-handling.txt", corpus)
    index = root / "index"
    return Built(corpus, index, Retriever.build(corpus, index, embedder=LatentFakeEmbedder()))


@pytest.fixture
def index(pristine, tmp_path) -> Path:
    """A copy of the pristine index to damage."""
    return Path(shutil.copytree(pristine.index, tmp_path / "index"))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def flip_middle_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    assert data, f"{path} is empty"
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def load(index: Path, corpus: Path, rebuild: bool = False) -> Retriever:
    return Retriever.load(index, corpus=corpus, embedder=LatentFakeEmbedder(), rebuild=rebuild)


def assert_load_names(index: Path, corpus: Path, name: str, rebuild: bool = False) -> None:
    """Loading raises IndexLoadError naming ``name`` and leaves every file of the index as it was."""
    before = snapshot(index)
    with pytest.raises(IndexLoadError) as exc:
        load(index, corpus, rebuild=rebuild)
    assert name in str(exc.value), f"the error does not name {name}: {exc.value}"
    assert snapshot(index) == before, "the damaged index was changed"


# ---- one changed byte in any file ----------------------------------------------------------------------

def test_the_index_has_the_files_the_damage_tests_expect():
    assert not INDEX_FILES[0].startswith("<"), INDEX_FILES[0]
    for name in ("cases.json", "embeddings.npy", "sentences.npy", "latent_ids.npy", "latent_weights.npy"):
        assert name in INDEX_FILES
    assert any(name.startswith("bm25/") for name in INDEX_FILES)


def test_the_pristine_copy_loads(pristine, index):
    assert load(index, pristine.corpus).search(QUERY, k=3)


@pytest.mark.parametrize("name", INDEX_FILES)
def test_a_changed_byte_in_any_index_file_is_named_on_load(pristine, index, name):
    target = index / name
    size = target.stat().st_size
    flip_middle_byte(target)
    assert target.stat().st_size == size
    assert_load_names(index, pristine.corpus, Path(name).name)


@pytest.mark.parametrize("name", INDEX_FILES)
def test_a_damaged_index_is_not_rebuilt_silently_on_load(pristine, index, name):
    """Retriever.load's default rebuild=True rebuilds a stale index, not a damaged one."""
    flip_middle_byte(index / name)
    assert_load_names(index, pristine.corpus, Path(name).name, rebuild=True)


def test_a_nan_in_one_embedding_row_is_detected(pristine, index):
    path = index / "embeddings.npy"
    size = path.stat().st_size
    vectors = np.load(path)
    vectors[1, 0] = np.nan
    np.save(path, vectors)
    assert path.stat().st_size == size
    assert_load_names(index, pristine.corpus, "embeddings.npy")


def test_an_edited_contact_email_in_cases_json_is_detected(pristine, index):
    path = index / "cases.json"
    text = path.read_text(encoding="utf-8")
    field = re.compile(r'("email":\s*")bejo@frederikshavn\.dk"')  # the contact's, not the case text's
    assert len(field.findall(text)) == 1
    edited = field.sub(r'\1evil@frederikshavn.dk"', text)
    assert len(edited.encode("utf-8")) == len(text.encode("utf-8"))
    path.write_text(edited, encoding="utf-8")
    assert_load_names(index, pristine.corpus, "cases.json")


# ---- a build over a damaged index -----------------------------------------------------------------------

def _arrays(retriever: Retriever) -> dict[str, np.ndarray]:
    data = retriever.data
    return {"vectors": np.asarray(data.vectors), "sentence_vectors": np.asarray(data.sentence_vectors),
            "latent_ids": np.asarray(data.latent_ids), "latent_weights": np.asarray(data.latent_weights)}


def _assert_like_pristine(pristine: Built, index: Path) -> None:
    loaded = load(index, pristine.corpus)
    for name, expected in _arrays(pristine.retriever).items():
        np.testing.assert_array_equal(_arrays(loaded)[name], expected, err_msg=f"{name} differs from a clean build")
    assert [c.contact for c in loaded.data.cases] == [c.contact for c in pristine.retriever.data.cases]
    hits = loaded.search(QUERY, k=3)
    assert hits and all(np.isfinite(h.score) for h in hits)
    assert hits[0].case.municipality == pristine.retriever.search(QUERY, k=3)[0].case.municipality


@pytest.mark.parametrize("name", INDEX_FILES)
def test_a_build_over_a_damaged_index_gives_a_clean_index(pristine, index, name):
    flip_middle_byte(index / name)
    Retriever.build(pristine.corpus, index, embedder=LatentFakeEmbedder())
    _assert_like_pristine(pristine, index)


@pytest.mark.parametrize("damage", ["changed byte", "nan"])
@pytest.mark.parametrize("name", ["embeddings.npy", "sentences.npy"])
def test_a_build_over_damaged_vectors_embeds_again(pristine, index, name, damage):
    path = index / name
    if damage == "nan":
        vectors = np.load(path)
        vectors[len(vectors) // 2, 0] = np.nan
        np.save(path, vectors)
    else:
        flip_middle_byte(path)
    Retriever.build(pristine.corpus, index, embedder=LatentFakeEmbedder())
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["embedded"] > 0, "the damaged vectors were reused"
    _assert_like_pristine(pristine, index)


@pytest.mark.parametrize("name", ["latent_ids.npy", "latent_weights.npy"])
def test_a_build_over_damaged_latent_codes_encodes_again(pristine, index, name):
    flip_middle_byte(index / name)
    Retriever.build(pristine.corpus, index, embedder=LatentFakeEmbedder())
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["latent"]["encoded"] > 0, "the damaged latent codes were reused"
    _assert_like_pristine(pristine, index)


# ---- a damaged or missing manifest ------------------------------------------------------------------------

@pytest.mark.parametrize("rebuild", [False, True])
def test_an_empty_manifest_is_an_error_and_is_not_overwritten(pristine, index, monkeypatch, rebuild):
    (index / "manifest.json").write_text("{}", encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_CORPUS", str(pristine.corpus))  # a corpus it could (wrongly) rebuild from
    before = snapshot(index)
    with pytest.raises(IndexLoadError) as exc:
        Retriever.load(index, embedder=LatentFakeEmbedder(), rebuild=rebuild)
    assert "manifest.json" in str(exc.value)
    assert (index / "manifest.json").read_text(encoding="utf-8") == "{}"
    assert snapshot(index) == before


@pytest.mark.parametrize("text", ["[" * 100_000, '{"a": ' * 100_000], ids=["lists", "objects"])
@pytest.mark.parametrize("rebuild", [False, True])
def test_a_deeply_nested_manifest_is_an_index_load_error(pristine, index, text, rebuild):
    (index / "manifest.json").write_text(text, encoding="utf-8")
    before = snapshot(index)
    with pytest.raises(IndexLoadError) as exc:  # not RecursionError
        load(index, pristine.corpus, rebuild=rebuild)
    assert "manifest.json" in str(exc.value)
    assert snapshot(index) == before


@pytest.mark.parametrize("rebuild", [False, True])
def test_a_deleted_manifest_is_named(pristine, index, rebuild):
    (index / "manifest.json").unlink()
    assert_load_names(index, pristine.corpus, "manifest.json", rebuild=rebuild)
