"""Votes on chat answers (👍/👎) in ``feedback.jsonl``, and a draft question set made from them.

One JSON object a line, appended by :func:`record_vote`::

    {"time": "2025-05-01T09:30:12.345Z", "vote": "up", "question": "Hvem kan jeg kontakte om det?",
     "history": ["Hvilken kommune har lavet insekthoteller?"], "language": "da",
     "cases": [{"id": "…", "municipality": "Frederikshavn", "title": "…", "email": "bejo@frederikshavn.dk"}]}

A record holds what was asked and what came back, never who asked: no IP address, login or session.
The file lives next to the index folder, not inside it (an index rebuild replaces that folder, and
its files are checksummed). Writers take an exclusive ``flock`` and append one whole line each, so
any number of processes can vote at once.

:func:`to_questions` turns the votes into a draft for ``assistant eval`` (format of
``question_set.py``): a 👍 makes its top case the expected answer; a 👎 becomes a row with
``"needs_label": true`` and the wrongly returned cases under ``"returned"``, which ``load_questions``
skips until a person fills in ``municipality`` (and ``email``, or ``"kind": "none"``) and deletes
``needs_label``. Votes with earlier messages become dialogues (turns = history + question) in
``<out stem>-dialogues.jsonl``. Of votes on the same conversation (same history and question, case
and spacing ignored) the latest in the file wins.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from .conversation import HISTORY_TURNS, is_contact_question, user_messages
from .language import EmptyQueryError, clean_query, detect_language
from .records import Case, Hit
from .roles import first_contact

__all__ = ["FEEDBACK_ENV", "DraftSummary", "VoteStats", "Votes", "feedback_path", "read_votes", "record_vote",
           "stats", "to_questions"]

log = logging.getLogger(__name__)

FEEDBACK_ENV = "ASSISTANT_FEEDBACK"
FILE_NAME = "feedback.jsonl"
MAX_CASES = 10             # returned cases kept in a record
MAX_ANSWER_CHARS = 4000    # a longer answer is stored cut (the answer is the assistant's own text)
VOTES = {"up": "up", "down": "down", True: "up", False: "down"}
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?")


def feedback_path(index_dir: str | Path) -> Path:
    """Where votes go: ``$ASSISTANT_FEEDBACK``, else ``feedback.jsonl`` beside the index folder."""
    override = os.environ.get(FEEDBACK_ENV, "").strip()
    if override:
        return Path(override)
    return Path(os.path.abspath(index_dir)).parent / FILE_NAME


# ---- writing -----------------------------------------------------------------------------------------

def _vote(vote: object) -> str:
    key = vote.strip().lower() if isinstance(vote, str) else vote if isinstance(vote, bool) else None
    if key not in VOTES:
        raise ValueError(f"vote must be 'up' or 'down' (or True/False), not {vote!r}")
    return VOTES[key]


def _question(question: object) -> str:
    if not isinstance(question, str):
        raise ValueError(f"question must be a string, not {type(question).__name__}")
    try:
        return clean_query(question)
    except ValueError as exc:  # EmptyQueryError included
        raise ValueError("question " + str(exc).removeprefix("query ")) from None


def _case(item: object, number: int) -> Case:
    if isinstance(item, Hit):
        return item.case
    if not isinstance(item, Case):
        raise ValueError(f"cases[{number}] must be a Case (or a Hit), not {type(item).__name__}")
    return item


def _returned(cases: object, question: str) -> list[dict]:
    if cases is None:
        return []
    if not isinstance(cases, (list, tuple)):
        raise ValueError(f"cases must be a list of Case objects, not {type(cases).__name__}")
    out, seen = [], set()
    for number, item in enumerate(cases):
        case = _case(item, number)
        if case.id in seen:
            continue  # hits repeat a case; keep its first (best) place
        seen.add(case.id)
        contact = first_contact(case, question)  # the contact the answer names first, as eval checks it
        out.append({"id": case.id, "municipality": case.municipality, "title": case.title,
                    "email": contact.email if contact else None})
    return out[:MAX_CASES]


def _record(question: object, history: object, cases: object, vote: object, answer: object,
            language: object) -> dict:
    text = _question(question)
    vote = _vote(vote)
    earlier = user_messages(history)[-HISTORY_TURNS:]  # what the assistant reads of a history
    if answer is not None and not isinstance(answer, str):
        raise ValueError(f"answer must be a string or None, not {type(answer).__name__}")
    if language is not None and (not isinstance(language, str) or not _LANGUAGE.fullmatch(language)):
        raise ValueError(f"language must be a language code such as 'da' or 'en', not {language!r}")
    record = {"time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
              "vote": vote, "question": text, "history": earlier}
    if language is not None:
        record["language"] = language
    record["cases"] = _returned(cases, text)
    if answer is not None:
        record["answer"] = answer if len(answer) <= MAX_ANSWER_CHARS else answer[:MAX_ANSWER_CHARS] + " …"
    return record


def _append_line(path: Path, line: bytes) -> None:
    """Append ``line`` under an exclusive lock; a torn last line (no final newline) is closed first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)  # votes quote users: owner only
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def record_vote(path: str | Path, *, question: str, history: list[str], cases: list, vote: str | bool,
                answer: str | None = None, language: str | None = None) -> dict:
    """Append one vote to the feedback file at ``path`` and return the record written.

    ``history`` holds the user's earlier messages (strings or ``{"role", "content"}`` chat messages;
    only the user's, the last 8, are kept); ``cases`` the cases the answer returned, best first
    (``Case`` or ``Hit`` objects; pass ``[]`` for a "not found" answer); ``vote`` "up"/"down" or
    True/False. Bad input raises ``ValueError`` and writes nothing.
    """
    record = _record(question, history, cases, vote, answer, language)
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    _append_line(Path(path), line.encode("utf-8"))
    return record


