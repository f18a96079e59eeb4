"""`assistant eval`: score retrieval, contacts, not-found replies and dialogues on a question set.

Relevance is judged per question from its expected ``municipality`` (the theme intro for kind
"theme"; nothing for kind "none", which only counts in the not-found metrics):

- case level: a returned case is relevant when its municipality is the expected one; the ranking
  is the order in which cases first appear in the hits. Where that municipality has several cases,
  only the one(s) holding the ``evidence`` text are relevant, else the one(s) whose contacts include the
  expected e-mail, else all of them;
- passage level: passages of a relevant case containing the ``evidence`` text (whitespace and case
  ignored); when the evidence is missing or not found, all passages of the relevant case(s).

Recall@1/3/5, MRR@10 and nDCG@10 come from ranx. Contact accuracy: the top case is relevant and its
contact e-mail equals the expected one (None included). The not-found and dialogue metrics go
through the Assistant (hybrid retriever), so they are reported once, for hybrid.

List questions (kind "list", an expected set of ``municipalities``) are asked through the Assistant too
and scored by the municipalities of ``reply.cases``: set precision (the share of listed municipalities
that are expected) and set recall (the share of expected ones listed), macro-averaged over the list
questions. An empty set scores 1 (nothing listed: precision 1; nothing expected: recall 1), so a question
no case answers costs precision when something is listed; "exact sets" counts answers equal to the
expected set. The ordinary metrics skip list questions.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .conversation import first_contact
from .corpus import CorpusError
from .embedding import ModelLoadError
from .fusion import RetrieverKind
from .question_set import KINDS, SPLITS, Dialogue, EvalInputError, Question, load_dialogues, load_questions
from .records import Case, Hit
from .retriever import Retriever

ALL_RETRIEVERS = ("bm25", "dense", "rrf", "hybrid")
RECALL_CUTOFFS = (1, 3, 5)


@dataclass(frozen=True)
class QuestionResult:
    """One question under one retriever."""

    case: dict[str, float]      # ranx metric -> value; empty when the question is not judged
    passage: dict[str, float]
    case_rank: int | None       # rank of the first relevant case among the returned cases
    top: tuple[str, ...]        # labels of the first three returned cases
    contact_ok: bool | None     # None when contact accuracy does not apply


@dataclass(frozen=True)
class AssistantResult:
    """The Assistant's reply to a question (history empty) or a dialogue's last turn."""

    found: bool
    case: str | None            # label of the case in focus
    email: str | None
    top: tuple[str, ...]
    correct: bool


@dataclass(frozen=True)
class ListResult:
    """A list question's answer: the municipalities listed, in order, against the expected set."""

    listed: tuple[str, ...]
    expected: tuple[str, ...]
    precision: float
    recall: float

    @property
    def exact(self) -> bool:
        return set(self.listed) == set(self.expected)


def set_scores(listed: Iterable[str], expected: Iterable[str]) -> tuple[float, float]:
    """Set precision and recall of ``listed`` against ``expected`` (an empty side scores 1)."""
    got, want = set(listed), set(expected)
    return (len(got & want) / len(got) if got else 1.0), (len(got & want) / len(want) if want else 1.0)


@dataclass(frozen=True)
class Failure:
    """A miss: wrong top case ("retrieval"), wrong contact, wrong not-found, or a wrong dialogue."""

    id: str
    lang: str
    kind: str
    what: str                   # "retrieval", "contact", "not-found", "dialogue", "list"
    detail: str                 # e.g. "rank 3", "not in top 10", "answered", "not found"
    question: str
    expected: str
    top: tuple[str, ...]


