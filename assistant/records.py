"""Typed records passed between layers: cases, passages, hits, replies."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Contact:
    """A case's contact as the source gives it: a person (name, role), or a department's mailbox
    (``name`` None, ``department`` set); ``email`` validated, ``phone`` as +45XXXXXXXX when Danish."""

    name: str | None
    role: str | None = None
    email: str | None = None
    phone: str | None = None
    department: str | None = None

    @property
    def label(self) -> str:
        """Who to ask, for display: the name, else the department, else the address."""
        return self.name or self.department or self.email or self.phone or ""


@dataclass(frozen=True)
class Section:
    """A heading and the paragraphs under it (heading is None for a lead)."""

    heading: str | None
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Document:
    """A document a case mentions (e.g. a PDF strategy), with its link if known."""

    title: str
    url: str | None = None


@dataclass(frozen=True)
class Case:
    """One municipal case (or a theme intro, where ``municipality`` is None)."""

    id: str
    title: str
    municipality: str | None
    theme: str | None
    sections: tuple[Section, ...]
    contact: Contact | None  # the first of ``contacts`` (either may be given; the other follows)
    documents: tuple[Document, ...] = ()
    source: str = ""
    kind: str = "case"  # "case" or "intro"
    contacts: tuple[Contact, ...] = ()
    goals: tuple[int, ...] = ()  # Verdensmål (1-17) the case names
    focus: str | None = None  # focus area when the page states one
    file: str = ""  # the corpus file it was read from (``source`` may be the page's URL)
    partners: tuple[str, ...] = ()  # other municipalities whose case it is too (a joint case, a contact in each)

    @property
    def owners(self) -> tuple[str | None, ...]:
        """Whose case it is: the municipality, then a joint case's partners (None first for a theme intro)."""
        return (self.municipality, *self.partners)

    @property
    def place(self) -> str | None:
        """The municipality, with a joint case's partners: "Assens, Faaborg-Midtfyn"."""
        return ", ".join(self.owners) if self.municipality else None

    def __post_init__(self) -> None:
        contacts = tuple(self.contacts)
        if not contacts and self.contact is not None:
            contacts = (self.contact,)
        object.__setattr__(self, "contacts", contacts)
        object.__setattr__(self, "contact", contacts[0] if contacts else None)
        object.__setattr__(self, "goals", tuple(self.goals))

    @property
    def text(self) -> str:
        parts = []
        for section in self.sections:
            if section.heading:
                parts.append(section.heading)
            parts.extend(section.paragraphs)
        return "\n\n".join(parts)


@dataclass(frozen=True)
class Passage:
    """A paragraph of a case with the context it is indexed with."""

    id: str
    case_id: str
    text: str
    heading: str | None
    position: int  # order of the passage inside its case
    context: str | None = None  # extra case text indexed with it (not shown), e.g. the case lead

    def indexed_text(self, case: Case) -> str:
        """The text embedded and BM25-tokenised: case context + paragraph."""
        head = case.municipality + ": " + case.title if case.municipality else case.title
        if self.heading and self.heading != case.title:
            head += " — " + self.heading
        body = self.text if not self.context else self.context + "\n" + self.text
        return head + "\n" + body


@dataclass(frozen=True)
class Source:
    """Where a passage came from: corpus file and section heading."""

    file: str
    heading: str | None

    def __str__(self) -> str:
        return f"{self.file} › {self.heading}" if self.heading else self.file


@dataclass(frozen=True)
class Hit:
    """One ranked result: a passage with its case, score and source."""

    rank: int
    score: float
    passage: Passage
    case: Case
    dense_score: float | None = None
    sparse_score: float | None = None

    @property
    def text(self) -> str:
        return self.passage.text

    @property
    def source(self) -> Source:
        return Source(self.case.source, self.passage.heading)

    @property
    def contact(self) -> Contact | None:
        return self.case.contact


@dataclass(frozen=True)
class Reply:
    """An assistant turn: Markdown answer, the hits it rests on, and whether it was found."""

    answer: str
    hits: list[Hit] = field(default_factory=list)
    found: bool = True
    case: Case | None = None  # the case in focus after this turn
    language: str = "da"
    query: str = ""  # what was searched: the message, or the topic + follow-up it resolved to
    reason: str | None = None  # when not found: "not_found", "no_topic" (a follow-up with nothing before
                               # it) or "filtered" (the question names a municipality the filter excludes)
    cases: list[Case] = field(default_factory=list)  # the cases the answer names: every listed case of a
                               # list answer, in order; [case] for an ordinary found answer; [] when not found
    kind: str = "single"       # "list" for a list question ("Hvilke kommuner …?"), else "single"

    def __post_init__(self) -> None:
        if not self.cases and self.found and self.case is not None and self.kind != "list":
            object.__setattr__(self, "cases", [self.case])