# ---- reading -----------------------------------------------------------------------------------------

class Votes(list):
    """The valid votes of a feedback file (a list of dicts), with the line numbers of the invalid ones."""

    def __init__(self, votes=(), invalid: tuple[int, ...] = ()) -> None:
        super().__init__(votes)
        self.invalid = tuple(invalid)


def _valid(row: object) -> bool:
    if not isinstance(row, dict) or row.get("vote") not in ("up", "down"):
        return False
    if not isinstance(row.get("question"), str) or not row["question"].strip():
        return False
    history, cases = row.get("history", []), row.get("cases", [])
    return isinstance(history, list) and all(isinstance(h, str) for h in history) \
        and isinstance(cases, list) and all(isinstance(c, dict) for c in cases)


def read_votes(path: str | Path) -> Votes:
    """The votes of a feedback file, oldest first. Lines that are not a valid vote (a torn write, a
    hand edit) are skipped, logged once as a warning, and their numbers kept in ``.invalid``."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"no feedback file at {path} (no votes have been recorded yet)") from None
    votes, invalid = [], []
    for number, raw in enumerate(data.split(b"\n"), 1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            row = None
        if _valid(row):
            votes.append(row)
        else:
            invalid.append(number)
    if invalid:
        log.warning("%s: skipped %d invalid line(s) (line %s)", path, len(invalid), ", ".join(map(str, invalid[:10])))
    return Votes(votes, invalid)


# ---- statistics --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VoteStats:
    votes: int
    up: int
    down: int
    invalid: int
    conversations: int        # distinct (history, question) pairs
    with_history: int         # votes on a question asked after earlier messages
    languages: dict[str, int]
    first: str | None         # time of the oldest and newest vote
    last: str | None

    def line(self) -> str:
        langs = ", ".join(f"{k} {v}" for k, v in sorted(self.languages.items())) or "none given"
        span = f"; {self.first} … {self.last}" if self.first else ""
        return (f"{self.votes} votes ({self.up} up, {self.down} down) on {self.conversations} distinct questions, "
                f"{self.with_history} with earlier messages; languages: {langs}; "
                f"{self.invalid} invalid lines skipped{span}")


def _key(vote: dict) -> tuple[str, ...]:
    return tuple(" ".join(t.casefold().split()) for t in [*vote.get("history", []), vote["question"]])


def stats(votes: list[dict]) -> VoteStats:
    languages: dict[str, int] = {}
    for v in votes:
        if isinstance(v.get("language"), str):
            languages[v["language"]] = languages.get(v["language"], 0) + 1
    times = sorted(v["time"] for v in votes if isinstance(v.get("time"), str))
    return VoteStats(len(votes), sum(v["vote"] == "up" for v in votes), sum(v["vote"] == "down" for v in votes),
                     len(getattr(votes, "invalid", ())), len({_key(v) for v in votes}),
                     sum(bool(v.get("history")) for v in votes), languages,
                     times[0] if times else None, times[-1] if times else None)


# ---- the draft question set --------------------------------------------------------------------------

@dataclass(frozen=True)
class DraftSummary:
    votes: int                # valid votes read
    labelled: int             # rows with an expected answer (from 👍 votes)
    to_label: int             # rows marked needs_label (from 👎 votes, and 👍 on a dialogue that found no case)
    invalid: int              # invalid lines skipped in the feedback file
    superseded: int           # older votes on the same conversation, dropped
    questions: int            # rows in the question file
    dialogues: int            # rows in the dialogue file
    questions_path: str
    dialogues_path: str | None

    def line(self) -> str:
        extra = f"; {self.superseded} older duplicate votes dropped" if self.superseded else ""
        return (f"{self.votes} votes read, {self.labelled} up → questions, {self.to_label} down → to label, "
                f"{self.invalid} invalid lines skipped{extra}")

    def to_dict(self) -> dict:
        return asdict(self)


def dialogues_path(out_path: str | Path) -> Path:
    """The dialogue file written beside a draft question file: ``<stem>-dialogues.jsonl``."""
    out_path = Path(out_path)
    return out_path.with_name(f"{out_path.stem}-dialogues.jsonl")


def _lang(vote: dict) -> str:
    lang = vote.get("language")
    if isinstance(lang, str) and lang:
        return lang
    try:
        return detect_language(vote["question"])
    except EmptyQueryError:
        return "da"


def _row(vote: dict) -> dict:
    """One draft row for a vote: a question (question_set.py's field order), or a dialogue when the
    vote came after earlier messages."""
    turns = [*vote.get("history", []), vote["question"]]
    cases = vote.get("cases", [])
    top = cases[0] if cases else None
    labelled = vote["vote"] == "up" and (top is not None or len(turns) == 1)  # a dialogue needs a case
    row: dict = {"id": "fb-" + hashlib.sha1("\n".join(_key(vote)).encode("utf-8")).hexdigest()[:10],
                 "lang": _lang(vote)}
    if len(turns) == 1:
        kind = "contact" if is_contact_question(vote["question"]) else "case"
        if labelled and top is None:
            kind = "none"  # 👍 on "not found"
        elif labelled and not top.get("municipality"):
            kind = "theme"  # the theme's intro answered it
        row.update(kind=kind, question=vote["question"])
    else:
        row["turns"] = turns
    row.update(municipality=top.get("municipality") if labelled and top else None,
               email=top.get("email") if labelled and top else None)
    if len(turns) == 1:
        row["evidence"] = None
    if not labelled:
        row.update(needs_label=True, returned=cases,
                   todo="fill in municipality and email (or set kind to none: no case answers it), "
                        "then delete needs_label")
    row.update(vote=vote["vote"], voted=vote.get("time"))
    return row


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    """Write ``rows`` to ``path`` whole or not at all (temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for row in rows:
                out.write(json.dumps(row, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def to_questions(votes: list[dict], out_path: str | Path, *, overwrite: bool = False) -> DraftSummary:
    """Write a draft question set for ``assistant eval`` from ``votes`` (see the module docstring).

    Questions go to ``out_path``, dialogues (votes with earlier messages) to ``<stem>-dialogues.jsonl``
    beside it. An existing file is only replaced with ``overwrite=True``: it may hold labels.
    """
    out_path = Path(out_path)
    side = dialogues_path(out_path)
    if not overwrite:
        for target in (out_path, side):
            if target.exists():
                raise FileExistsError(f"{target} exists (labels in it would be lost): choose another name "
                                      "or overwrite it (--force)")
    latest: dict[tuple[str, ...], dict] = {}
    for vote in votes:
        latest.pop(_key(vote), None)  # the latest vote wins, in the place of its latest vote
        latest[_key(vote)] = vote
    rows = [_row(v) for v in latest.values()]
    questions = [r for r in rows if "question" in r]
    dialogues = [r for r in rows if "turns" in r]
    _write_jsonl(out_path, questions)
    if dialogues:
        _write_jsonl(side, dialogues)
    elif side.exists():
        side.unlink()  # a dialogue file of an earlier draft would be read as this one's
    down = sum(bool(r.get("needs_label")) for r in rows)
    return DraftSummary(len(votes), len(rows) - down, down, len(getattr(votes, "invalid", ())),
                        len(votes) - len(rows), len(questions), len(dialogues), str(out_path),
                        str(side) if dialogues else None)
