"""The build's encoding step: what an earlier index can give back (vectors and latent codes, by text
hash, from files whose checksums hold) and encoding the rest, in batches, with progress."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .chunking import text_key
from .embedding import Embedder
from .manifest import FORMAT_VERSION, LATENT_FILES, TOKEN_FILES, IndexLoadError, check_files, read_manifest

log = logging.getLogger(__name__)

EMBED_BATCH = 64
LATENT_TOP_K = 64  # latent terms kept per passage (64 / 128 / 256 compared on the tuning half)

Progress = Callable[[int, int], None]


def reusable_manifest(folder: Path, names: tuple[str, ...], warnings: list[str]) -> dict | None:
    """The manifest of an existing index whose files ``names`` are intact (checksums), else None; a
    damaged one is reported in ``warnings``, so its vectors are embedded again, never reused."""
    try:
        manifest = read_manifest(folder)
        if manifest is None or manifest.get("format_version") != FORMAT_VERSION:
            return None  # no index, or one of an older format (no checksums to trust its vectors by)
        check_files(folder, manifest, list(names))
        return manifest
    except IndexLoadError as exc:
        message = f"not reusing the stored vectors: {exc}"
        if message not in warnings:
            warnings.append(message)
            log.warning("%s", message)
        return None


def finite(array: np.ndarray) -> bool:
    return bool(np.isfinite(array).all())


def cached_vectors(folder: Path, fingerprint: str, warnings: list[str]) -> dict[str, np.ndarray]:
    """Text key -> vector from an existing, intact index built by the same model (the embedding cache)."""
    manifest = reusable_manifest(folder, ("passages.jsonl", "embeddings.npy", "sentences.json", "sentences.npy"), warnings)
    if not manifest or manifest["embedder"].get("fingerprint") != fingerprint:
        return {}
    try:
        rows = [json.loads(line) for line in (folder / "passages.jsonl").read_text("utf-8").splitlines()]
        keys = [r["key"] for r in rows]
        vectors = np.load(folder / "embeddings.npy", mmap_mode="r", allow_pickle=False)
        sentences = json.loads((folder / "sentences.json").read_text("utf-8"))
        sentence_vectors = np.load(folder / "sentences.npy", mmap_mode="r", allow_pickle=False)
        if len(vectors) != len(keys) or len(sentence_vectors) != len(sentences["keys"]):
            return {}
        cache = {key: vectors[i] for i, key in enumerate(keys)}
        cache.update({key: sentence_vectors[i] for i, key in enumerate(sentences["keys"])})
        return cache
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
        return {}


def cached_latent(folder: Path, fingerprint: str | None, warnings: list[str]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Text key -> (ids, weights) from an existing, intact index with the same latent-term head."""
    if fingerprint is None:
        return {}
    manifest = reusable_manifest(folder, ("passages.jsonl",) + LATENT_FILES, warnings)
    latent = (manifest or {}).get("latent") or {}
    if latent.get("fingerprint") != fingerprint or latent.get("top_k") != LATENT_TOP_K:
        return {}
    try:
        keys = [json.loads(line)["key"] for line in (folder / "passages.jsonl").read_text("utf-8").splitlines()]
        ids = np.load(folder / LATENT_FILES[0], mmap_mode="r", allow_pickle=False)
        weights = np.load(folder / LATENT_FILES[1], mmap_mode="r", allow_pickle=False)
        if not len(ids) == len(weights) == len(keys):
            return {}
        return {key: (ids[i], weights[i]) for i, key in enumerate(keys)}
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
        return {}


