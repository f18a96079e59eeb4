"""Dense vector index over normalised embeddings: FAISS inner product (= cosine)."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

# Exact search while it is fast enough; beyond that an HNSW graph (see bench/ for the numbers).
EXACT_LIMIT = 200_000


def choose_index_type(count: int) -> str:
    return "flat" if count <= EXACT_LIMIT else "hnsw"


class DenseIndex:
    """A FAISS index whose row i is passage i of the index folder."""

    def __init__(self, index: faiss.Index, index_type: str) -> None:
        self.index = index
        self.index_type = index_type

    @property
    def dim(self) -> int:
        return int(self.index.d)

    def __len__(self) -> int:
        return int(self.index.ntotal)

    @classmethod
    def build(cls, vectors: np.ndarray, index_type: str = "auto", hnsw_m: int = 32,
              ef_construction: int = 80, ef_search: int = 64) -> DenseIndex:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or len(vectors) == 0:
            raise ValueError("cannot build a dense index from no vectors")
        if index_type == "auto":
            index_type = choose_index_type(len(vectors))
        dim = vectors.shape[1]
        if index_type == "flat":
            index = faiss.IndexFlatIP(dim)
        elif index_type == "hnsw":
            index = faiss.IndexHNSWFlat(dim, hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = ef_construction
            index.hnsw.efSearch = ef_search
        else:
            raise ValueError(f"unknown dense index type {index_type!r} (flat, hnsw, auto)")
        index.add(vectors)
        return cls(index, index_type)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, row ids) of the k nearest rows, best first; ids of -1 are dropped."""
        k = max(1, min(int(k), len(self)))
        scores, ids = self.index.search(np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1), k)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def save(self, path: Path) -> None:
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, index_type: str) -> DenseIndex:
        index = faiss.read_index(str(path))
        if index_type == "hnsw":
            faiss.downcast_index(index).hnsw.efSearch = 64
        return cls(index, index_type)
