"""The index folder: plain files + manifest.json, built atomically, checked on load.

    index/
      manifest.json     format version, embedder (name, weights hash, dim), corpus hash, counts, build time
      cases.json        the parsed cases (contacts, sections, documents)
      passages.jsonl    one passage a line, in row order of the vectors
      embeddings.npy    float32 unit vectors, row i = passage i (also the embedding cache)
      sentences.npy     float32 unit vectors of passages' sentences (see chunking.sentence_texts)
      sentences.json    for each sentence vector: its passage row and its text key (cache key)
      dense.faiss       FAISS index over passage vectors then sentence vectors
      bm25/             bm25s files + the compound vocabulary
      latent_ids.npy    int32 (passages x top_k): each passage's strongest latent terms (when the
      latent_weights.npy  model has a sparse head, see embedding.Embedder.latent), weights float32

Nothing is pickled. A build writes a sibling temp folder and renames it into place.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from . import __version__
from .chunking import chunk_cases, sentence_texts, text_key
from .corpus import CorpusError, corpus_hash, load_corpus
from .dense import DenseIndex
from .embedding import Embedder
from .records import Case, Contact, Document, Passage, Section
from .sparse import SparseIndex

FORMAT_VERSION = 1
# bump when parsing, chunking or tokenising changes what is indexed: old indexes then rebuild
PIPELINE_VERSION = 9
REQUIRED = ("manifest.json", "cases.json", "passages.jsonl", "embeddings.npy", "sentences.npy", "sentences.json",
            "dense.faiss", "bm25")
LATENT_FILES = ("latent_ids.npy", "latent_weights.npy")
EMBED_BATCH = 64
LATENT_TOP_K = 64  # latent terms kept per passage (64 / 128 / 256 compared on the tuning half)

Progress = Callable[[int, int], None]


class IndexLoadError(ValueError):
    """The index folder is missing, damaged or does not match; the message says what to do."""


class StaleIndexError(IndexLoadError):
    """The index was built from another corpus or embedder."""


@dataclass
class IndexData:
    cases: list[Case]
    passages: list[Passage]
    vectors: np.ndarray
    sentence_vectors: np.ndarray
    sentence_rows: np.ndarray  # passage row of each sentence vector
    sentence_keys: list[str]
    dense: DenseIndex
    sparse: SparseIndex
    manifest: dict
    latent_ids: np.ndarray | None = None      # (passages, top_k) feature ids, or None
    latent_weights: np.ndarray | None = None  # (passages, top_k) weights, 0 where a row has fewer terms


def case_to_json(case: Case) -> dict:
    return asdict(case)


def case_from_json(row: dict) -> Case:
    contact = Contact(**row["contact"]) if row.get("contact") else None
    sections = tuple(Section(s["heading"], tuple(s["paragraphs"])) for s in row["sections"])
    documents = tuple(Document(**d) for d in row.get("documents", ()))
    return Case(id=row["id"], title=row["title"], municipality=row["municipality"], theme=row.get("theme"),
                sections=sections, contact=contact, documents=documents, source=row.get("source", ""),
                kind=row.get("kind", "case"))


def read_manifest(folder: Path) -> dict | None:
    path = folder / "manifest.json"
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexLoadError(f"index {folder} is damaged: manifest.json is not valid JSON ({exc}); "
                          f"rebuild it with `assistant build --index {folder}`") from exc
    if not isinstance(manifest, dict):
        raise IndexLoadError(f"index {folder} is damaged: manifest.json is not an object")
    for key in ("embedder", "corpus", "files"):
        if not isinstance(manifest.get(key, {}), dict):
            raise IndexLoadError(f"index {folder} is damaged: manifest.json has no valid {key!r} record; "
                                 f"rebuild it with `assistant build --index {folder}`")
    return manifest


def embedder_record(embedder: Embedder) -> dict:
    return {"kind": embedder.kind, "name": embedder.name, "fingerprint": embedder.fingerprint,
            "dim": embedder.dim}


def _cached_vectors(folder: Path, fingerprint: str) -> dict[str, np.ndarray]:
    """Text key -> vector from an existing index built by the same model (the embedding cache)."""
    try:
        manifest = read_manifest(folder)
        if not manifest or manifest.get("embedder", {}).get("fingerprint") != fingerprint:
            return {}
        rows = [json.loads(line) for line in (folder / "passages.jsonl").read_text("utf-8").splitlines()]
        keys = [r["key"] for r in rows]
        vectors = np.load(folder / "embeddings.npy", mmap_mode="r")
        sentences = json.loads((folder / "sentences.json").read_text("utf-8"))
        sentence_vectors = np.load(folder / "sentences.npy", mmap_mode="r")
        if len(vectors) != len(keys) or len(sentence_vectors) != len(sentences["keys"]):
            return {}
        cache = {key: vectors[i] for i, key in enumerate(keys)}
        cache.update({key: sentence_vectors[i] for i, key in enumerate(sentences["keys"])})
        return cache
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
        return {}


def _cached_latent(folder: Path, fingerprint: str | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Text key -> (ids, weights) from an existing index with the same latent-term head."""
    if fingerprint is None:
        return {}
    try:
        manifest = read_manifest(folder)
        if not manifest or (manifest.get("latent") or {}).get("fingerprint") != fingerprint \
                or (manifest.get("latent") or {}).get("top_k") != LATENT_TOP_K:
            return {}
        keys = [json.loads(line)["key"] for line in (folder / "passages.jsonl").read_text("utf-8").splitlines()]
        ids = np.load(folder / LATENT_FILES[0], mmap_mode="r")
        weights = np.load(folder / LATENT_FILES[1], mmap_mode="r")
        if not len(ids) == len(weights) == len(keys):
            return {}
        return {key: (ids[i], weights[i]) for i, key in enumerate(keys)}
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
        return {}