def cached_token_states(folder: Path, fingerprint: str | None, warnings: list[str]) -> dict[str, np.ndarray]:
    """Text key -> token states of a background passage, from an existing, intact index whose token states
    the same model gave (coverage.build_background reuses them)."""
    manifest = reusable_manifest(folder, TOKEN_FILES, warnings) if fingerprint else None
    if not manifest or (manifest.get("tokens") or {}).get("fingerprint") != fingerprint:
        return {}
    try:
        meta = json.loads((folder / TOKEN_FILES[1]).read_text("utf-8"))
        states = np.load(folder / TOKEN_FILES[0], mmap_mode="r", allow_pickle=False)
        starts = [int(x) for x in meta["passage_starts"]]
        keys = [str(k) for k in meta["keys"]]
        if len(starts) != len(keys) + 1 or starts[-1] != len(states) or any(starts[i + 1] < starts[i] for i in range(len(keys))):
            return {}
        return {key: np.asarray(states[starts[i]:starts[i + 1]], dtype=np.float32) for i, key in enumerate(keys)}
    except (OSError, ValueError, KeyError, TypeError, json.JSONDecodeError):
        return {}


def encode_missing(texts: list[str], cache: dict, store: Callable[[int, object], None],
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


def latent_all(texts: list[str], embedder: Embedder, cache: dict, progress: Progress | None,
                done_before: int, total: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Latent-term codes (ids, weights) of the texts, cached ones reused; also how many were encoded."""
    ids = np.zeros((len(texts), LATENT_TOP_K), dtype=np.int32)
    weights = np.zeros((len(texts), LATENT_TOP_K), dtype=np.float32)

    def store(i: int, cached) -> None:
        ids[i], weights[i] = cached

    def encode(rows: list[int]) -> None:
        for i, (idx, val) in zip(rows, embedder.latent([texts[i] for i in rows], LATENT_TOP_K), strict=True):
            ids[i, :len(idx)], weights[i, :len(val)] = idx[:LATENT_TOP_K], val[:LATENT_TOP_K]

    encoded = encode_missing(texts, cache, store, encode, progress, done_before, total)
    return ids, weights, encoded


def embed_with_latent_all(texts: list[str], embedder: Embedder, vector_cache: dict, latent_cache: dict, dim: int,
                           progress: Progress | None, done_before: int, total: int):
    """Vectors and latent codes of texts from one encoder pass each (`Embedder.embed_with_latent`);
    a text whose vector and code are both cached is reused. Returns vectors, ids, weights, encoded."""
    vectors = np.zeros((len(texts), dim), dtype=np.float32)
    ids = np.zeros((len(texts), LATENT_TOP_K), dtype=np.int32)
    weights = np.zeros((len(texts), LATENT_TOP_K), dtype=np.float32)
    cache = {key: (vector_cache[key], latent_cache[key]) for key in vector_cache.keys() & latent_cache.keys()}

    def store(i: int, cached) -> None:
        vectors[i], (ids[i], weights[i]) = cached[0], cached[1]

    def encode(rows: list[int]) -> None:
        rows_vectors, codes = embedder.embed_with_latent([texts[i] for i in rows], "passage", LATENT_TOP_K)
        vectors[rows] = rows_vectors
        for i, (idx, val) in zip(rows, codes, strict=True):
            ids[i, :len(idx)], weights[i, :len(val)] = idx[:LATENT_TOP_K], val[:LATENT_TOP_K]

    encoded = encode_missing(texts, cache, store, encode, progress, done_before, total)
    return vectors, ids, weights, encoded


def embed_all(texts: list[str], embedder: Embedder, cache: dict[str, np.ndarray], dim: int,
               progress: Progress | None, done_before: int, total: int) -> tuple[np.ndarray, int]:
    """Vectors for texts, taking cached ones by text key; returns (vectors, how many were embedded)."""
    vectors = np.zeros((len(texts), dim), dtype=np.float32)

    def store(i: int, cached) -> None:
        vectors[i] = cached

    def encode(rows: list[int]) -> None:
        vectors[rows] = embedder.embed([texts[i] for i in rows], kind="passage")

    embedded = encode_missing(texts, cache, store, encode, progress, done_before, total)
    return vectors, embedded
