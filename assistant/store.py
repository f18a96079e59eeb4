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
      tokens.npy        float16 unit token states of up to 64 cases' passages, the background that
      tokens.json         coverage.py sets a case's cover of the question's words against (when the
                          model gives token states: the default model's compiled engine)

Nothing is pickled. A build writes a sibling temp folder and renames it into place, holding a lock
on the parent folder so that concurrent builds of one index take turns. The manifest records every
file's size and SHA-256; loading checks them (for large indexes, see VERIFY_ON_LOAD_BYTES, the
vector files are only size-checked on load and fully by ``verify_index`` / ``assistant verify``),
and a build checks them before it reuses any stored vector.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from . import __version__
from .chunking import chunk_cases, sentence_texts, text_key
from .corpus import CorpusError, corpus_hash, load_corpus
from .coverage import Background, build_background
from .dense import DenseIndex
from .embedding import Embedder
from .encoding import (  # noqa: F401 - LATENT_TOP_K and Progress are re-exported for callers of the store
    LATENT_TOP_K,
    Progress,
    cached_latent,
    cached_token_states,
    cached_vectors,
    embed_all,
    embed_with_latent_all,
    finite,
    latent_all,
)
from .manifest import (  # noqa: F401 - the versions and errors are re-exported for callers of the store
    FORMAT_VERSION,
    INDEX_NAMES,
    LATENT_FILES,
    PIPELINE_VERSION,
    REQUIRED,
    TOKEN_FILES,
    VERIFY_ON_LOAD_BYTES,
    IndexLoadError,
    StaleIndexError,
    _kept,
    check_files,
    corpus_record,
    embedder_record,
    file_sha256,
    index_files,
    read_manifest,
    recorded_corpus,
    staleness,
)
from .records import Case, Contact, Document, Passage, Section
from .sparse import SparseIndex

log = logging.getLogger(__name__)



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
    background: Background | None = None  # token states of up to 64 cases (coverage.py), or None


def case_to_json(case: Case) -> dict:
    row = asdict(case)
    del row["contact"]  # the first of "contacts"
    return row


def case_from_json(row: dict) -> Case:
    contacts = tuple(Contact(**c) for c in row.get("contacts") or ([row["contact"]] if row.get("contact") else []))
    sections = tuple(Section(s["heading"], tuple(s["paragraphs"])) for s in row["sections"])
    documents = tuple(Document(**d) for d in row.get("documents", ()))
    return Case(id=row["id"], title=row["title"], municipality=row["municipality"], theme=row.get("theme"),
                sections=sections, contact=None, documents=documents, source=row.get("source", ""),
                kind=row.get("kind", "case"), contacts=contacts, goals=tuple(row.get("goals", ())),
                focus=row.get("focus"), file=row.get("file", ""), partners=tuple(row.get("partners", ())))


@contextlib.contextmanager
def index_lock(index_dir: Path) -> Iterator[None]:
    """Hold an exclusive lock while the index at ``index_dir`` is built: concurrent builds (threads or
    processes) take turns instead of tearing each other's files. The lock is on the parent folder
    itself (flock), so nothing is left behind; where flock is missing (Windows) builds do not lock."""
    parent = index_dir.absolute().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise IndexLoadError(f"cannot create the folder for the index {index_dir}: {exc.strerror or exc}") from exc
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(parent, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another build of an index in %s is running: waiting for it to finish", parent)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def build_index(corpus_dir: str | Path, index_dir: str | Path, embedder: Embedder,
                progress: Progress | None = None) -> IndexData:
    """Parse, chunk, embed (reusing intact cached vectors) and write the index atomically, one build
    of an index at a time. ``manifest["warnings"]`` lists what the build skipped or dropped."""
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    check_index_target(index_dir)
    if index_dir.absolute().parent.exists():
        _writable(index_dir)  # before the embedding, not after it
    with index_lock(index_dir):
        return _build(corpus_dir, index_dir, embedder, progress)


