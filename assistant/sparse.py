"""Danish BM25: bm25s over Snowball-stemmed tokens, stopwords removed, compounds split.

Danish writes compounds as one word ("bæredygtighedscenter", "insekthoteller"), so a question
saying "center for bæredygtighed" would miss them. At build time every long token is split into
two parts that are themselves words of the corpus (allowing the linking -s-/-e-), and both the
whole word and its parts are indexed; queries are split the same way against the same vocabulary.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_DANISH, STOPWORDS_EN_PLUS

_WORD = re.compile(r"[0-9a-zæøåäöüéèáàóòíìúùñ]+(?:[-’'][0-9a-zæøåäöüéèáàóòíìúùñ]+)*")
# English stopwords too: English questions over Danish text should not match on "the"/"of".
STOPWORDS = frozenset(STOPWORDS_DANISH) | frozenset(STOPWORDS_EN_PLUS) | {
    "kommune", "kommunen", "kommunes", "kommuner", "municipality", "hvilken", "hvilke", "hvad", "hvem",
    "hvordan", "hvorfor", "hvor", "which", "what", "who", "how", "why", "where", "does", "do",
}
MIN_PART = 4
MAX_COMPOUND = 40  # longer tokens are not split (each split point stems the rest: quadratic in length)
# number words as digits, so "syv verdensmål" / "seven goals" meet "7 verdensmål"
NUMBERS = {w: str(i) for i, ws in enumerate([
    (), ("one",), ("two",), ("tre", "three"), ("fire", "four"), ("fem", "five"), ("seks", "six"),
    ("syv", "seven"), ("otte", "eight"), ("ni", "nine"), ("ti", "ten"), ("elleve", "eleven"),
    ("tolv", "twelve")]) for w in ws}
NUMBERS.update({"femten": "15", "fifteen": "15", "tyve": "20", "twenty": "20", "femogtyve": "25",
                "twenty-five": "25", "hundrede": "100", "hundred": "100"})


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("danish")


def words(text: str) -> list[str]:
    """Lower-cased word tokens with stopwords removed (not stemmed)."""
    out = []
    for w in _WORD.findall(text.lower()):
        w = NUMBERS.get(w, w)
        if w not in STOPWORDS and (len(w) > 1 or w.isdigit()):
            out.append(w)
    return out


def stem(word: str) -> str:
    """Snowball-Danish, applied until it stops changing the word (at most twice more).

    One pass leaves inflected forms apart ("biodiversitet" -> "biodiversit", but
    "biodiversiteten" -> "biodiversitet"); stemming the stem again brings them together.
    """
    stemmer = _stemmer()
    for _ in range(3):
        shorter = stemmer.stemWord(word)
        if shorter == word or len(shorter) < 3:
            return word if len(shorter) < 3 and shorter != word else shorter
        word = shorter
    return word


def stem_words(tokens: list[str]) -> list[str]:
    return [stem(t) for t in tokens]


def split_compound(word: str, vocabulary: frozenset[str] | set[str]) -> list[str]:
    """Two stemmed parts of ``word`` that are both in ``vocabulary``, or [] if none."""
    best: list[str] = []
    for i in range(MIN_PART, len(word) - MIN_PART + 1):
        head, tail = word[:i], word[i:]
        heads = [head]
        if head.endswith(("s", "e")) and len(head) - 1 >= MIN_PART:
            heads.append(head[:-1])  # linking morpheme: bæredygtighed-s-center
        tail_stem = stem(tail)
        if len(tail_stem) < MIN_PART or tail in STOPWORDS or tail_stem not in vocabulary:
            continue
        for candidate in heads:
            head_stem = stem(candidate)
            if len(head_stem) >= MIN_PART and candidate not in STOPWORDS and head_stem in vocabulary:
                parts = [head_stem, tail_stem]
                # prefer the most balanced split
                if not best or abs(len(head) - len(tail)) < abs(len(best[0]) - len(best[1])):
                    best = parts
    return best


class Tokenizer:
    """Stemmed Danish tokens plus compound parts found in the corpus vocabulary."""

    def __init__(self, vocabulary: frozenset[str] = frozenset()) -> None:
        self.vocabulary = vocabulary

    @classmethod
    def fit(cls, texts: list[str]) -> Tokenizer:
        vocab = set()
        for text in texts:
            for word, stem in zip(ws := words(text), stem_words(ws), strict=False):
                if len(word) >= MIN_PART:
                    vocab.add(stem)
        return cls(frozenset(vocab))

    def __call__(self, text: str) -> list[str]:
        ws = words(text)
        tokens = stem_words(ws)
        out = list(tokens)
        for word in ws:
            if 2 * MIN_PART <= len(word) <= MAX_COMPOUND:
                out.extend(split_compound(word, self.vocabulary))
        return out


class SparseIndex:
    """BM25 over passages' indexed texts; scores for every passage in index order."""

    def __init__(self, bm25: bm25s.BM25, tokenizer: Tokenizer) -> None:
        self.bm25 = bm25
        self.tokenizer = tokenizer

    @classmethod
    def build(cls, texts: list[str], k1: float = 1.2, b: float = 0.75) -> SparseIndex:
        tokenizer = Tokenizer.fit(texts)
        corpus_tokens = [tokenizer(t) or ["∅"] for t in texts]
        bm25 = bm25s.BM25(k1=k1, b=b)
        bm25.index(corpus_tokens, show_progress=False)
        return cls(bm25, tokenizer)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for ``query`` (zeros when no query term is indexed)."""
        n = int(self.bm25.scores["num_docs"])
        ids = self.bm25.get_tokens_ids(self.tokenizer(query))
        if not ids:
            return np.zeros(n, dtype=np.float32)
        return np.asarray(self.bm25.get_scores_from_ids(ids), dtype=np.float32)

    def check(self) -> str | None:
        """What is wrong with the loaded BM25 arrays (ids out of range, broken offsets), or None."""
        scores = self.bm25.scores
        data, indices, indptr = scores["data"], scores["indices"], scores["indptr"]
        n = int(scores["num_docs"])
        if not (indptr.ndim == data.ndim == indices.ndim == 1 and len(indptr) >= 1 and len(data) == len(indices)):
            return "arrays have the wrong shape"
        if indptr[0] != 0 or indptr[-1] != len(indices) or (len(indptr) > 1 and (np.diff(indptr) < 0).any()):
            return "offsets (indptr) are broken"
        if indices.size and (indices.min() < 0 or indices.max() >= n):
            return "document ids are out of range"
        if not np.isfinite(data).all():
            return "scores are not finite"
        if any(not 0 <= i < len(indptr) for i in self.bm25.vocab_dict.values()):
            return "vocabulary does not match the score arrays"
        return None

    def query_terms(self, query: str) -> list[str]:
        """The query's stemmed terms that occur in the index."""
        return [t for t in self.tokenizer(query) if t in self.bm25.vocab_dict]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.bm25.save(str(folder))
        (folder / "vocabulary.json").write_text(json.dumps(sorted(self.tokenizer.vocabulary), ensure_ascii=False),
                                                encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> SparseIndex:
        bm25 = bm25s.BM25.load(str(folder), mmap=False)
        vocabulary = json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
        return cls(bm25, Tokenizer(frozenset(vocabulary)))
