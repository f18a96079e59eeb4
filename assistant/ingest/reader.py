"""A corpus folder into cases: which files count, size limits, one reader per format, the corpus hash."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import replace
from pathlib import Path

from ..records import Case
from .common import MAX_CORPUS, MAX_FILE, MAX_TEXT, SUPPORTED_SUFFIXES, CorpusError, collecting_warnings, warn
from .html import parse_theme_html
from .markdown import parse_jsonl, parse_markdown
from .pdf import parse_pdf
from .table import parse_table
from .text import parse_theme_text


def _is_question_set(path: Path) -> bool:
    """Files kept beside the cases that are none: evaluation files (questions*.jsonl, dialogues*.jsonl,
    list-questions.jsonl: a name holding "questions" or "dialogues") and a folder's README or CHANGELOG."""
    stem = path.stem.lower()
    return (path.suffix.lower() == ".jsonl" and any(w in path.name.lower() for w in ("questions", "dialogues"))) \
        or stem in ("readme", "changelog", "license", "licence")


def corpus_files(folder: str | Path) -> list[Path]:
    """The files a corpus folder contributes, sorted; CorpusError when there are none or they are
    over the size limits (MAX_FILE, MAX_CORPUS)."""
    root = Path(folder)
    if not root.exists():
        raise CorpusError(f"corpus folder not found: {root}")
    if not root.is_dir():
        raise CorpusError(f"corpus path is not a folder: {root}")
    try:
        files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                       and not p.name.startswith(".") and not _is_question_set(p))
        sizes = {p: p.stat().st_size for p in files}
    except OSError as exc:
        raise CorpusError(f"cannot read the corpus folder {root}: {exc.strerror or exc}") from exc
    if not files:
        raise CorpusError(f"corpus folder {root} has no case files ({', '.join(SUPPORTED_SUFFIXES)})")
    for path, size in sizes.items():
        MAX_FILE.check(size, f"corpus file {path}")
    MAX_CORPUS.check(sum(sizes.values()), f"corpus folder {root}")
    return files


def read_text(path: Path) -> str:
    """A corpus file's text (UTF-8, a leading byte-order mark dropped); CorpusError when unreadable."""
    try:
        return path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise CorpusError(f"cannot read {path}: {exc.strerror or exc}") from exc


def parse_file(path: Path, source: str) -> list[Case]:
    if path.suffix.lower() == ".pdf":
        return parse_pdf(path, source)
    text = read_text(path)
    if not text.strip():
        warn(f"{source}: skipped, the file is empty")
        return []
    suffix = path.suffix.lower()
    try:
        if suffix in {".html", ".htm"}:
            return parse_theme_html(text, source)
        if suffix in {".md", ".markdown"}:
            return parse_markdown(text, source)
        if suffix == ".jsonl":
            return parse_jsonl(text, source)
        if suffix == ".csv":
            return parse_table(text, source)
        return parse_theme_text(text, source)
    except RecursionError:
        raise CorpusError(f"{source}: nested too deeply to read") from None


def load_corpus(folder: str | Path, warnings: list[str] | None = None) -> list[Case]:
    """Every case in a corpus folder, in file order; ids made unique. What is skipped or dropped
    (empty files, invalid e-mails, cut words) is logged and appended to ``warnings``."""
    root = Path(folder)
    cases: list[Case] = []
    with collecting_warnings(warnings):
        for path in corpus_files(root):
            name = path.relative_to(root).as_posix()
            cases.extend(replace(case, file=name) for case in parse_file(path, name))
    if not cases:
        raise CorpusError(f"corpus folder {root} holds no cases")
    MAX_TEXT.check(sum(len(c.text.encode("utf-8")) for c in cases), f"the case text in {root}")
    seen: Counter[str] = Counter()
    unique = []
    for case in cases:
        seen[case.id] += 1
        if seen[case.id] > 1:
            case = Case(**{**case.__dict__, "id": f"{case.id}-{seen[case.id]}"})
        unique.append(case)
    return unique


def corpus_hash(folder: str | Path) -> str:
    """A hash of every corpus file's name and bytes: changes whenever the corpus does."""
    root = Path(folder)
    digest = hashlib.sha256()
    for path in corpus_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        try:
            digest.update(path.read_bytes() + b"\0")
        except OSError as exc:
            raise CorpusError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return digest.hexdigest()
