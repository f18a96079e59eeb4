"""What every reader shares: the corpus error, size limits, build warnings, text blocks and headings."""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

log = logging.getLogger("assistant.corpus")

SUPPORTED_SUFFIXES = (".txt", ".html", ".htm", ".md", ".markdown", ".jsonl", ".csv", ".pdf")


@dataclass(frozen=True)
class Limit:
    """A size limit on corpus input, raised with an environment variable."""

    env: str
    default_mb: float
    what: str

    @property
    def bytes(self) -> int:
        raw = os.environ.get(self.env, "")
        try:
            value = float(raw) if raw.strip() else self.default_mb
        except ValueError:
            raise CorpusError(f"${self.env} must be a number of megabytes, not {raw!r}") from None
        if value <= 0:
            raise CorpusError(f"${self.env} must be a positive number of megabytes, not {raw!r}")
        return int(value * 1_000_000)

    def check(self, size: int, subject: str) -> None:
        if size > self.bytes:
            raise CorpusError(f"{subject} is {size / 1e6:.1f} MB, over the limit of {self.bytes / 1e6:g} MB "
                              f"{self.what}; to index it anyway, raise the limit: {self.env}=<megabytes>")


# Embedding is what costs: ~7 texts/s on 2 cores, ~3.5 texts a paragraph, so 1 MB of case text takes
# ~10 minutes to index. The limits stop a stray file (a log, a dump) from starting an hours-long build.
MAX_FILE = Limit("ASSISTANT_MAX_FILE_MB", 10, "for one corpus file")
MAX_CORPUS = Limit("ASSISTANT_MAX_CORPUS_MB", 100, "for all corpus files together")
MAX_TEXT = Limit("ASSISTANT_MAX_TEXT_MB", 5, "of case text to index (about 50 minutes of embedding)")
MAX_WORD = 300  # characters: longer runs without a space (base64, junk; not URLs) are cut, with a warning
MAX_FRONT_MATTER = 64_000  # bytes of YAML front matter
MAX_FIELD = 2_000  # characters of a front-matter or JSON field (title, contact name, source, ...)

_WARNINGS: ContextVar[list[str] | None] = ContextVar("corpus_warnings", default=None)


def warn(message: str) -> None:
    """Report something the corpus reader skipped or dropped (logged, and kept for the build's manifest)."""
    log.warning("%s", message)
    collected = _WARNINGS.get()
    if collected is not None and message not in collected:
        collected.append(message)


@contextmanager
def collecting_warnings(into: list[str] | None) -> Iterator[None]:
    token = _WARNINGS.set(into if into is not None else _WARNINGS.get())
    try:
        yield
    finally:
        _WARNINGS.reset(token)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"(?:tlf\.?|telefon|phone|tel\.?|mobil)\s*:?\s*(\+?\d[\d ]{6,}\d)", re.IGNORECASE)
_DOC = re.compile(r"\((?:pdf|docx?|xlsx?|pptx?)\)\s*$|\.pdf\b", re.IGNORECASE)
_NAME = re.compile(r"[A-ZÆØÅ][\w’'-]+(?:\s+(?:[A-ZÆØÅ][\w’'-]+|de|van|von))*\s+[A-ZÆØÅ][\w’'-]+")
_MORE = re.compile(r"^(vil du vide mere|læs mere|mere information|kontakt|kontaktperson|"
                   r"want to know more|more information|contact)\b.*[?:]?$", re.IGNORECASE)



# the heading of a box or run of links to other pages ("Relateret indhold", "Læs også", "Se også", "Related
# content"); the HTML reader also counts "Læs mere"/"Read more", which in a text copy can open a case's contact part
LINKS_HEADING = (r"relateret(?: indhold)?|relaterede \w+|læs også|se også|mere om emnet|"
                 r"related(?: content| articles| pages| links)?|see also")


