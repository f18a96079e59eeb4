"""Rendering an Evaluation: plain-text tables, JSON, a Markdown report and a bar chart (PNG)."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from .evaluation import Evaluation

_LABELS = {"recall": "R", "mrr": "MRR", "ndcg": "nDCG"}
ASSISTANT_METRICS = ("not-found accuracy", "false not-found rate", "dialogue accuracy")
CHART_METRICS = ("case R@1", "case MRR@{k}", "case nDCG@{k}", "passage R@1")


def metric_label(key: str) -> str:
    """'case recall@1' -> 'case R@1'; 'passage ndcg@10' -> 'passage nDCG@10'."""
    level, _, metric = key.rpartition(" ")
    name, at, cutoff = metric.partition("@")
    return f"{level} {_LABELS.get(name, name)}{at}{cutoff}".strip() if at else key


def _value(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# ---- the tables, shared by the text and Markdown renderers ---------------------------------------
def overall_table(ev: Evaluation) -> tuple[list[str], list[list[str]]]:
    summaries = {r: ev.summary(r) for r in ev.retrievers}
    rows = [[metric_label(key)] + [_value(summaries[r][key]) for r in ev.retrievers]
            for key in summaries[ev.retrievers[0]]]
    if ev.assistant_retriever:
        assistant = ev.assistant_summary()
        for key in ASSISTANT_METRICS:
            rows.append([f"{key} (assistant)"] + [_value(assistant[key]) if r == ev.assistant_retriever else "—"
                                                  for r in ev.retrievers])
        lists = ev.list_summary()
        if lists["list questions"]:
            for key in ("set precision", "set recall"):
                rows.append([f"{key} (assistant, {lists['list questions']} list questions)"]
                            + [_value(lists[key]) if r == ev.assistant_retriever else "—" for r in ev.retrievers])
            rows.append([f"exact sets (assistant, of {lists['list questions']})"]
                        + [str(lists["exact sets"]) if r == ev.assistant_retriever else "—" for r in ev.retrievers])
    return ["metric", *ev.retrievers], rows


def group_table(ev: Evaluation) -> tuple[list[str], list[list[str]]]:
    keys = ("case recall@1", f"case mrr@{ev.k}")
    rows = []
    for group in ev.groups():
        if group == "all" or not any(q.answerable for q in ev.groups()[group]):
            continue
        summaries = {r: ev.summary(r, group) for r in ev.retrievers}
        for key in keys:
            rows.append([group.split(":", 1)[1], metric_label(key)] + [_value(summaries[r][key]) for r in ev.retrievers])
    return ["group", "metric", *ev.retrievers], rows


def counts_table(ev: Evaluation) -> tuple[list[str], list[list[str]]]:
    columns = ["questions", "answerable", "none"] + (["list"] if "list" in ev.counts("all") else []) + ["dialogues"]
    rows = [[group] + [str(ev.counts(group)[c]) for c in columns] for group in ev.groups()]
    return ["group", *columns], rows


def failures_table(ev: Evaluation, retriever: str | None = None, width: int = 60) -> tuple[list[str], list[list[str]]]:
    rows = [[f.id, f.lang, f.kind, f"{f.what}: {f.detail}", f.expected, ", ".join(f.top) or "—",
             _short(f.question, width)] for f in ev.failures(retriever)]
    return ["id", "lang", "kind", "miss", "expected", "top 3 returned", "question"], rows


def _failures_of(ev: Evaluation, retriever: str | None) -> str:
    return retriever or ("hybrid" if "hybrid" in ev.retrievers else ev.retrievers[0])


def _notes(ev: Evaluation) -> list[str]:
    notes = []
    if ev.evidence_missing:
        notes.append("evidence text not found in the relevant case (all its passages count): "
                     + ", ".join(ev.evidence_missing))
    if ev.unjudged:
        notes.append("no relevant case in this corpus (left out of retrieval metrics): " + ", ".join(ev.unjudged))
    if not ev.assistant_retriever:
        notes.append("not-found, dialogue and list metrics need the hybrid retriever (the Assistant's): not run")
    return notes


def _headline(ev: Evaluation, source: dict) -> str:
    c = ev.counts("all")
    line = (f"{source.get('questions', 'questions')} (split {source.get('split', 'all')}): {c['questions']} questions "
            f"({c['answerable']} answerable, {c['none']} not answerable"
            + (f", {c['list']} list questions" if c.get("list") else "") + f"), {c['dialogues']} dialogues; k={ev.k}")
    if source.get("cases") is not None:
        line += (f"\nindex {source.get('index')}: {source['cases']} cases, {source['passages']} passages, "
                 f"embedder {source.get('embedder')}")
    return line


# ---- plain text -------------------------------------------------------------------------------------
def render_plain(header: list[str], rows: list[list[str]], left: int = 1) -> str:
    """Columns padded to width; the first ``left`` columns left-aligned, the others right-aligned."""
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < left else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in rows])


def format_text(ev: Evaluation, source: dict | None = None, failures_of: str | None = None) -> str:
    source = source or {}
    failures = failures_table(ev, failures_of)
    parts = [_headline(ev, source), "", render_plain(*overall_table(ev)), "",
             "By language and question kind", render_plain(*group_table(ev), left=2), "",
             "Counts", render_plain(*counts_table(ev)), "",
             f"Failures ({_failures_of(ev, failures_of)}): {len(failures[1])}"]
    if failures[1]:
        parts.append(render_plain(*failures, left=7))
    parts += [f"Note: {n}" for n in _notes(ev)]
    return "\n".join(parts)


# ---- JSON ---------------------------------------------------------------------------------------------
def _level_dict(summary: dict) -> dict:
    out: dict = {"case": {}, "passage": {}}
    for key, value in summary.items():
        level, _, metric = key.partition(" ")
        if level in out:
            out[level][metric] = value
        else:
            out[key.replace(" ", "_")] = value
    return out


def to_json(ev: Evaluation, source: dict | None = None, failures_of: str | None = None) -> dict:
    groups = list(ev.groups())
    data: dict = {
        "source": source or {},
        "k": ev.k,
        "retrievers": ev.retrievers,
        "counts": {g: ev.counts(g) for g in groups},
        "metrics": {r: {g: _level_dict(ev.summary(r, g)) for g in groups} for r in ev.retrievers},
        "not_found": None,
        "dialogues": None,
    }
    if ev.assistant_retriever:
        by_group = {g: ev.assistant_summary(g) for g in groups}
        data["not_found"] = {
            "retriever": ev.assistant_retriever,
            "accuracy": by_group["all"]["not-found accuracy"],
            "false_not_found_rate": by_group["all"]["false not-found rate"],
            "by_group": {g: {"accuracy": s["not-found accuracy"], "false_not_found_rate": s["false not-found rate"]}
                         for g, s in by_group.items()},
        }
        data["dialogues"] = {
            "retriever": ev.assistant_retriever,
            "accuracy": by_group["all"]["dialogue accuracy"],
            "n": len(ev.dialogue_results),
            "by_group": {g: s["dialogue accuracy"] for g, s in by_group.items() if ev.counts(g)["dialogues"]},
            "results": [{"id": d.id, "lang": d.lang, "expected": d.municipality, "expected_email": d.email,
                         **asdict(ev.dialogue_results[d.id])} for d in ev.dialogues if d.id in ev.dialogue_results],
        }
    if ev.list_results:
        summary = ev.list_summary()
        data["lists"] = {
            "retriever": ev.assistant_retriever, "n": summary["list questions"],
            "precision": summary["set precision"], "recall": summary["set recall"], "exact": summary["exact sets"],
            "by_group": {g: ev.list_summary(g) for g in groups if ev.list_summary(g)["list questions"]},
            "results": [{"id": q.id, "lang": q.lang, **asdict(ev.list_results[q.id])}
                        for q in ev.questions if q.id in ev.list_results],
        }
    else:
        data["lists"] = None
    data["failures_retriever"] = _failures_of(ev, failures_of)
    data["failures"] = [asdict(f) for f in ev.failures(failures_of)]
    data["questions"] = [
        {"id": q.id, "lang": q.lang, "kind": q.kind, "split": q.split, "expected": q.municipality, "email": q.email,
         "results": {r: asdict(ev.results[r][q.id]) for r in ev.retrievers if q.id in ev.results.get(r, {})},
         "assistant": asdict(ev.replies[q.id]) if q.id in ev.replies else None}
        for q in ev.questions]
    data["evidence_not_found"] = list(ev.evidence_missing)
    data["unjudged"] = list(ev.unjudged)
    return data


# ---- Markdown and the chart -------------------------------------------------------------------------
def render_markdown(header: list[str], rows: list[list[str]], left: int = 1) -> str:
    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    align = [":--" if i < left else "--:" for i in range(len(header))]
    lines = ["| " + " | ".join(cell(h) for h in header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def format_markdown(ev: Evaluation, source: dict | None = None, failures_of: str | None = None,
                    chart: str | None = "retrievers.png") -> str:
    source = source or {}
    failures = failures_table(ev, failures_of, width=100)
    parts = ["# Retrieval evaluation", "", _headline(ev, source).replace("\n", "  \n"), ""]
    if chart:
        parts += [f"![Retrievers compared]({chart})", ""]
    parts += ["## Overall", "", render_markdown(*overall_table(ev)), "",
              "## By language and question kind", "", render_markdown(*group_table(ev), left=2), "",
              "## Counts", "", render_markdown(*counts_table(ev)), "",
              f"## Failures ({_failures_of(ev, failures_of)}): {len(failures[1])}", ""]
    parts += [render_markdown(*failures, left=7) if failures[1] else "No misses.", ""]
    notes = _notes(ev)
    if notes:
        parts += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(parts)


def write_chart(ev: Evaluation, path: str | Path) -> Path:
    """A grouped bar chart: case R@1, MRR, nDCG and passage R@1, one bar per retriever."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = [m.format(k=ev.k) for m in CHART_METRICS]
    keys = {metric_label(key): key for key in ev.summary(ev.retrievers[0])}
    fig = Figure(figsize=(8, 4.5), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    width = 0.8 / len(ev.retrievers)
    for i, retriever in enumerate(ev.retrievers):
        summary = ev.summary(retriever)
        values = [summary[keys[label]] or 0.0 for label in labels]
        xs = [j + (i - (len(ev.retrievers) - 1) / 2) * width for j in range(len(labels))]
        bars = ax.bar(xs, values, width, label=retriever)
        ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=2)
    ax.set_xticks(range(len(labels)), labels)
    ax.set_ylim(0, 1.22)
    ax.set_ylabel("score")
    ax.set_title(f"Retrievers compared ({ev.counts('all')['answerable']} answerable questions)")
    ax.legend(loc="upper center", ncol=len(ev.retrievers), fontsize=8, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    return path


def write_report(ev: Evaluation, folder: str | Path, source: dict | None = None,
                 failures_of: str | None = None) -> list[Path]:
    """report.md and retrievers.png in ``folder`` (created if needed); returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    chart = write_chart(ev, folder / "retrievers.png")
    report = folder / "report.md"
    report.write_text(format_markdown(ev, source, failures_of, chart=chart.name), encoding="utf-8")
    return [report, chart]