def _build(corpus_dir: Path, index_dir: Path, embedder: Embedder, progress: Progress | None) -> IndexData:
    started = time.perf_counter()
    warnings: list[str] = []
    digest = corpus_hash(corpus_dir)
    cases = load_corpus(corpus_dir, warnings)
    by_id = {c.id: c for c in cases}
    passages = chunk_cases(cases)
    if not passages:
        raise CorpusError(f"corpus folder {corpus_dir} holds no text to index")
    texts = [p.indexed_text(by_id[p.case_id]) for p in passages]

    record = embedder_record(embedder)
    cache = cached_vectors(index_dir, record["fingerprint"], warnings)
    sentences = [(row, text) for row, p in enumerate(passages) for text in sentence_texts(p, by_id[p.case_id])]
    sentence_rows = np.array([row for row, _ in sentences], dtype=np.int64)
    latent_fingerprint = embedder.latent_fingerprint if embedder.latent_features else None
    one_pass = bool(latent_fingerprint) and embedder.one_pass  # a passage's vector and code in one pass
    total = len(texts) + len(sentences) + (len(texts) if latent_fingerprint and not one_pass else 0)
    latent_ids = latent_weights = None
    latent_record = None
    if one_pass:
        vectors, latent_ids, latent_weights, encoded = embed_with_latent_all(
            texts, embedder, cache, cached_latent(index_dir, latent_fingerprint, warnings), record["dim"],
            progress, 0, total)
        embedded = encoded
    else:
        vectors, embedded = embed_all(texts, embedder, cache, record["dim"], progress, 0, total)
    sentence_vectors, embedded_sentences = embed_all([t for _, t in sentences], embedder, cache,
                                                      record["dim"], progress, len(texts), total)
    embedded += embedded_sentences
    if latent_fingerprint and not one_pass:
        latent_ids, latent_weights, encoded = latent_all(
            texts, embedder, cached_latent(index_dir, latent_fingerprint, warnings), progress,
            len(texts) + len(sentences), total)
    if latent_fingerprint:
        latent_record = {"fingerprint": latent_fingerprint, "features": embedder.latent_features,
                         "top_k": LATENT_TOP_K, "encoded": encoded, "reused": len(texts) - encoded}
    for name, array in (("passage vectors", vectors), ("sentence vectors", sentence_vectors),
                        ("latent-term weights", latent_weights)):
        if array is not None and not finite(array):
            raise ValueError(f"the model {embedder.name!r} produced non-finite {name} (NaN or inf); "
                             f"the index was not written")
    dense = DenseIndex.build(np.vstack([vectors, sentence_vectors]))
    sparse = SparseIndex.build(texts)
    background = tokens_record = None
    if embedder.tokens_fingerprint:
        token_cache = cached_token_states(index_dir, embedder.tokens_fingerprint, warnings)
        background = build_background([c.id for c in cases], [p.case_id for p in passages], texts,
                                      lambda text: embedder.token_states(text, "passage"), token_cache)
        if background is not None and not finite(background.states):
            raise ValueError(f"the model {embedder.name!r} produced non-finite token states (NaN or inf); "
                             f"the index was not written")
    if background is not None:
        reused = sum(key in token_cache for key in background.keys)
        tokens_record = {"fingerprint": embedder.tokens_fingerprint, "cases": len(background.case_ids),
                         "tokens": len(background.states), "passages": len(background.keys),
                         "encoded": len(background.keys) - reused, "reused": reused}

    manifest = {
        "format_version": FORMAT_VERSION,
        "assistant_version": __version__,
        "pipeline_version": PIPELINE_VERSION,
        "embedder": record,
        "corpus": corpus_record(corpus_dir, index_dir, digest),
        "cases": len(cases),
        "passages": len(passages),
        "sentence_vectors": len(sentences),
        "embedded": embedded,
        "reused_embeddings": len(texts) + len(sentences) - embedded,
        "dense_index": dense.index_type,
        "dense_params": dense.params,
        "latent": latent_record,
        "tokens": tokens_record,
        "warnings": warnings,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "build_seconds": None,
    }
    data = IndexData(cases, passages, vectors, sentence_vectors, sentence_rows,
                     [text_key(t) for _, t in sentences], dense, sparse, manifest, latent_ids, latent_weights,
                     background)
    manifest["build_seconds"] = round(time.perf_counter() - started, 3)
    write_index(data, index_dir)
    return data


