"""Dense vector index over normalised embeddings: FAISS inner product (= cosine).

The index type follows the number of rows (passage vectors + sentence vectors), from the numbers
in bench/ (README, Performance):

- ``flat``: exact search up to EXACT_LIMIT rows, while a query costs at most ~2 ms, under a tenth
  of embedding the question (it scans every vector: ~6 ms at 50k rows, ~10 ms at 100k on 2 cores);
- ``ivf_sq8`` beyond: an inverted file (k-means cells, ``nprobe`` of them searched) over 8-bit
  scalar-quantised vectors, a quarter of the memory of float32 (1M x 384 dims: ~0.4 GB instead of
  1.5 GB); a query takes ~0.7 ms at 100k rows and ~1.6 ms at 1M, recall@10 0.99 against exact
  search (bench/results/);
- ``hnsw_sq8`` (graph over 8-bit vectors) and ``hnsw`` (graph over float32) can be asked for.

The type and its parameters are recorded in the index manifest (``dense_index``,
``dense_params``) and restored by ``load``.
"""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

EXACT_LIMIT = 20_000
INDEX_TYPES = ("flat", "ivf_sq8", "hnsw_sq8", "hnsw")
NPROBE = 32           # cells searched per query (ivf_sq8)
HNSW_M = 32           # graph degree (hnsw, hnsw_sq8)
EF_CONSTRUCTION = 80
EF_SEARCH = 128
TRAIN_PER_CELL = 64   # k-means training points per cell (faiss wants at least 39)
SEARCH_THREADS = 1    # one query is fastest on one thread when cores are shared (see bench/)


def choose_index_type(count: int) -> str:
    return "flat" if count <= EXACT_LIMIT else "ivf_sq8"


def default_nlist(count: int) -> int:
    """About 2·sqrt(rows) cells, a power of two between 64 and 65,536 (1M rows: 2,048)."""
    return int(min(65536, max(64, 2 ** round(math.log2(2 * math.sqrt(max(count, 1)))))))


def _set_search_params(index: faiss.Index, index_type: str, params: dict) -> None:
    if index_type == "ivf_sq8":
        faiss.extract_index_ivf(index).nprobe = int(params["nprobe"])
    elif index_type in ("hnsw", "hnsw_sq8"):
        faiss.downcast_index(index).hnsw.efSearch = int(params["efSearch"])


class DenseIndex:
    """A FAISS index whose row i is vector i of the index folder."""

    def __init__(self, index: faiss.Index, index_type: str, params: dict | None = None) -> None:
        if index_type not in INDEX_TYPES:
            raise ValueError(f"unknown dense index type {index_type!r} ({', '.join(INDEX_TYPES)})")
        self.index = index
        self.index_type = index_type
        self.params = dict(params or {})

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @classmethod
    def build(cls, vectors: np.ndarray, index_type: str = "auto", *, nlist: int | None = None,
              nprobe: int = NPROBE, hnsw_m: int = HNSW_M, ef_construction: int = EF_CONSTRUCTION,
              ef_search: int = EF_SEARCH, seed: int = 0) -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) == 0:
            raise ValueError("cannot build a dense index from no vectors")
        if index_type == "auto":
            index_type = choose_index_type(len(vectors))
        if index_type not in INDEX_TYPES:
            raise ValueError(f"unknown dense index type {index_type!r} (auto, {', '.join(INDEX_TYPES)})")
        count, dim = vectors.shape
        params: dict = {}
        if index_type == "flat":
            index = faiss.IndexFlatIP(dim)
        elif index_type == "ivf_sq8":
            nlist = int(nlist or default_nlist(count))
            if nlist > count:
                raise ValueError(f"ivf_sq8 needs at least nlist={nlist} vectors, got {count}")
            index = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dim), dim, nlist,
                                                  faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
            index.cp.seed = seed
            index.train(_sample(vectors, TRAIN_PER_CELL * nlist, seed))
            params = {"nlist": nlist, "nprobe": min(int(nprobe), nlist), "quantizer": "SQ8",
                      "train_points": min(count, TRAIN_PER_CELL * nlist)}
        else:
            if index_type == "hnsw":
                index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            else:
                index = faiss.IndexHNSWSQ(dim, faiss.ScalarQuantizer.QT_8bit, hnsw_m, faiss.METRIC_INNER_PRODUCT)
                index.train(_sample(vectors, 100_000, seed))
            index.hnsw.efConstruction = ef_construction
            params = {"M": hnsw_m, "efConstruction": ef_construction, "efSearch": ef_search}
        _set_search_params(index, index_type, params)
        index.add(vectors)
        return cls(index, index_type, params)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, row ids) of the k nearest rows, best first; ids of -1 are dropped."""
        k = max(1, min(int(k), len(self)))
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(SEARCH_THREADS)
        try:
            scores, ids = self.index.search(query, k)
        finally:
            faiss.omp_set_num_threads(threads)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, index_type: str = "flat", params: dict | None = None) -> DenseIndex:
        """Read a saved index; ``params`` (from the manifest) restores nprobe / efSearch."""
        index = faiss.read_index(str(path))
        params = dict(params or {})
        if index_type == "ivf_sq8":
            params.setdefault("nprobe", NPROBE)
        elif index_type in ("hnsw", "hnsw_sq8"):
            params.setdefault("efSearch", EF_SEARCH)
        _set_search_params(index, index_type, params)
        return cls(index, index_type, params)


def _sample(vectors: np.ndarray, count: int, seed: int) -> np.ndarray:
    if count >= len(vectors):
        return vectors
    rows = np.sort(np.random.default_rng(seed).choice(len(vectors), count, replace=False))
    return vectors[rows]