# Page furniture: lines that are navigation, labels, share icons, placeholders or notices, never content.
_FURNITURE_LINES = {
    "gå til hovedindhold", "gå til indhold", "spring til indhold", "spring til hovedindhold", "skip to content",
    "skip to main content", "tema", "indhold", "indholdsfortegnelse", "ældre end 12 mdr.", "ældre end 12 måneder",
    "menu", "søg", "søgning", "log ind", "log ud", "luk", "tilbage", "til toppen", "print", "udskriv", "del",
    "del siden", "del artiklen", "facebook", "linkedin", "twitter", "instagram", "youtube", "x", "mail", "e-mail",
    "kopier link", "læs også", "relateret", "relaterede temaer", "relaterede artikler", "følg os",
    "case", "cases", "eksempel", "nyhed", "nyheder", "artikel", "nyhedsbrev", "accepter", "accepter alle", "afvis",
    "cookies", "cookieindstillinger", "annonce", "english", "dansk", "kalaallisut", "da", "en", "kl",
}
_FURNITURE_KEYS = frozenset(line.strip(" .:") for line in _FURNITURE_LINES)
_FURNITURE = re.compile(
    r"^(?:\[(?:billede|image|foto|illustration|video)\b[^\]]*\]"          # image placeholders
    r"|(?:foto|photo|billede|illustration)\s*:.{0,80}"                     # photo credits
    r"|log\s+ind\b.{0,120}|du\s+skal\s+være\s+logget\s+ind.{0,120}"          # login walls
    r"|kategori(?:er)?\s*:.{0,80}|tags?\s*:.{0,120}|emner?\s*:.{0,120}"
    r"|(?:sidst\s+|senest\s+)?(?:opdateret|publiceret|udgivet|redigeret)\s*:?\s*\d.{0,40}"
    r"|(?:hentet|gemt|downloadet|udskrevet|saved|retrieved|fetched|accessed|printed)(?:\s+\w+)?\s*:?\s*\d.{0,60}"
    r"|(?:del|share)(?:\s+(?:på|on|via))?\s+(?:facebook|linkedin|twitter|x|e-?mail)"
    r"|side\s+\d+\s+af\s+\d+|page\s+\d+\s+of\s+\d+"                        # page footers
    r"|.{1,100}?(?:\.{4,}|…{2,}|\s\.{1,3}\s)\s*\d{1,4}"                     # contents: "Titel ...... 4", "… kasseret . 5"
    r"|(?:send|e-?mail)\s+(?:som|as|til|to|this)\s+(?:e-?mail|mail|en\s+ven|a\s+friend|page)"  # share links
    r"|(?:share|print|del|udskriv)\s+(?:this|denne|siden|artiklen)(?:\s+(?:page|article|side|artikel))?"
    r"|inspirationskatalog(?:et)?\s+[\wæøå -]{0,50}"                          # catalogue breadcrumb
    # a reader view's or article's head: the site's bare name ("kl.dk"), the reading time ("7-9 minutter",
    # "Læsetid: 4 min", "5 min read"), a byline ("Af Katrine Holm, journalist") and a bare date line
    r"|(?:www\.)?[\w-]+(?:\.[\w-]+)*\.(?:dk|com|org|net|eu|gl|fo|se|de)"
    r"|(?:læsetid|reading\s+time)?\s*:?\s*\d{1,2}(?:\s*[-–]\s*\d{1,2})?\s*(?:min\.?|minutter|minutes?)"
    r"(?:\s+(?:læsning|læsetid|read|reading))?"
    r"|(?:af|by|skrevet\s+af|written\s+by)\s+(?-i:[A-ZÆØÅ][a-zæøåéü'’-]+(?:\s+[A-ZÆØÅ][a-zæøåéü'’-]+){1,3})"
    r"(?:\s*,\s*[^,.@]{2,40})?"
    r"|\d{1,2}\.\s*(?:jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)[a-z]*\.?\s+\d{4}"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}"
    r"|[^\s/›>»|]{1,30}(?:\s*[/›>»|]\s*[^\s/›>»|][^/›>»|]{0,30}){1,5})$",      # breadcrumbs "Tema / Økonomi"
    re.IGNORECASE)


# the names a focus area goes by on catalogue pages (labels, breadcrumbs, tags, URL paths), lower case
_FOCUS_NAMES = {
    **dict.fromkeys(("social", "socialt", "social bæredygtighed"), "social"),
    **dict.fromkeys(("klima", "miljø", "klima og miljø", "klima og miljømæssig bæredygtighed",
                     "klima og miljømæssig", "klima og miljøø", "klima og miljømaessig"), "klima- og miljømæssig"),
    **dict.fromkeys(("økonomi", "økonomisk", "økonomisk bæredygtighed", "økønømisk"), "økonomisk"),
    **dict.fromkeys(("partnerskaber", "partnerskab", "partnerskaber for handling"), "partnerskaber"),
}
_FOCUS_PREFIX = re.compile(r"^(?:fokusområde|kategori(?:er)?|tema|emne|inspirationskatalog(?:et)?)\s*[:/›>|-]?\s*",
                           re.IGNORECASE)
_FOCUS_URL = re.compile(r"/(social|klima-og-miljoe(?:maessig)?|oekonomisk)-baeredygtighed\b|/partnerskaber-for-handling\b")


def focus_label(text: str | None) -> str | None:
    """The focus area a short label states: "Kategori: Social bæredygtighed", "Tema / Økonomi",
    "Inspirationskatalog Social bæredygtighed", a tag "Partnerskaber", or a catalogue URL's path."""
    if not text:
        return None
    if "://" in text:
        match = _FOCUS_URL.search(text)
        if not match:
            return None
        text = {"social": "social", "oekonomisk": "økonomisk"}.get(match.group(1) or "", "partnerskaber" if not
                                                                      match.group(1) else "klima og miljø")
    line = re.sub(r"\s+", " ", text).strip()
    if len(line) > 60:
        return None
    parts = [p for p in re.split(r"\s*[/›>|»]\s*", line) if p]
    last = re.sub(r"\s+", " ", _FOCUS_PREFIX.sub("", parts[-1] if parts else "").strip(" .:").lower())
    return _FOCUS_NAMES.get(last.replace("-", " ").replace("  ", " "))