def check_index_target(index_dir: Path) -> None:
    """Refuse to replace a file or a folder that is not an index (it would be deleted)."""
    if not index_dir.exists():
        return
    if not index_dir.is_dir():
        raise IndexLoadError(f"cannot write the index to {index_dir}: it is a file, not a folder")
    if not (index_dir / "manifest.json").exists() and any(not _kept(p) and p.name not in INDEX_NAMES
                                                           for p in index_dir.iterdir()):
        raise IndexLoadError(f"refusing to write the index into {index_dir}: the folder exists and is not an "
                             f"index (no manifest.json); choose a new or empty folder")


def _remove_abandoned(index_dir: Path) -> None:
    """Temp and old folders left by builds that were killed (their process is gone)."""
    for pattern in (f".{index_dir.name}.tmp-*", f".{index_dir.name}.old-*"):
        for leftover in index_dir.parent.glob(pattern):
            try:
                pid = int(leftover.name.rsplit("-", 2)[-2])
                os.kill(pid, 0)
            except ProcessLookupError:
                shutil.rmtree(leftover, ignore_errors=True)
            except (ValueError, IndexError, PermissionError):
                continue


def _writable(index_dir: Path) -> None:
    """IndexLoadError unless the index's folder and its parent can be written (a rebuild replaces both)."""
    parent = index_dir.absolute().parent
    for folder in ([parent, index_dir] if index_dir.exists() else [parent]):
        if not os.access(folder, os.W_OK):
            raise IndexLoadError(f"cannot write the index {index_dir}: {folder} is read-only; build it where you "
                                 f"can write (`assistant build --index OTHER_FOLDER`) or make the folder writable")


def write_index(data: IndexData, index_dir: Path) -> None:
    index_dir = Path(index_dir)
    check_index_target(index_dir)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    _writable(index_dir)
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
        if data.latent_ids is not None:
            np.save(tmp / LATENT_FILES[0], data.latent_ids)
            np.save(tmp / LATENT_FILES[1], data.latent_weights)
        if data.background is not None:
            np.save(tmp / TOKEN_FILES[0], data.background.states)
            (tmp / TOKEN_FILES[1]).write_text(json.dumps({
                "cases": list(data.background.case_ids), "starts": data.background.starts.tolist(),
                "keys": list(data.background.keys), "passage_starts": data.background.passage_starts.tolist()}),
                encoding="utf-8")
        data.manifest["files"] = {name: {"bytes": (tmp / name).stat().st_size, "sha256": file_sha256(tmp / name)}
                                  for name in index_files(tmp)}
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
    except PermissionError as exc:
        raise IndexLoadError(f"cannot write the index {index_dir}: {exc.strerror or exc} ({exc.filename}); "
                             f"build it where you can write (`assistant build --index OTHER_FOLDER`)") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and index_dir.exists():
            shutil.rmtree(old, ignore_errors=True)
            if old.exists():
                log.warning("the previous index was replaced but could not be removed: delete %s by hand", old)
        elif old.exists():
            log.error("the index could not be put back in place: it is at %s", old)