def _encode_missing(texts: list[str], cache: dict, store: Callable[[int, object], None],
                    encode: Callable[[list[int]], None], progress: Progress | None, done_before: int,
                    total: int) -> int:
    """Fill row i from ``cache`` by the text's key (``store(i, cached)``), ``encode(rows)`` the rest in
    batches, reporting progress; returns how many texts were encoded."""
    todo = []
    for i, text in enumerate(texts):
        cached = cache.get(text_key(text))
        if cached is None:
            todo.append(i)
        else:
            store(i, cached)
    done = done_before + len(texts) - len(todo)
    if progress:
        progress(done, total)
    for start in range(0, len(todo), EMBED_BATCH):
        rows = todo[start:start + EMBED_BATCH]
        encode(rows)
        done += len(rows)
        if progress:
            progress(done, total)
    return len(todo)


def _latent_all(texts: list[str], embedder: Embedder, cache: dict, progress: Progress | None,
                done_before: int, total: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Latent-term codes (ids, weights) of the texts, cached ones reused; also how many were encoded."""
    ids = np.zeros((len(texts), LATENT_TOP_K), dtype=np.int32)
    weights = np.zeros((len(texts), LATENT_TOP_K), dtype=np.float32)

    def store(i: int, cached) -> None:
        ids[i], weights[i] = cached

    def encode(rows: list[int]) -> None:
        for i, (idx, val) in zip(rows, embedder.latent([texts[i] for i in rows], LATENT_TOP_K), strict=True):
            ids[i, :len(idx)], weights[i, :len(val)] = idx[:LATENT_TOP_K], val[:LATENT_TOP_K]

    encoded = _encode_missing(texts, cache, store, encode, progress, done_before, total)
    return ids, weights, encoded


def _embed_all(texts: list[str], embedder: Embedder, cache: dict[str, np.ndarray], dim: int,
               progress: Progress | None, done_before: int, total: int) -> tuple[np.ndarray, int]:
    """Vectors for texts, taking cached ones by text key; returns (vectors, how many were embedded)."""
    vectors = np.zeros((len(texts), dim), dtype=np.float32)

    def store(i: int, cached) -> None:
        vectors[i] = cached

    def encode(rows: list[int]) -> None:
        vectors[rows] = embedder.embed([texts[i] for i in rows], kind="passage")

    embedded = _encode_missing(texts, cache, store, encode, progress, done_before, total)
    return vectors, embedded


def build_index(corpus_dir: str | Path, index_dir: str | Path, embedder: Embedder,
                progress: Progress | None = None) -> IndexData:
    """Parse, chunk, embed (reusing cached vectors) and write the index atomically."""
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    check_index_target(index_dir)
    started = time.perf_counter()
    digest = corpus_hash(corpus_dir)
    cases = load_corpus(corpus_dir)
    by_id = {c.id: c for c in cases}
    passages = chunk_cases(cases)
    if not passages:
        raise CorpusError(f"corpus folder {corpus_dir} holds no text to index")
    texts = [p.indexed_text(by_id[p.case_id]) for p in passages]

    record = embedder_record(embedder)
    cache = _cached_vectors(index_dir, record["fingerprint"])
    sentences = [(row, text) for row, p in enumerate(passages) for text in sentence_texts(p, by_id[p.case_id])]
    sentence_rows = np.array([row for row, _ in sentences], dtype=np.int64)
    latent_fingerprint = embedder.latent_fingerprint if embedder.latent_features else None
    total = len(texts) + len(sentences) + (len(texts) if latent_fingerprint else 0)
    vectors, embedded = _embed_all(texts, embedder, cache, record["dim"], progress, 0, total)
    sentence_vectors, embedded_sentences = _embed_all([t for _, t in sentences], embedder, cache,
                                                      record["dim"], progress, len(texts), total)
    embedded += embedded_sentences
    latent_ids = latent_weights = None
    latent_record = None
    if latent_fingerprint:
        latent_ids, latent_weights, encoded = _latent_all(
            texts, embedder, _cached_latent(index_dir, latent_fingerprint), progress, len(texts) + len(sentences), total)
        latent_record = {"fingerprint": latent_fingerprint, "features": embedder.latent_features,
                         "top_k": LATENT_TOP_K, "encoded": encoded, "reused": len(texts) - encoded}
    dense = DenseIndex.build(np.vstack([vectors, sentence_vectors]))
    sparse = SparseIndex.build(texts)

    manifest = {
        "format_version": FORMAT_VERSION,
        "assistant_version": __version__,
        "pipeline_version": PIPELINE_VERSION,
        "embedder": record,
        "corpus": {"path": str(corpus_dir), "abspath": str(corpus_dir.resolve()), "hash": digest},
        "cases": len(cases),
        "passages": len(passages),
        "sentence_vectors": len(sentences),
        "embedded": embedded,
        "reused_embeddings": len(texts) + len(sentences) - embedded,
        "dense_index": dense.index_type,
        "dense_params": dense.params,
        "latent": latent_record,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "build_seconds": None,
    }
    data = IndexData(cases, passages, vectors, sentence_vectors, sentence_rows,
                     [text_key(t) for _, t in sentences], dense, sparse, manifest, latent_ids, latent_weights)
    manifest["build_seconds"] = round(time.perf_counter() - started, 3)
    write_index(data, index_dir)
    return data


def _kept(path: Path) -> bool:
    """Files an index folder may hold besides the index itself (carried over on rebuild)."""
    return path.name.lower().startswith("readme") or path.name == ".gitkeep"


def check_index_target(index_dir: Path) -> None:
    """Refuse to replace a file or a folder that is not an index (it would be deleted)."""
    if not index_dir.exists():
        return
    if not index_dir.is_dir():
        raise IndexLoadError(f"cannot write the index to {index_dir}: it is a file, not a folder")
    if not (index_dir / "manifest.json").exists() and any(not _kept(p) for p in index_dir.iterdir()):
        raise IndexLoadError(f"refusing to write the index into {index_dir}: the folder exists and is not an "
                             f"index (no manifest.json); choose a new or empty folder")


def _remove_abandoned(index_dir: Path) -> None:
    """Temp folders left by builds that were killed (their process is gone)."""
    for leftover in index_dir.parent.glob(f".{index_dir.name}.tmp-*"):
        try:
            pid = int(leftover.name.rsplit(".tmp-", 1)[1].split("-")[0])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(leftover, ignore_errors=True)
        except (ValueError, IndexError, PermissionError):
            continue


def write_index(data: IndexData, index_dir: Path) -> None:
    index_dir = Path(index_dir)
    check_index_target(index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(index_dir)
    tmp = index_dir.parent / f".{index_dir.name}.tmp-{os.getpid()}-{time.monotonic_ns()}"
    old = index_dir.parent / f".{index_dir.name}.old-{os.getpid()}-{time.monotonic_ns()}"
    try:
        tmp.mkdir()
        (tmp / "cases.json").write_text(json.dumps([case_to_json(c) for c in data.cases], ensure_ascii=False,
                                                   indent=1), encoding="utf-8")
        with open(tmp / "passages.jsonl", "w", encoding="utf-8") as handle:
            for p, text in zip(data.passages, indexed_texts(data), strict=True):
                handle.write(json.dumps({**asdict(p), "key": text_key(text)}, ensure_ascii=False) + "\n")
        np.save(tmp / "embeddings.npy", data.vectors)
        np.save(tmp / "sentences.npy", data.sentence_vectors)
        (tmp / "sentences.json").write_text(json.dumps({"rows": data.sentence_rows.tolist(),
                                                        "keys": data.sentence_keys}), encoding="utf-8")
        data.dense.save(tmp / "dense.faiss")
        data.sparse.save(tmp / "bm25")
        files = ["cases.json", "passages.jsonl", "embeddings.npy", "sentences.npy", "sentences.json", "dense.faiss"]
        if data.latent_ids is not None:
            np.save(tmp / LATENT_FILES[0], data.latent_ids)
            np.save(tmp / LATENT_FILES[1], data.latent_weights)
            files += LATENT_FILES
        data.manifest["files"] = {name: (tmp / name).stat().st_size for name in files}
        # the manifest is written last: a folder without one is never taken for a finished index
        (tmp / "manifest.json").write_text(json.dumps(data.manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        moved = False
        if index_dir.exists():
            keep = [p for p in index_dir.iterdir() if _kept(p)]
            for item in keep:
                shutil.copy2(item, tmp / item.name)
            os.replace(index_dir, old)
            moved = True
        try:
            os.replace(tmp, index_dir)
        except BaseException:
            if moved:  # put the old index back rather than deleting it below
                os.replace(old, index_dir)
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def load_index(index_dir: str | Path) -> IndexData:
    """Read an index folder; a missing or damaged file is an IndexLoadError naming it."""
    folder = Path(index_dir)
    manifest = read_manifest(folder)
    if manifest is None:
        raise IndexLoadError(f"no index at {folder} (manifest.json missing): build one with `assistant build`")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise StaleIndexError(f"index {folder} has format {manifest.get('format_version')!r}, "
                              f"this version reads {FORMAT_VERSION}: rebuild it")
    has_latent = bool(manifest.get("latent"))
    for name in REQUIRED + (LATENT_FILES if has_latent else ()):
        if not (folder / name).exists():
            raise IndexLoadError(f"index {folder} is damaged: {name} is missing; rebuild it with `assistant build`")
    for name, size in manifest.get("files", {}).items():
        actual = (folder / name).stat().st_size
        if actual != size:
            raise IndexLoadError(f"index {folder} is damaged: {name} has {actual} bytes, the manifest says {size} "
                              f"(truncated?); rebuild it with `assistant build`")
    current = "manifest.json"
    try:
        current = "cases.json"
        cases = [case_from_json(r) for r in json.loads((folder / current).read_text(encoding="utf-8"))]
        current = "passages.jsonl"
        passages = [_passage(json.loads(line)) for line in
                    (folder / current).read_text(encoding="utf-8").splitlines() if line.strip()]
        current = "embeddings.npy"
        vectors = np.load(folder / current, allow_pickle=False, mmap_mode="r")
        current = "sentences.npy"
        sentence_vectors = np.load(folder / current, allow_pickle=False, mmap_mode="r")
        current = "sentences.json"
        sentences = json.loads((folder / current).read_text(encoding="utf-8"))
        sentence_rows = np.asarray(sentences["rows"], dtype=np.int64)
        current = "dense.faiss"
        dense = DenseIndex.load(folder / current, manifest.get("dense_index", "flat"), manifest.get("dense_params"))
        current = "bm25"
        sparse = SparseIndex.load(folder / current)
        latent_ids = latent_weights = None
        if has_latent:
            current = LATENT_FILES[0]
            latent_ids = np.load(folder / current, allow_pickle=False, mmap_mode="r")
            current = LATENT_FILES[1]
            latent_weights = np.load(folder / current, allow_pickle=False, mmap_mode="r")
    except Exception as exc:  # noqa: BLE001 - any failure to read a file means a damaged index
        raise IndexLoadError(f"index {folder} is damaged: cannot read {current} ({type(exc).__name__}: "
                          f"{str(exc)[:160]}); rebuild it with `assistant build`") from exc
    n = len(passages)
    if not (len(vectors) == n == int(sparse.bm25.scores["num_docs"]) == manifest.get("passages")
            and len(sentence_vectors) == len(sentence_rows) == len(sentences["keys"])
            and len(dense) == n + len(sentence_vectors) and (sentence_rows.size == 0 or sentence_rows.max() < n)
            and (not has_latent or latent_ids.shape == latent_weights.shape and len(latent_ids) == n)):
        raise IndexLoadError(f"index {folder} is damaged: its files disagree on the passage count; rebuild it")
    known = {c.id for c in cases}
    if any(p.case_id not in known for p in passages):
        raise IndexLoadError(f"index {folder} is damaged: passages refer to unknown cases; rebuild it")
    if has_latent and latent_ids.size and (latent_ids.min() < 0 or latent_ids.max() >= manifest["latent"]["features"]):
        raise IndexLoadError(f"index {folder} is damaged: {LATENT_FILES[0]} holds out-of-range ids; rebuild it")
    return IndexData(cases, passages, vectors, sentence_vectors, sentence_rows, list(sentences["keys"]),
                     dense, sparse, manifest, latent_ids, latent_weights)


def _passage(row: dict) -> Passage:
    row.pop("key", None)
    return Passage(**row)


def indexed_texts(data: IndexData) -> list[str]:
    by_id = {c.id: c for c in data.cases}
    return [p.indexed_text(by_id[p.case_id]) for p in data.passages]


def staleness(manifest: dict, corpus_dir: Path | None, embedder: Embedder | None) -> str | None:
    """Why an index no longer matches its corpus or embedder, or None when it does."""
    if manifest.get("pipeline_version") != PIPELINE_VERSION:
        return "the indexing pipeline changed since the index was built"
    if corpus_dir is not None:
        try:
            digest = corpus_hash(corpus_dir)
        except CorpusError:
            digest = None
        if digest is not None and digest != manifest.get("corpus", {}).get("hash"):
            return f"the corpus in {corpus_dir} changed since the index was built"
    if embedder is not None:
        recorded = manifest.get("embedder", {})
        if recorded.get("fingerprint") != embedder.fingerprint or recorded.get("name") != embedder.name:
            return (f"the index was built with {recorded.get('name')!r} ({recorded.get('fingerprint')}), "
                    f"not {embedder.name!r} ({embedder.fingerprint})")
        latent = (manifest.get("latent") or {}).get("fingerprint")
        if latent != (embedder.latent_fingerprint if embedder.latent_features else None):
            return "the model's latent-term head changed since the index was built"
    return None