@dataclass
class Evaluation:
    questions: list[Question]
    dialogues: list[Dialogue]
    retrievers: list[str]
    k: int
    results: dict[str, dict[str, QuestionResult]]       # retriever -> question id -> result
    replies: dict[str, AssistantResult] = field(default_factory=dict)      # question id -> reply
    dialogue_results: dict[str, AssistantResult] = field(default_factory=dict)
    list_results: dict[str, ListResult] = field(default_factory=dict)     # list question id -> its answer
    evidence_missing: list[str] = field(default_factory=list)   # evidence not in the relevant case
    unjudged: list[str] = field(default_factory=list)           # answerable, but no relevant case
    assistant_retriever: str | None = None

    @property
    def metrics(self) -> tuple[str, ...]:
        return metric_names(self.k)

    def groups(self) -> dict[str, list[Question]]:
        """'all', 'lang:xx' per language, 'kind:xx' per kind present, 'split:xx' when there are several."""
        out = {"all": list(self.questions)}
        for lang in sorted({q.lang for q in self.questions} | {d.lang for d in self.dialogues}):
            out[f"lang:{lang}"] = [q for q in self.questions if q.lang == lang]
        for kind in KINDS:
            if any(q.kind == kind for q in self.questions):
                out[f"kind:{kind}"] = [q for q in self.questions if q.kind == kind]
        splits = sorted({q.split for q in self.questions if q.split})
        if len(splits) > 1:  # tune vs test, when the set holds both
            for split in splits:
                out[f"split:{split}"] = [q for q in self.questions if q.split == split]
        return out

    def summary(self, retriever: str, group: str = "all") -> dict[str, float | None]:
        """Mean metrics of one retriever over a group: 'case recall@1', …, 'contact accuracy'."""
        results = [self.results[retriever][q.id] for q in self.groups()[group]
                   if q.id in self.results.get(retriever, {})]
        judged = [r for r in results if r.case]
        out: dict[str, float | None] = {}
        for level in ("case", "passage"):
            for m in self.metrics:
                out[f"{level} {m}"] = _mean(getattr(r, level)[m] for r in judged) if judged else None
        contact = [r.contact_ok for r in results if r.contact_ok is not None]
        out["contact accuracy"] = _mean(contact) if contact else None
        return out

    def assistant_summary(self, group: str = "all") -> dict[str, float | None]:
        """Not-found accuracy, false not-found rate and dialogue accuracy of the Assistant."""
        questions = self.groups()[group]
        none = [self.replies[q.id] for q in questions if q.kind == "none" and q.id in self.replies]
        answerable = [self.replies[q.id] for q in questions if q.answerable and q.id in self.replies]
        dialogues = [self.dialogue_results[d.id] for d in self._dialogues_in(group) if d.id in self.dialogue_results]
        return {
            "not-found accuracy": _mean(not r.found for r in none) if none else None,
            "false not-found rate": _mean(not r.found for r in answerable) if answerable else None,
            "dialogue accuracy": _mean(r.correct for r in dialogues) if dialogues else None,
        }

    def list_summary(self, group: str = "all") -> dict[str, float | int | None]:
        """Set precision and recall of the list answers (macro-averaged), how many, how many exact."""
        results = [self.list_results[q.id] for q in self.groups()[group] if q.id in self.list_results]
        return {"set precision": _mean(r.precision for r in results) if results else None,
                "set recall": _mean(r.recall for r in results) if results else None,
                "list questions": len(results), "exact sets": sum(r.exact for r in results)}

    def counts(self, group: str) -> dict[str, int]:
        questions = self.groups()[group]
        out = {"questions": len(questions), "answerable": sum(q.answerable for q in questions),
               "none": sum(q.kind == "none" for q in questions), "dialogues": len(self._dialogues_in(group))}
        if any(q.kind == "list" for q in self.questions):
            out["list"] = sum(q.kind == "list" for q in questions)
        return out

    def _dialogues_in(self, group: str) -> list[Dialogue]:
        """Dialogues count in 'all' and in their language's and split's groups, not in kind groups."""
        if group == "all":
            return list(self.dialogues)
        return [d for d in self.dialogues if group in (f"lang:{d.lang}", f"split:{d.split}")]

    def failures(self, retriever: str | None = None) -> list[Failure]:
        """Misses of ``retriever`` (default hybrid, else the first evaluated) and of the Assistant."""
        retriever = retriever or ("hybrid" if "hybrid" in self.retrievers else self.retrievers[0])
        out = []
        for q in self.questions:
            r = self.results.get(retriever, {}).get(q.id)
            if r is None or not r.case:
                continue
            if r.case_rank != 1:
                detail = f"rank {r.case_rank}" if r.case_rank else f"not in top {self.k}"
                out.append(Failure(q.id, q.lang, q.kind, "retrieval", detail, q.question, expected_label(q), r.top))
            elif r.contact_ok is False:
                out.append(Failure(q.id, q.lang, q.kind, "contact", f"expected {q.email or 'no contact'}",
                                   q.question, expected_label(q), r.top))
        if retriever == self.assistant_retriever:
            for q in self.questions:
                reply = self.replies.get(q.id)
                if reply is not None and not reply.correct:
                    out.append(Failure(q.id, q.lang, q.kind, "not-found", "answered" if reply.found else "not found",
                                       q.question, expected_label(q), reply.top))
            for q in self.questions:
                listed = self.list_results.get(q.id)
                if listed is not None and not listed.exact:
                    missed = [m for m in listed.expected if m not in listed.listed]
                    extra = [m for m in dict.fromkeys(listed.listed) if m not in listed.expected]
                    detail = "; ".join(part for part in (f"missed {', '.join(missed)}" if missed else "",
                                                         f"extra {', '.join(extra)}" if extra else "") if part)
                    out.append(Failure(q.id, q.lang, q.kind, "list", detail, q.question,
                                       ", ".join(listed.expected) or "(none)", listed.listed[:3]))
            for d in self.dialogues:
                reply = self.dialogue_results.get(d.id)
                if reply is not None and not reply.correct:
                    detail = f"focus {reply.case or '-'} <{reply.email or 'no contact'}>" if reply.found else "not found"
                    out.append(Failure(d.id, d.lang, "dialogue", "dialogue", detail, " / ".join(d.turns),
                                       f"{expected_label(d)} <{d.email or 'no contact'}>", reply.top))
        return out