def drop_furniture(blocks: list) -> list:
    """``blocks`` without furniture; a focus-area label among it ("Kategori: Social bæredygtighed")
    is kept as the ``focus`` of the block after it."""
    kept, pending = [], None
    for block in blocks:
        if is_furniture(block.text):
            pending = focus_label(block.text) or pending
            continue
        if pending:
            block.focus, pending = pending, None
        kept.append(block)
    return kept


_HERE = re.compile(r"\b(?:du\s+er\s+her|you\s+are\s+here)\s*:\s*\S+(?:\s*[/›>»|]\s*[^/›>»|]+){1,}", re.IGNORECASE)


def is_furniture(text: str) -> bool:
    """Whether a line or block is page furniture (skip-links, breadcrumbs, icons, notices, credits)."""
    line = re.sub(r"\s+", " ", text).strip()
    if not line:
        return True
    if line.lower().strip(" .:") in _FURNITURE_KEYS:
        return True
    if len(line) <= 300 and _HERE.search(line) and not re.search(r"[.!?]\s+[A-ZÆØÅ]", line):
        return True  # a text copy's site header run together with its breadcrumb ("… Søg Du er her: Forside / …")
    parts = [p for p in re.split(r"\s{2,}|\s[|·]\s", text.strip()) if p.strip()]
    if len(parts) >= 2 and all(is_furniture(part) for part in parts):  # "Del på Facebook   Del på LinkedIn   Print"
        return True
    return len(line) <= 160 and bool(_FURNITURE.match(line)) and "@" not in line and not line.endswith(".")


_SOURCE_LINE = re.compile(r"^\s*(?:kilde|source|url)\s*:\s*(https?://\S+)\s*$", re.IGNORECASE)


def source_line(text: str) -> str | None:
    """The URL of a "Kilde: https://…" line (a text copy's record of where the page came from)."""
    match = _SOURCE_LINE.match(text)
    return match.group(1) if match else None


class CorpusError(ValueError):
    """The corpus folder or one of its files cannot be read into cases."""


_SECTION_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2})*[.)]?\s+(?=[A-ZÆØÅ])|^\d{1,2}\)\s+(?=\d)")  # "2.", "2", "2)"
_LONG_WORD = re.compile(rf"\S{{{MAX_WORD + 1},}}")


def clip_long_words(text: str) -> str:
    """``text`` with every run of over MAX_WORD non-space characters cut to MAX_WORD (and a warning)."""
    if len(text) <= MAX_WORD or not _LONG_WORD.search(text):
        return text
    warn(f"cut a {len(max(_LONG_WORD.findall(text), key=len))}-character word to {MAX_WORD} characters "
         f"(\"{text[:40]}…\")")
    return _LONG_WORD.sub(lambda m: m.group(0)[:MAX_WORD] + "…", text)


@dataclass
class Block:
    text: str
    heading: bool | None = None  # None: decide from the text
    url: str | None = None
    page: int | None = None  # page number in a PDF
    focus: str | None = None  # a focus-area label ("Kategori: Social bæredygtighed") stood right above it
    box: int | None = None  # which of the page's case containers (repeated <article>, <li> …) holds it
    aside: bool = False  # from a sidebar beside the text (a contact box there does not end the case)
    rule: bool = False  # a separator line ("=====", "-----", "* * *") stands right above it: a case starts here
    level: int | None = None  # a Markdown heading's level (2 for "##"), where the page says

    def __post_init__(self) -> None:
        self.text = clip_long_words(self.text)
        unnumbered = _SECTION_NUMBER.sub("", self.text) if self.heading is not False else self.text
        if unnumbered != self.text and looks_like_heading(unnumbered):
            self.text = unnumbered  # "2. Unge i grønne sommerjob", "3) …": a report's numbering

    @property
    def is_heading(self) -> bool:
        if self.heading is not None:
            return self.heading
        return looks_like_heading(self.text)


def looks_like_heading(text: str) -> bool:
    text = text.strip()
    if "\n" in text or len(text) > 110 or not text or len(text.split()) >= 12:  # 12+ words: a sentence
        return False
    if _EMAIL.search(text) or _DOC.search(text):
        return False
    return not text.endswith((".", ",", ";"))


def slugify(text: str, limit: int = 48) -> str:
    table = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "é": "e", "ü": "u", "ö": "o", "ä": "a"})
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower().translate(table)).strip("-")
    return slug[:limit].rstrip("-") or "case"
