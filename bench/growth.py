"""Growth: the dense index and BM25 at a given number of rows, one size per process.

    python bench/growth.py dense 100000      # JSON on stdout
    python bench/growth.py bm25 100000

Each size runs in its own process so that its memory high-water mark is its own. Memory figures
come from /proc/self/status (VmRSS, VmHWM; the peak is reset through /proc/self/clear_refs
before each build where the kernel allows it).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from synthetic import ClusteredVectors, zipf_queries, zipf_token_docs

QUERIES = 200
WARMUP = 20
RETRIEVER_K = 200  # the retriever asks the dense index for 2 x SearchConfig.candidates rows
SPARSE_CANDIDATES = 100


def _status(field: str) -> int:
    """A /proc/self/status figure in bytes (0 where there is no /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def rss() -> int:
    return _status("VmRSS")


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak() -> int:
    return _status("VmHWM")


def percentiles(seconds: list[float]) -> dict:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1e3, 3), "p95_ms": round(p95 * 1e3, 3),
            "n": len(ordered)}


def _timed(call, items) -> list[float]:
    for item in items[:WARMUP]:
        call(item)
    out = []
    for item in items:
        started = time.perf_counter()
        call(item)
        out.append(time.perf_counter() - started)
    return out


def dense(size: int, index_type: str = "auto") -> dict:
    import faiss

    from assistant.dense import DenseIndex, choose_index_type

    mixture = ClusteredVectors()
    started = time.perf_counter()
    vectors = mixture.sample(size, seed=1)
    queries = mixture.sample(QUERIES, seed=2)
    generated = time.perf_counter() - started

    before = rss()
    reset = reset_peak()
    started = time.perf_counter()
    index = DenseIndex.build(vectors, index_type)
    build_seconds = time.perf_counter() - started
    build_peak = peak() - before if reset else None
    index_rss = rss() - before
    index_bytes = int(len(faiss.serialize_index(index.index)))

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dense.faiss"
        index.save(path)
        started = time.perf_counter()
        DenseIndex.load(path, index.index_type, index.params)
        load_seconds = time.perf_counter() - started

    latency = percentiles(_timed(lambda q: index.search(q, RETRIEVER_K), list(queries)))
    latency_k10 = percentiles(_timed(lambda q: index.search(q, 10), list(queries)))

    # exact search (brute force over the same float32 vectors) for recall and for comparison
    _, truth = faiss.knn(queries, vectors, RETRIEVER_K, metric=faiss.METRIC_INNER_PRODUCT)
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    exact = percentiles(_timed(lambda q: faiss.knn(q[None, :], vectors, RETRIEVER_K,
                                                   metric=faiss.METRIC_INNER_PRODUCT), list(queries[:60])))
    faiss.omp_set_num_threads(threads)
    recall, reranked = [], []
    for q, true in zip(queries, truth, strict=True):
        _, ids = index.search(q, RETRIEVER_K)
        best = set(true[:10].tolist())
        recall.append(len(best & set(ids[:10].tolist())) / 10)
        # what the retriever does: exact scores for the candidates, then the top 10
        rescored = ids[np.argsort(-(vectors[ids] @ q), kind="stable")[:10]]
        reranked.append(len(best & set(rescored.tolist())) / 10)
    return {
        "rows": size, "requested": index_type, "dim": int(vectors.shape[1]), "index_type": index.index_type, "params": index.params,
        "auto_type": choose_index_type(size), "generate_seconds": round(generated, 2),
        "build_seconds": round(build_seconds, 3), "load_seconds": round(load_seconds, 3),
        "index_bytes": index_bytes, "index_rss_bytes": index_rss, "build_peak_extra_bytes": build_peak,
        "vectors_bytes": int(vectors.nbytes), "process_peak_bytes": peak(),
        "query_k200": latency, "query_k10": latency_k10, "exact_query_k200": exact,
        "recall_at_10": round(float(np.mean(recall)), 4),
        "recall_at_10_after_exact_rerank_of_200": round(float(np.mean(reranked)), 4),
    }


class _Docs(list):
    """Documents as token-id lists made on the fly from one flat array (the list bm25s wants,
    without 49M Python ints held at once)."""

    def __init__(self, flat: np.ndarray, bounds: np.ndarray) -> None:
        super().__init__()
        self.flat, self.bounds = flat, bounds

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def __iter__(self):
        for i in range(len(self.bounds) - 1):
            yield self.flat[self.bounds[i]:self.bounds[i + 1]].tolist()


def heaps_vocabulary(tokens: int) -> int:
    """Distinct terms for a corpus of ``tokens`` tokens (Heaps' law, K=30, beta=0.55)."""
    return int(30 * tokens ** 0.55)


def bm25(size: int) -> dict:
    import bm25s

    mean_len = 49
    vocab = heaps_vocabulary(size * mean_len)
    started = time.perf_counter()
    docs = zipf_token_docs(size, vocab=vocab, mean_len=mean_len, seed=3, as_arrays=True)
    queries = zipf_queries(QUERIES, vocab=vocab, seed=4)
    generated = time.perf_counter() - started
    flat, bounds = docs
    used = np.unique(flat)
    vocab_dict = {int(t): i for i, t in enumerate(used.tolist())}
    remap = np.full(vocab, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    corpus = _Docs(remap[flat].astype(np.int32), bounds)

    before = rss()
    reset = reset_peak()
    started = time.perf_counter()
    model = bm25s.BM25(k1=1.2, b=0.75)
    model.index((corpus, vocab_dict), create_empty_token=False, show_progress=False)
    build_seconds = time.perf_counter() - started
    build_peak = peak() - before if reset else None
    index_bytes = sum(int(model.scores[k].nbytes) for k in ("data", "indices", "indptr"))

    query_ids = [[int(remap[t]) for t in q if remap[t] >= 0] or [0] for q in queries]

    def search(ids: list[int]) -> None:
        # what SparseIndex.scores and the retriever do: every document's score, then the top 100
        scores = model.get_scores_from_ids(ids)
        np.argpartition(-scores, SPARSE_CANDIDATES)[:SPARSE_CANDIDATES]

    latency = percentiles(_timed(search, query_ids))
    return {"docs": size, "mean_tokens": mean_len, "vocabulary": int(len(used)), "tokens": int(len(flat)),
            "generate_seconds": round(generated, 2), "build_seconds": round(build_seconds, 3),
            "docs_per_second": round(size / build_seconds, 1), "index_bytes": index_bytes,
            "index_rss_bytes": rss() - before, "build_peak_extra_bytes": build_peak,
            "process_peak_bytes": peak(), "query_scores_top100": latency}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=["dense", "bm25"])
    parser.add_argument("size", type=int)
    parser.add_argument("--index-type", default="auto")
    args = parser.parse_args(argv)
    result = dense(args.size, args.index_type) if args.part == "dense" else bm25(args.size)
    json.dump(result, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