def metric_names(k: int) -> tuple[str, ...]:
    return (*(f"recall@{c}" for c in RECALL_CUTOFFS if c <= k), f"mrr@{k}", f"ndcg@{k}")


def _mean(values: Iterable[float | bool]) -> float:
    values = [float(v) for v in values]
    return sum(values) / len(values)


# ---- relevance and metrics ----------------------------------------------------------------------
def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def _email(value: str | None) -> str | None:
    return value.strip().lower() if value else None


def relevant_cases(question: Question, cases: Iterable[Case]) -> list[str]:
    """Ids of the cases that answer ``question``."""
    if question.kind == "none":
        return []
    if question.kind == "theme":
        return [c.id for c in cases if c.kind == "intro"]
    same = [c for c in cases if c.municipality and question.municipality in c.owners]
    if len(same) > 1:  # a municipality with several cases: the one holding the evidence, else the expected contact
        needle = _norm(question.evidence) if question.evidence else ""
        narrowed = [c for c in same if needle and needle in _norm(c.text)] or \
            [c for c in same if question.email and any(_email(x.email) == _email(question.email) for x in c.contacts)]
        same = narrowed or same
    return [c.id for c in same]


def relevant_passages(question: Question, case_ids: Iterable[str], passages_by_case: dict[str, list]) -> \
        tuple[list[str], bool]:
    """Ids of the relevant passages, and whether the evidence text was found in them."""
    candidates = [p for cid in case_ids for p in passages_by_case.get(cid, [])]
    if question.evidence:
        needle = _norm(question.evidence)
        matching = [p.id for p in candidates if needle in _norm(p.text)]
        if matching:
            return matching, True
    return [p.id for p in candidates], not question.evidence


def case_ranking(hits: Iterable[Hit]) -> list[str]:
    """Case ids in the order they first appear in the hits."""
    return list(dict.fromkeys(h.case.id for h in hits))


def score_rankings(relevant: dict[str, Iterable[str]], ranked: dict[str, list[str]],
                   metrics: Iterable[str]) -> dict[str, dict[str, float]]:
    """Per-query ranx scores of ``ranked`` ids against the ``relevant`` ids (binary relevance).

    Queries without relevant ids are left out; a query that returned nothing scores 0.
    """
    from ranx import Qrels, Run, evaluate

    metrics = list(metrics)
    judged = {q: list(dict.fromkeys(ids)) for q, ids in relevant.items() if ids}
    if not judged:
        return {}
    qrels = Qrels({q: {d: 1 for d in ids} for q, ids in judged.items()})
    run = Run({q: {d: 1.0 / rank for rank, d in enumerate(dict.fromkeys(ranked.get(q, [])), 1)}
               for q in judged})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        evaluate(qrels, run, metrics, return_mean=False, make_comparable=True)
    return {q: {m: float(run.scores[m][q]) for m in metrics} for q in judged}


def case_label(case: Case) -> str:
    return case.municipality or f"({case.kind}: {case.title})"


def expected_label(question: Question | Dialogue) -> str:
    if isinstance(question, Question) and question.kind == "theme":
        return "(theme intro)"
    if isinstance(question, Question) and question.kind == "none":
        return "(not found)"
    return question.municipality or "(none)"


def _top_labels(hits: Iterable[Hit], n: int = 3) -> tuple[str, ...]:
    """Labels of the first ``n`` distinct cases among the hits."""
    cases = {h.case.id: h.case for h in hits}
    return tuple(case_label(cases[cid]) for cid in list(cases)[:n])


