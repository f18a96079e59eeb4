"""Which of a question's words a case covers: a check on an answer beyond the cosine bar.

A question on a near topic ("Which council runs electric ferries?" over a case on electric buses) reaches
the cosine bar: the passage is about much of what it asks. What it lacks is one of the question's words.
The encoder's last-layer token states say that word by word, across languages too ("ferries" sits near
"færger", "electric" near "el-"): for each content word of the question, its best cosine with any token of
the case (the word's *cover*). A cover means little on its own (a word is near some token of every case),
so it is set against the word's cover in the corpus's other cases: the **contrast** is the mean, over the
question's content words, of the case's cover minus the word's mean cover over the corpus's cases. A case
that says what the question asks covers its words better than cases at large do; a near-topic case covers
most of them and falls short on the word that matters, and a case that is merely on the theme covers them
no better than the others.

The index keeps the token states of up to ``MAX_BACKGROUND_CASES`` cases (all of a smaller corpus, else an
even sample) as the background; a case outside the sample is encoded when it is first judged. A corpus of
fewer than ``MIN_BACKGROUND_CASES`` cases has no background to speak of and is not checked. Only the
default model's engine gives token states (`Embedder.token_states`); with any other model, or without the
compiled engine, there is no contrast and the cosine bar decides alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from .chunking import text_key

MAX_BACKGROUND_CASES = 64  # cases whose token states the index keeps as the background
# Fewer cases than this are no background: the mean over a handful of cases on one theme page is nearly as
# good a cover as the best case's (the bundled page's five cases and intro give contrasts half the size of
# the tuning corpora's, 33 to 47 cases each), so a small corpus is not checked. Any value from 7 to 33
# reads the same on the tuning pool; 20 is a round number between.
MIN_BACKGROUND_CASES = 20
MAX_TOKENS_PER_TEXT = 2048  # token states kept of one passage (a passage is a paragraph: far fewer)
_WORD_START = "\u2581"  # sentencepiece's mark of a word's first piece
_NOT_WORD = re.compile(r"[^\w'’-]+")


def background_cases(case_ids: list[str]) -> list[str]:
    """The cases whose token states are kept: all of them up to MAX_BACKGROUND_CASES, else that many
    spread evenly over the corpus's order (so every part of a catalogue is represented)."""
    if len(case_ids) <= MAX_BACKGROUND_CASES:
        return list(case_ids)
    step = len(case_ids) / MAX_BACKGROUND_CASES
    return [case_ids[int(i * step)] for i in range(MAX_BACKGROUND_CASES)]


def build_background(case_ids: list[str], passage_cases: list[str], texts: list[str],
                     encode: Callable[[str], tuple[np.ndarray, list[str]] | None],
                     cache: dict[str, np.ndarray] | None = None) -> Background | None:
    """The background of a corpus: the token states of `background_cases`'s passages (``texts``, the
    indexed text of each passage, whose case is ``passage_cases``), one case after another; a passage whose
    text key is in ``cache`` (an earlier index's, `encoding.cached_token_states`) is not encoded again. None when
    ``encode`` gives no token states."""
    chosen = background_cases(case_ids)
    rows: dict[str, list[tuple[str, np.ndarray]]] = {case_id: [] for case_id in chosen}
    for case_id, text in zip(passage_cases, texts, strict=True):
        if case_id in rows:
            key = text_key(text)
            states = (cache or {}).get(key)
            if states is None:
                encoded = encode(text)
                if encoded is None:
                    return None
                states = encoded[0]
            rows[case_id].append((key, states))
    parts = [part for case_id in chosen for part in rows[case_id]]
    sizes = [sum(len(states) for _, states in rows[case_id]) for case_id in chosen]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    passage_starts = np.concatenate([[0], np.cumsum([len(states) for _, states in parts])]).astype(np.int64)
    dim = parts[0][1].shape[1] if parts else 0
    states = np.vstack([states for _, states in parts]).astype(np.float16) if parts else \
        np.zeros((0, dim), dtype=np.float16)
    return Background(states, tuple(chosen), starts, tuple(key for key, _ in parts), passage_starts)


def word_groups(pieces: list[str], wanted: set[str]) -> list[list[int]]:
    """The token rows of each word of the text (its pieces joined) that is in ``wanted``, in order."""
    groups: list[list[int]] = []
    current: list[int] = []
    for i, piece in enumerate(pieces):
        if piece.startswith(_WORD_START) and current:
            groups.append(current)
            current = []
        current.append(i)
    if current:
        groups.append(current)
    out = []
    for rows in groups:
        word = _NOT_WORD.sub("", "".join(pieces[i] for i in rows).replace(_WORD_START, "").lower()).strip("-'’")
        if word in wanted or any(part in wanted for part in word.split("-") if part):
            out.append(rows)
    return out


@dataclass(frozen=True)
class Background:
    """Token states (unit rows, float16) of the background cases, one case's rows after another (and, within
    a case, one passage's after another)."""

    states: np.ndarray  # (tokens, dim) float16
    case_ids: tuple[str, ...]
    starts: np.ndarray  # int64 (cases + 1): case i's rows are starts[i]:starts[i + 1]
    keys: tuple[str, ...] = ()  # the text key of each passage whose rows these are, in order
    passage_starts: np.ndarray = field(default_factory=lambda: np.zeros(1, dtype=np.int64))  # (passages + 1)

    @cached_property
    def dense_states(self) -> np.ndarray:
        """The states as float32, made once (a float16 product costs ten times the float32 one)."""
        return np.asarray(self.states, dtype=np.float32)

    def rows_of(self, case_id: str) -> np.ndarray | None:
        try:
            i = self.case_ids.index(case_id)
        except ValueError:
            return None
        return self.dense_states[self.starts[i]:self.starts[i + 1]]

    def covers(self, question: np.ndarray) -> np.ndarray:
        """Each question token's best cosine within each background case: (cases with tokens, question tokens)."""
        sims = self.dense_states @ question.T  # (tokens, question tokens)
        firsts = self.starts[:-1][np.diff(self.starts) > 0]
        if not len(firsts):
            return np.zeros((0, len(question)), dtype=np.float32)
        return np.maximum.reduceat(sims, firsts, axis=0)


def contrast(question: np.ndarray, pieces: list[str], words: set[str], case_states: np.ndarray,
             background: Background) -> float | None:
    """The mean over the question's content ``words`` of (the case's cover of the word - its mean cover over
    the background cases); a word's cover in a case is its best-covered piece's. ``question`` holds the
    question's unit token states, ``pieces`` their tokenizer pieces. None when no content word is found
    among the pieces, or the case or the background has no token states."""
    groups = word_groups(pieces, words)
    if not groups or not len(case_states) or not len(question):
        return None
    others = background.covers(question)
    if not len(others):
        return None
    cover = (case_states @ question.T).max(axis=0)  # each question token's best cosine in the case
    return float(np.mean([cover[rows].max() - others[:, rows].max(axis=1).mean() for rows in groups]))
