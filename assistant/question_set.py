"""Question sets for `assistant eval`: questions and dialogues read from JSON Lines.

Question: {"id", "lang", "kind", "question", "municipality", "email", "evidence", "split"}, where kind
is case, contact, theme or none (no case answers it). Only "id" and "question" are required (the
DESIGN.md format): kind defaults to "case" when a municipality is given, else "none"; lang is
detected. A row with ``"municipalities": [...]`` is a list question (kind "list": "Hvilke kommuner …?"),
scored by the set of municipalities its answer lists ([] when no case answers it). Dialogue: {"id",
"lang", "turns": [...], "municipality", "email", "split"}. A row without a split belongs to every
split. A row with ``"needs_label": true`` (a draft from `assistant feedback to-questions` that nobody
has labelled yet) is skipped with a warning.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from .corpus import jsonl_rows
from .language import detect_language
from .municipalities import normalize_municipality

log = logging.getLogger(__name__)

KINDS = ("case", "contact", "theme", "none", "list")
SPLITS = ("tune", "test", "all")


class EvalInputError(ValueError):
    """A question or dialogue file that cannot be read; the message names file and line."""


@dataclass(frozen=True)
class Question:
    id: str
    lang: str
    kind: str
    question: str
    municipality: str | None
    email: str | None
    evidence: str | None = None
    split: str | None = None
    municipalities: tuple[str, ...] | None = None  # a list question's expected set (kind "list"; may be empty)

    @property
    def answerable(self) -> bool:
        """A question one case answers (not "none", and not a list question, which is scored as a set)."""
        return self.kind not in ("none", "list")


@dataclass(frozen=True)
class Dialogue:
    id: str
    lang: str
    turns: tuple[str, ...]
    municipality: str | None
    email: str | None
    split: str | None = None


def _read_jsonl(path: str | Path) -> list[tuple[int, dict]]:
    path = Path(path)
    if not path.is_file():
        raise EvalInputError(f"file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise EvalInputError(f"{path}: not UTF-8 text") from exc
    rows = jsonl_rows(text, str(path), EvalInputError)
    labelled = [(number, row) for number, row in rows if row.get("needs_label") is not True]
    if len(labelled) < len(rows):
        log.warning("%s: skipped %d row(s) marked needs_label (fill in the expected answer and delete "
                    "needs_label to score them)", path, len(rows) - len(labelled))
    return labelled


def _text(row: dict, key: str, where: str, required: bool = False) -> str | None:
    value = row.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise EvalInputError(f"{where}: '{key}' is missing or empty")
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise EvalInputError(f"{where}: '{key}' must be text, not {type(value).__name__}")
    return str(value).strip()


def _in_split(row_split: str | None, split: str) -> bool:
    return split == "all" or row_split is None or row_split == split


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}: choose one of {', '.join(SPLITS)}")


def load_questions(path: str | Path, split: str = "all") -> list[Question]:
    """Questions of a JSON Lines file (DESIGN.md format), those of ``split`` (no split: always)."""
    _check_split(split)
    questions, seen = [], set()
    for number, row in _read_jsonl(path):
        where = f"{path}, line {number}"
        qid = _text(row, "id", where, required=True)
        text = _text(row, "question", where, required=True)
        municipality = normalize_municipality(_text(row, "municipality", where))
        expected_set = _municipality_set(row, where)
        kind = "list" if expected_set is not None else _text(row, "kind", where) or ("case" if municipality else "none")
        if kind == "list" and expected_set is None:
            raise EvalInputError(f"{where}: a 'list' question needs 'municipalities' (a list, [] when none answers)")
        if kind not in KINDS:
            raise EvalInputError(f"{where}: unknown kind {kind!r} (one of {', '.join(KINDS)})")
        if kind in ("case", "contact") and not municipality:
            raise EvalInputError(f"{where}: a {kind!r} question needs a 'municipality'")
        if qid in seen:
            raise EvalInputError(f"{where}: duplicate id {qid!r}")
        seen.add(qid)
        q = Question(qid, _text(row, "lang", where) or detect_language(text), kind, text, municipality,
                     _text(row, "email", where), _text(row, "evidence", where), _text(row, "split", where),
                     expected_set)
        if _in_split(q.split, split):
            questions.append(q)
    return questions


def _municipality_set(row: dict, where: str) -> tuple[str, ...] | None:
    """A list question's "municipalities" (names normalised, order kept, repeats dropped), None when absent."""
    value = row.get("municipalities")
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(m, str) and m.strip() for m in value):
        raise EvalInputError(f"{where}: 'municipalities' must be a list of municipality names")
    return tuple(dict.fromkeys(normalize_municipality(m) for m in value))


def load_dialogues(path: str | Path, split: str = "all") -> list[Dialogue]:
    """Dialogues of a JSON Lines file: {"id", "lang", "turns", "municipality", "email", "split"}."""
    _check_split(split)
    dialogues, seen = [], set()
    for number, row in _read_jsonl(path):
        where = f"{path}, line {number}"
        did = _text(row, "id", where, required=True)
        turns = row.get("turns")
        if not isinstance(turns, list) or not turns or not all(isinstance(t, str) and t.strip() for t in turns):
            raise EvalInputError(f"{where}: 'turns' must be a non-empty list of messages")
        if did in seen:
            raise EvalInputError(f"{where}: duplicate id {did!r}")
        seen.add(did)
        d = Dialogue(did, _text(row, "lang", where) or detect_language(turns[-1]), tuple(turns),
                     normalize_municipality(_text(row, "municipality", where)), _text(row, "email", where),
                     _text(row, "split", where))
        if _in_split(d.split, split):
            dialogues.append(d)
    return dialogues
