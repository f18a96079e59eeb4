"""DenseIndex: each index type builds, finds a stored vector, and survives save/load with its parameters."""

from __future__ import annotations

import faiss
import numpy as np
import pytest

from assistant.dense import EXACT_LIMIT, DenseIndex, choose_index_type, default_nlist

pytestmark = pytest.mark.unit


def _vectors(count: int = 2000, dim: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((20, dim)).astype(np.float32)
    x = centres[rng.integers(0, 20, count)] + 0.3 * rng.standard_normal((count, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_type_follows_size():
    assert choose_index_type(EXACT_LIMIT) == "flat"
    assert choose_index_type(EXACT_LIMIT + 1) == "ivf_sq8"
    assert default_nlist(1_000_000) == 2048
    assert default_nlist(100) == 64


@pytest.mark.parametrize("index_type, params", [
    ("flat", {}),
    ("ivf_sq8", {"nlist": 16, "nprobe": 4}),
    ("hnsw_sq8", {"ef_search": 40}),
    ("hnsw", {"ef_search": 40}),
])
def test_build_search_save_load(tmp_path, index_type, params):
    x = _vectors()
    dense = DenseIndex.build(x, index_type, **params)
    assert (dense.index_type, len(dense), dense.dim) == (index_type, 2000, 32)
    scores, ids = dense.search(x[123], 5)
    assert ids[0] == 123 and scores[0] == pytest.approx(1.0, abs=0.02)
    assert list(scores) == sorted(scores, reverse=True)

    dense.save(tmp_path / "dense.faiss")
    loaded = DenseIndex.load(tmp_path / "dense.faiss", dense.index_type, dense.params)
    assert loaded.params == dense.params
    again_scores, again_ids = loaded.search(x[123], 5)
    assert list(again_ids) == list(ids)
    np.testing.assert_allclose(again_scores, scores, rtol=1e-6)
    if index_type == "ivf_sq8":
        assert dense.params["nlist"] == 16
        assert faiss.extract_index_ivf(loaded.index).nprobe == 4
    elif index_type.startswith("hnsw"):
        assert faiss.downcast_index(loaded.index).hnsw.efSearch == 40


def test_load_restores_search_params_from_the_manifest(tmp_path):
    dense = DenseIndex.build(_vectors(), "ivf_sq8", nlist=16, nprobe=2)
    dense.save(tmp_path / "dense.faiss")
    loaded = DenseIndex.load(tmp_path / "dense.faiss", "ivf_sq8", {"nlist": 16, "nprobe": 9})
    assert faiss.extract_index_ivf(loaded.index).nprobe == 9


def test_search_keeps_the_thread_count():
    before = faiss.omp_get_max_threads()
    DenseIndex.build(_vectors(200), "flat").search(_vectors(1)[0], 3)
    assert faiss.omp_get_max_threads() == before


def test_bad_input_is_a_value_error():
    with pytest.raises(ValueError, match="no vectors"):
        DenseIndex.build(np.zeros((0, 8), np.float32))
    with pytest.raises(ValueError, match="unknown dense index type 'pq'"):
        DenseIndex.build(_vectors(10), "pq")
    with pytest.raises(ValueError, match="needs at least nlist"):
        DenseIndex.build(_vectors(10), "ivf_sq8", nlist=64)
