"""Synthetic data for the benchmark: clustered unit vectors, Zipf token documents, a Danish case corpus.

Random normal vectors have no neighbourhood structure (every point is about equally far from
every other), which makes approximate indexes look worse than they are on real embeddings. The
vectors here are a two-level Gaussian mixture instead: a few dozen topics, a few thousand
clusters around them, points around the clusters, all normalised; queries are fresh draws from
the same mixture (near data points, never equal to one).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np

DIM = 384
TOPICS = 64
CLUSTERS = 16384


def _unit(x: np.ndarray) -> np.ndarray:
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x


class ClusteredVectors:
    """A fixed mixture (seeded); ``sample(n)`` draws unit vectors from it in float32."""

    def __init__(self, dim: int = DIM, topics: int = TOPICS, clusters: int = CLUSTERS,
                 topic_spread: float = 1.0, point_spread: float = 1.2, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        tops = _unit(rng.standard_normal((topics, dim), dtype=np.float32))
        owner = rng.integers(0, topics, clusters)
        noise = rng.standard_normal((clusters, dim), dtype=np.float32) * (topic_spread / np.sqrt(dim))
        self.centroids = _unit(tops[owner] + noise)
        weights = rng.lognormal(0.0, 1.0, clusters)  # uneven cluster sizes, like uneven topics
        self.weights = weights / weights.sum()
        self.point_spread = point_spread
        self.dim = dim

    def sample(self, n: int, seed: int, chunk: int = 200_000) -> np.ndarray:
        rng = np.random.default_rng(seed)
        out = np.empty((n, self.dim), dtype=np.float32)
        scale = np.float32(self.point_spread / np.sqrt(self.dim))
        for start in range(0, n, chunk):
            stop = min(n, start + chunk)
            which = rng.choice(len(self.centroids), size=stop - start, p=self.weights)
            block = rng.standard_normal((stop - start, self.dim), dtype=np.float32)
            block *= scale
            block += self.centroids[which]
            out[start:stop] = _unit(block)
        return out


def zipf_token_docs(n: int, vocab: int = 200_000, mean_len: int = 49, exponent: float = 1.05,
                    seed: int = 0, as_arrays: bool = False):
    """n documents of token ids with Zipf term frequencies and lognormal lengths (~49 tokens, as
    the real passages after stopwords and stemming). ``as_arrays``: (all tokens, document bounds)."""
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, vocab + 1, dtype=np.float64)
    p = ranks ** -exponent
    cdf = np.cumsum(p / p.sum())
    lengths = np.maximum(5, rng.lognormal(np.log(mean_len) - 0.08, 0.4, n).astype(np.int64))
    flat = np.searchsorted(cdf, rng.random(int(lengths.sum())))
    flat = np.minimum(flat, vocab - 1)
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    if as_arrays:
        return flat, bounds
    return [flat[bounds[i]:bounds[i + 1]].tolist() for i in range(n)]


def zipf_queries(count: int, vocab: int = 200_000, exponent: float = 1.05, terms: tuple[int, int] = (3, 7),
                 seed: int = 1) -> list[list[int]]:
    """Queries of 3-6 terms drawn from the same Zipf law (so some are frequent, most are not)."""
    rng = np.random.default_rng(seed)
    ranks = np.arange(1, vocab + 1, dtype=np.float64)
    p = ranks ** -exponent
    cdf = np.cumsum(p / p.sum())
    return [sorted(set(np.minimum(np.searchsorted(cdf, rng.random(rng.integers(*terms))), vocab - 1).tolist()))
            for _ in range(count)]


# ---- a realistic Danish case corpus from the bundled one --------------------------------------
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ])")
_FIRST = ["Mette", "Lars", "Anne", "Søren", "Camilla", "Jens", "Sofie", "Henrik", "Line", "Mads"]
_LAST = ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Holm"]
_ROLES = ["projektleder", "udviklingskonsulent", "chefkonsulent", "miljømedarbejder", "klimakoordinator"]


def _pools(corpus_dir: Path) -> tuple[list[str], list[str]]:
    from assistant.corpus import load_corpus
    cases = [c for c in load_corpus(corpus_dir) if c.municipality]
    titles = [c.title for c in cases]
    sentences = []
    for case in cases:
        for section in case.sections:
            for paragraph in section.paragraphs:
                if "@" in paragraph:
                    continue
                sentences += [s.strip() for s in _SENTENCE.split(paragraph) if len(s.strip()) >= 40]
    return titles, sentences


def synthetic_case(number: int, titles: list[str], sentences: list[str], rng: random.Random,
                   municipalities: list[str]) -> dict:
    """A case of 5-7 paragraphs of 1-4 real sentences, recombined; its own title and contact."""
    municipality = rng.choice(municipalities)
    paragraphs = []
    for _ in range(rng.randint(5, 7)):
        paragraphs.append(" ".join(rng.sample(sentences, rng.randint(1, 4))))
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    slug = municipality.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    return {"id": f"syn-{number:05d}", "title": f"{rng.choice(titles)} ({number})", "text": "\n\n".join(paragraphs),
            "municipality": municipality,
            "contact": {"name": f"{first} {last}", "role": rng.choice(_ROLES),
                        "email": f"{first[:2].lower()}{last[:2].lower()}{number}@{slug}.dk"},
            "source": f"https://example.org/cases/{number}"}


def write_case_corpus(folder: Path, cases: int, corpus_dir: Path, seed: int = 0) -> Path:
    """A JSON Lines corpus of ``cases`` synthetic cases (about 6 passages each) in ``folder``."""
    from assistant.municipalities import MUNICIPALITIES
    titles, sentences = _pools(corpus_dir)
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "cases.jsonl"
    with open(path, "w", encoding="utf-8") as handle:
        for number in range(cases):
            handle.write(json.dumps(synthetic_case(number, titles, sentences, rng, list(MUNICIPALITIES)),
                                    ensure_ascii=False) + "\n")
    return path


def add_case(folder: Path, number: int, corpus_dir: Path, seed: int = 99) -> Path:
    """One more case, in its own file (as a user adding a case would)."""
    from assistant.municipalities import MUNICIPALITIES
    titles, sentences = _pools(corpus_dir)
    path = folder / "added.jsonl"
    case = synthetic_case(number, titles, sentences, random.Random(seed), list(MUNICIPALITIES))
    path.write_text(json.dumps(case, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