# ---- running ------------------------------------------------------------------------------------
def evaluate(retriever: Retriever, questions: list[Question], dialogues: list[Dialogue] = (),
             retrievers: Iterable[str | RetrieverKind] = ALL_RETRIEVERS, k: int = 10, assistant=None,
             progress: bool | None = None) -> Evaluation:
    """Run every question through each retriever (and the Assistant, when hybrid is among them).

    ``assistant`` is anything with ``ask(message, history) -> Reply``; by default an Assistant over
    ``retriever``. ``progress`` None shows a bar on stderr when it is a terminal.
    """
    from tqdm import tqdm

    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a whole number of at least 1, not {k!r}")
    kinds = list(dict.fromkeys(RetrieverKind.from_str(r).value for r in retrievers))
    if not kinds:
        raise ValueError("no retriever to evaluate")
    cases = retriever.cases
    passages_by_case: dict[str, list] = {}
    for passage in retriever.data.passages:
        passages_by_case.setdefault(passage.case_id, []).append(passage)

    rel_cases, rel_passages, ev = {}, {}, Evaluation(list(questions), list(dialogues), kinds, k, {})
    for q in questions:
        rel_cases[q.id] = relevant_cases(q, cases.values())
        rel_passages[q.id], found = relevant_passages(q, rel_cases[q.id], passages_by_case)
        if q.answerable and not rel_cases[q.id]:
            ev.unjudged.append(q.id)
        elif q.answerable and not found:
            ev.evidence_missing.append(q.id)

    use_assistant = "hybrid" in kinds
    searched = [q for q in questions if q.answerable]
    total = len(searched) * len(kinds) + (len(questions) + len(dialogues) if use_assistant else 0)
    disable = None if progress is None else not progress
    with tqdm(total=total, desc="eval", unit="q", file=sys.stderr, disable=disable, leave=False) as bar:
        for kind in kinds:
            bar.set_description(f"eval {kind}")
            hits = {}
            for q in searched:
                hits[q.id] = retriever.search(q.question, k=k, retriever=kind)
                bar.update()
            case_scores = score_rankings(rel_cases, {q: case_ranking(h) for q, h in hits.items()}, ev.metrics)
            passage_scores = score_rankings(rel_passages, {q: [x.passage.id for x in h] for q, h in hits.items()},
                                            ev.metrics)
            ev.results[kind] = {}
            for q in searched:
                ranking = case_ranking(hits[q.id])
                rank = next((i for i, cid in enumerate(ranking, 1) if cid in rel_cases[q.id]), None)
                contact_ok = None
                if q.kind in ("case", "contact") and rel_cases[q.id]:
                    top = hits[q.id][0].case if hits[q.id] else None
                    first = first_contact(top, q.question)
                    contact_ok = top is not None and rank == 1 and _email(first.email if first else None) == _email(q.email)
                ev.results[kind][q.id] = QuestionResult(
                    case_scores.get(q.id, {}), passage_scores.get(q.id, {}), rank,
                    _top_labels(hits[q.id]), contact_ok)

        if use_assistant:
            if assistant is None:
                from .conversation import Assistant
                assistant = Assistant(retriever)
            ev.assistant_retriever = "hybrid"
            bar.set_description("eval assistant")
            for q in questions:
                reply = assistant.ask(q.question, history=[])
                if q.kind == "list":
                    ev.list_results[q.id] = _list_result(reply, q)
                else:
                    ev.replies[q.id] = _assistant_result(reply, answerable=q.answerable, question=q.question)
                bar.update()
            for d in dialogues:
                reply = assistant.ask(d.turns[-1], history=list(d.turns[:-1]))
                ev.dialogue_results[d.id] = _assistant_result(reply, dialogue=d, question=d.turns[-1])
                bar.update()
    return ev


def _list_result(reply, question: Question) -> ListResult:
    listed = tuple(dict.fromkeys(m for c in getattr(reply, "cases", None) or [] if c.municipality for m in c.owners))
    expected = tuple(question.municipalities or ())
    return ListResult(listed, expected, *set_scores(listed, expected))


def _assistant_result(reply, answerable: bool = True, dialogue: Dialogue | None = None,
                      question: str = "") -> AssistantResult:
    case = reply.case
    first = first_contact(case, question)
    email = first.email if first else None
    if dialogue is None:
        correct = bool(reply.found) == answerable
    elif dialogue.municipality is None and dialogue.email is None:  # the last turn is out of corpus
        correct = not reply.found
    else:
        correct = case is not None and dialogue.municipality in case.owners \
            and _email(email) == _email(dialogue.email)
    return AssistantResult(bool(reply.found), case_label(case) if case is not None else None, email,
                           _top_labels(reply.hits), bool(correct))