def load_index(index_dir: str | Path, verify: str = "auto") -> IndexData:
    """Read an index folder; a missing, damaged or changed file is an IndexLoadError naming it.

    ``verify``: "auto" checks every file's SHA-256 for indexes up to VERIFY_ON_LOAD_BYTES (larger
    ones: files over LARGE_FILE_BYTES by size only), "full" always checks all.
    """
    folder = Path(index_dir)
    manifest = read_manifest(folder)
    if manifest is None:
        raise IndexLoadError(f"no index at {folder} (no manifest.json): build one with `assistant build`")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise StaleIndexError(f"index {folder} has format {manifest.get('format_version')!r}, "
                              f"this version reads {FORMAT_VERSION}: rebuild it")
    has_latent = bool(manifest.get("latent"))
    has_tokens = bool(manifest.get("tokens"))
    rebuild = f"rebuild it with `assistant build --index {folder}`"
    for name in REQUIRED + (LATENT_FILES if has_latent else ()) + (TOKEN_FILES if has_tokens else ()):
        if not (folder / name).exists():
            raise IndexLoadError(f"index {folder} is damaged: {name} is missing; {rebuild}")
    present = index_files(folder)
    unlisted = [name for name in present if name not in manifest["files"]]
    if unlisted:
        raise IndexLoadError(f"index {folder} is damaged: {unlisted[0]} is not in the manifest; {rebuild}")
    total = sum(r["bytes"] for r in manifest["files"].values())
    full = verify == "full" or total <= VERIFY_ON_LOAD_BYTES
    verified = set(check_files(folder, manifest, full=full))
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
        background = None
        if has_tokens:
            current = TOKEN_FILES[0]
            token_states = np.load(folder / current, allow_pickle=False, mmap_mode="r")
            current = TOKEN_FILES[1]
            tokens = json.loads((folder / current).read_text(encoding="utf-8"))
            background = Background(token_states, tuple(str(c) for c in tokens["cases"]),
                                    np.asarray(tokens["starts"], dtype=np.int64), tuple(str(k) for k in tokens["keys"]),
                                    np.asarray(tokens["passage_starts"], dtype=np.int64))
    except Exception as exc:  # noqa: BLE001 - any failure to read a file means a damaged index
        raise IndexLoadError(f"index {folder} is damaged: cannot read {current} ({type(exc).__name__}: "
                             f"{str(exc)[:160]}); {rebuild}") from exc
    n = len(passages)
    if not (len(vectors) == n == int(sparse.bm25.scores["num_docs"]) == manifest.get("passages")
            and len(sentence_vectors) == len(sentence_rows) == len(sentences["keys"])
            and len(dense) == n + len(sentence_vectors)
            and (sentence_rows.size == 0 or (sentence_rows.min() >= 0 and sentence_rows.max() < n))
            and (not has_latent or latent_ids.shape == latent_weights.shape and len(latent_ids) == n)):
        raise IndexLoadError(f"index {folder} is damaged: its files disagree on the passage count; {rebuild}")
    known = {c.id for c in cases}
    if any(p.case_id not in known for p in passages):
        raise IndexLoadError(f"index {folder} is damaged: passages refer to unknown cases; {rebuild}")
    if has_latent and latent_ids.size and (latent_ids.min() < 0 or latent_ids.max() >= manifest["latent"]["features"]):
        raise IndexLoadError(f"index {folder} is damaged: {LATENT_FILES[0]} holds out-of-range ids; {rebuild}")
    if background is not None:
        starts = background.starts
        if not (background.states.ndim == 2 and background.states.shape[1] == vectors.shape[1]
                and len(starts) == len(background.case_ids) + 1 and starts[0] == 0
                and starts[-1] == len(background.states) and (np.diff(starts) >= 0).all()
                and len(background.states) == manifest["tokens"].get("tokens")
                and len(background.passage_starts) == len(background.keys) + 1
                and background.passage_starts[0] == 0 and background.passage_starts[-1] == len(background.states)
                and (np.diff(background.passage_starts) >= 0).all()):
            raise IndexLoadError(f"index {folder} is damaged: {TOKEN_FILES[1]} and {TOKEN_FILES[0]} disagree; {rebuild}")
        if any(c not in known for c in background.case_ids):
            raise IndexLoadError(f"index {folder} is damaged: {TOKEN_FILES[1]} refers to unknown cases; {rebuild}")
    problem = sparse.check()
    if problem:
        raise IndexLoadError(f"index {folder} is damaged: bm25 {problem}; {rebuild}")
    # checksummed files are as built, and the build refuses non-finite vectors; a scan costs as much as
    # the checksum, so it is done with it (a manifest edited to match changed files is caught too)
    for name, array in (("embeddings.npy", vectors), ("sentences.npy", sentence_vectors),
                        (LATENT_FILES[1], latent_weights),
                        (TOKEN_FILES[0], None if background is None else background.states)):
        if array is not None and name in verified and not finite(array):
            raise IndexLoadError(f"index {folder} is damaged: {name} holds non-finite values (NaN); {rebuild}")
    return IndexData(cases, passages, vectors, sentence_vectors, sentence_rows, list(sentences["keys"]),
                     dense, sparse, manifest, latent_ids, latent_weights, background)


def verify_index(index_dir: str | Path) -> IndexData:
    """Load an index checking every file's checksum whatever its size (`assistant verify`)."""
    return load_index(index_dir, verify="full")


def _passage(row: dict) -> Passage:
    row.pop("key", None)
    return Passage(**row)


def indexed_texts(data: IndexData) -> list[str]:
    by_id = {c.id: c for c in data.cases}
    return [p.indexed_text(by_id[p.case_id]) for p in data.passages]
