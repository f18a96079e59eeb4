"""The index's manifest: what it records, how it is read and checked, and when an index is stale.

``manifest.json`` holds the format and pipeline versions, the embedder (name, weights hash, dim), the
corpus (hash, path relative to the index, absolute path), counts, the build's warnings and, for
every file, its size and SHA-256. A manifest that cannot be read or lacks a record is an
``IndexLoadError`` (a damaged index is never taken for a missing one, so it is never silently
rebuilt); one of another format or pipeline is stale.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .corpus import CorpusError, corpus_hash
from .embedding import Embedder

FORMAT_VERSION = 2  # 2: per-file SHA-256 in the manifest, corpus path relative to the index
# bump when parsing, chunking or tokenising changes what is indexed: old indexes then rebuild
PIPELINE_VERSION = 46
REQUIRED = ("manifest.json", "cases.json", "passages.jsonl", "embeddings.npy", "sentences.npy", "sentences.json",
            "dense.faiss", "bm25")
LATENT_FILES = ("latent_ids.npy", "latent_weights.npy")
TOKEN_FILES = ("tokens.npy", "tokens.json")  # the background's token states (assistant.coverage)
INDEX_NAMES = frozenset(REQUIRED + LATENT_FILES + TOKEN_FILES)

MANIFEST_MAX_BYTES = 1 << 20  # a manifest is a few KB; anything near this is not one
# Indexes up to this size have every file's checksum verified on each load (~0.3 s a 100 MB on this
# machine); beyond it, files over LARGE_FILE_BYTES are size-checked on load and fully checked by
# `assistant verify` and before a build reuses their vectors.
VERIFY_ON_LOAD_BYTES = 256 << 20
LARGE_FILE_BYTES = 64 << 20
MANIFEST_KEYS = {"format_version": int, "pipeline_version": int, "embedder": dict, "corpus": dict,
                 "passages": int, "files": dict}


class IndexLoadError(ValueError):
    """The index folder is missing, damaged or does not match; the message says what to do."""


class StaleIndexError(IndexLoadError):
    """The index was built from another corpus or embedder."""


def read_manifest(folder: Path) -> dict | None:
    """The index's manifest, None when the folder has none; IndexLoadError when it is unreadable or not
    a manifest (a damaged index is never taken for a missing one, so it is never silently rebuilt)."""
    folder = Path(folder)
    path = folder / "manifest.json"
    if not path.exists():
        if folder.is_dir() and any(p.name in INDEX_NAMES for p in folder.iterdir()):
            raise IndexLoadError(f"index {folder} is damaged: manifest.json is missing (deleted?) while its other "
                                 f"files are there; rebuild it with `assistant build --index {folder}`")
        return None
    rebuild = f"rebuild it with `assistant build --index {folder}`"
    try:
        if path.stat().st_size > MANIFEST_MAX_BYTES:
            raise IndexLoadError(f"index {folder} is damaged: manifest.json is {path.stat().st_size} bytes, "
                                 f"far too large for a manifest; {rebuild}")
        raw = path.read_bytes()
    except OSError as exc:
        raise IndexLoadError(f"cannot read {path}: {exc.strerror or exc} (check its permissions)") from exc
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:120]
        raise IndexLoadError(f"index {folder} is damaged: manifest.json is not valid JSON ({detail}); "
                             f"{rebuild}") from None
    if not isinstance(manifest, dict):
        raise IndexLoadError(f"index {folder} is damaged: manifest.json is not an object; {rebuild}")
    version = manifest.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version != FORMAT_VERSION:
        return manifest  # another format: stale (load_index and staleness say so), not damaged
    for key, kind in MANIFEST_KEYS.items():
        value = manifest.get(key)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise IndexLoadError(f"index {folder} is damaged: manifest.json has no valid {key!r} record; {rebuild}")
    for name, record in manifest["files"].items():
        if not (isinstance(record, dict) and isinstance(record.get("bytes"), int)
                and isinstance(record.get("sha256"), str)) or "/" in name.replace("bm25/", "", 1) or ".." in name:
            raise IndexLoadError(f"index {folder} is damaged: manifest.json has no valid 'files' record ({name!r}); "
                                 f"{rebuild}")
    return manifest


def file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def index_files(folder: Path) -> list[str]:
    """The data files of a written index folder (bm25/ files included), as manifest names."""
    names = [p.name for p in folder.iterdir() if p.is_file() and p.name != "manifest.json" and not _kept(p)]
    if (folder / "bm25").is_dir():
        names += [f"bm25/{p.name}" for p in (folder / "bm25").iterdir() if p.is_file()]
    return sorted(names)


def check_files(folder: Path, manifest: dict, names: list[str] | None = None, full: bool = True) -> list[str]:
    """Compare index files with the manifest's sizes and checksums; IndexLoadError naming the first
    file that differs. ``full=False`` hashes only files up to LARGE_FILE_BYTES. Returns the files
    whose checksum was verified."""
    records = manifest["files"]
    rebuild = f"rebuild it with `assistant build --index {folder}`"
    verified = []
    for name in names if names is not None else sorted(records):
        record = records.get(name)
        path = folder / name
        if record is None:
            raise IndexLoadError(f"index {folder} is damaged: the manifest has no checksum for {name}; {rebuild}")
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise IndexLoadError(f"index {folder} is damaged: {name} is missing; {rebuild}") from None
        if size != record["bytes"]:
            raise IndexLoadError(f"index {folder} is damaged: {name} has {size} bytes, the manifest says "
                                 f"{record['bytes']} (truncated?); {rebuild}")
        if full or size <= LARGE_FILE_BYTES:
            try:
                digest = file_sha256(path)
            except OSError as exc:
                raise IndexLoadError(f"index {folder}: cannot read {name}: {exc.strerror or exc}") from exc
            if digest != record["sha256"]:
                raise IndexLoadError(f"index {folder} is damaged: {name} does not match its checksum in the "
                                     f"manifest (changed since the build); {rebuild}")
            verified.append(name)
    return verified


def embedder_record(embedder: Embedder) -> dict:
    return {"kind": embedder.kind, "name": embedder.name, "fingerprint": embedder.fingerprint,
            "dim": embedder.dim}


def _kept(path: Path) -> bool:
    """Files an index folder may hold besides the index itself (carried over on rebuild)."""
    return path.name.lower().startswith("readme") or path.name == ".gitkeep"


def corpus_record(corpus_dir: Path, index_dir: Path, digest: str) -> dict:
    """Where the corpus is, relative to the index folder (so the pair can move together) and absolute."""
    absolute = corpus_dir.resolve()
    try:
        relative = os.path.relpath(absolute, index_dir.absolute())
    except ValueError:  # another drive (Windows)
        relative = str(absolute)
    return {"path": Path(relative).as_posix(), "abspath": str(absolute), "hash": digest}


def recorded_corpus(manifest: dict, index_dir: Path) -> Path | None:
    """The corpus folder an index was built from: its path relative to the index folder, else its
    absolute path; None when neither exists (never a folder of the same name elsewhere)."""
    recorded = manifest.get("corpus", {})
    candidates = []
    if isinstance(recorded.get("path"), str) and recorded["path"]:
        candidates.append(index_dir / recorded["path"])
    if isinstance(recorded.get("abspath"), str) and recorded["abspath"]:
        candidates.append(Path(recorded["abspath"]))
    return next((c for c in candidates if c.is_dir()), None)


def staleness(manifest: dict, corpus_dir: Path | None, embedder: Embedder | None) -> str | None:
    """Why an index no longer matches its corpus or embedder, or None when it does."""
    if manifest.get("format_version") != FORMAT_VERSION:
        return f"the index format changed (version {manifest.get('format_version')!r}, now {FORMAT_VERSION})"
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
        if (manifest.get("tokens") or {}).get("fingerprint") != embedder.tokens_fingerprint:
            return "the model's token states (the coverage check's background) changed since the index was built"
    return None