# ---- the command ----------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="assistant eval", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Score retrieval on a question set: case- and passage-level Recall@1/3/5, MRR@10 and "
                    "nDCG@10, contact accuracy, not-found and dialogue accuracy, per retriever, "
                    "language and question kind; set precision and recall of list questions.",
        epilog="examples:\n  assistant eval corpus/questions.jsonl\n"
               "  assistant eval corpus/questions.jsonl --retriever hybrid --split test --json\n"
               "  assistant eval my/questions.jsonl --corpus my/corpus --index my/index --report out/")
    parser.add_argument("questions", help="question set (JSON Lines, format in DESIGN.md)")
    parser.add_argument("--index", default=None, help="index folder (default index/ or $ASSISTANT_INDEX)")
    parser.add_argument("--corpus", default=None, help="corpus folder; without --index it is scored on a temporary index (default: the index's corpus)")
    parser.add_argument("--model", default=None, help="embedding model (default: the index's)")
    parser.add_argument("--retriever", default="all",
                        help="hybrid, dense, bm25, rrf, a comma list, or all (default: all side by side)")
    parser.add_argument("--split", default="all", choices=SPLITS, help="questions of this split (default all)")
    parser.add_argument("--dialogues", default=None,
                        help="dialogue set (default: dialogues.jsonl next to the questions, if present)")
    parser.add_argument("--no-dialogues", action="store_true", help="score the questions only")
    parser.add_argument("-k", type=int, default=10, help="ranking depth (default 10)")
    parser.add_argument("--failures", default=None, help="retriever whose misses are listed (default hybrid)")
    parser.add_argument("--json", dest="as_json", action="store_true", help="print one JSON object")
    parser.add_argument("--report", default=None, metavar="DIR", help="write report.md and retrievers.png here")
    return parser


def parse_retrievers(value: str) -> list[str]:
    names = [v.strip().lower() for v in value.split(",") if v.strip()]
    if not names:
        raise ValueError("--retriever is empty")
    if "all" in names:
        return list(ALL_RETRIEVERS)
    return list(dict.fromkeys(RetrieverKind.from_str(n).value for n in names))


def _build_progress():
    from tqdm import tqdm

    state: dict = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = tqdm(total=total, desc="embedding", unit="passage", file=sys.stderr, leave=False,
                                disable=None)  # None: only on a terminal
        state["bar"].update(done - state["bar"].n)
        if done >= total:
            state["bar"].close()

    return update


def main(argv: list[str] | None = None) -> int:
    """`assistant eval QUESTIONS.jsonl [options]`; returns the exit code (2 on bad input)."""
    from . import eval_report

    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # --help, or argparse's own usage error (already printed)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        kinds = parse_retrievers(args.retriever)
        if args.k < 1:
            raise ValueError(f"-k must be at least 1, not {args.k}")
        failures_of = RetrieverKind.from_str(args.failures).value if args.failures else None
        if failures_of and failures_of not in kinds:
            raise ValueError(f"--failures {failures_of}: that retriever is not evaluated (--retriever)")
        questions = load_questions(args.questions, args.split)
        dialogue_path = Path(args.dialogues) if args.dialogues else Path(args.questions).with_name("dialogues.jsonl")
        dialogues = [] if args.no_dialogues else \
            load_dialogues(dialogue_path, args.split) if args.dialogues or dialogue_path.is_file() else []
        if not questions and not dialogues:
            raise EvalInputError(f"{args.questions}: no questions in split {args.split!r}")
        with contextlib.ExitStack() as stack:
            index = args.index
            if args.corpus and not index:  # any corpus, scored in one command: a temporary index
                index = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="assistant-eval-"))) / "index"
                print(f"Building a temporary index of {args.corpus} …", file=sys.stderr)
            retriever = Retriever.load(index, corpus=args.corpus, model=args.model, progress=_build_progress())
            ev = evaluate(retriever, questions, dialogues, kinds, k=args.k)
        source = {"questions": str(args.questions), "dialogues": str(dialogue_path) if dialogues else None,
                  "split": args.split, "index": str(args.index or "(temporary)") if args.corpus else str(retriever.path),
                  "cases": len(retriever.cases),
                  "passages": len(retriever.data.passages),
                  "embedder": retriever.data.manifest.get("embedder", {}).get("name")}
        written = eval_report.write_report(ev, args.report, source, failures_of) if args.report else []
    except (EvalInputError, CorpusError, ModelLoadError, ValueError, OSError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    if args.as_json:
        print(json.dumps(eval_report.to_json(ev, source, failures_of), ensure_ascii=False, indent=2))
    else:
        print(eval_report.format_text(ev, source, failures_of))
    for path in written:
        print(f"Wrote {path}", file=sys.stderr)
    return 0
