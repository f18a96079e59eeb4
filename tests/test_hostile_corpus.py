"""A hostile corpus: markup and links in case text, bad contact e-mails, odd files, oversized input.

tests/fixtures/hostile/ holds files that must build (with warnings): Markdown with an image, a live link
and raw HTML in its text, bad contact e-mails (Markdown and JSON Lines), a UTF-8 BOM before front matter,
an empty and a whitespace-only .txt file, a heading directly above its paragraph. Files that must make a
build fail (a non-text municipality, a YAML alias bomb, an oversized file) are written by the tests into
corpora of their own. Builds that could hang or eat memory run in a subprocess with a generous timeout.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, FakeEmbedder

from assistant import Assistant, Retriever
from assistant.corpus import CorpusError, load_corpus, parse_file

pytestmark = pytest.mark.unit

HOSTILE = FIXTURES / "hostile"
TESTS = Path(__file__).resolve().parent
# municipality -> the bad contact e-mail its case gives
BAD_EMAILS = {
    "Esbjerg": "javascript:alert(1)",          # bad-email-script.md
    "Viborg": "x@y.dk\nz",                     # bad-email-newline.md
    "Randers": "a b@c.dk",                     # bad-emails.jsonl
    "Horsens": "[x](y)@z.dk",
    "Silkeborg": ["kj@silkeborg.dk", "info@silkeborg.dk"],
    "Roskilde": "javascript:alert(1)",         # the contact gives only this e-mail, no name
    "Holbæk": "x@y.dk\nz",
}
BAD_EMAIL_FILES = ("bad-email-script.md", "bad-email-newline.md", "bad-emails.jsonl")
# municipality -> words of its case's topic (to ask about it)
TOPICS = {
    "Vejle": "vilde blomster i vejkanterne", "Odense": "regnvand fra skybrud", "Kolding": "solceller på skoletage",
    "Esbjerg": "havnebadet og vandkvaliteten", "Viborg": "cykelparkering ved stationen",
    "Randers": "reparationscafé på biblioteket", "Horsens": "kompost i boligområdet",
    "Silkeborg": "elbusser på bylinjerne", "Roskilde": "vandposter ved festivalpladsen",
    "Holbæk": "skolehaver ved fjorden",
}
EMPTY_FILES = ("tom.txt", "blank.txt")
ZERO = {"da": 0.0, "en": 0.0}  # the FakeEmbedder's cosines are low: render every case in full


def make_corpus(tmp_path: Path, *names: str) -> Path:
    """A corpus folder in tmp_path with the named fixture files (all of them when none are named)."""
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    for path in HOSTILE.iterdir():
        if not names or path.name in names:
            shutil.copy(path, corpus / path.name)
    return corpus


def build(corpus: Path, tmp_path: Path) -> Retriever:
    return Retriever.build(corpus, tmp_path / "index", embedder=FakeEmbedder())


def case_of(retriever: Retriever, municipality: str):
    cases = [c for c in retriever.data.cases if c.municipality == municipality]
    assert len(cases) == 1, f"{municipality}: {[c.title for c in retriever.data.cases]}"
    return cases[0]


_MAILTO = re.compile(r"\[[^\]\n]*\]\(mailto:[^)\s]*\)")


def assert_rendered_safely(answer: str) -> None:
    """No live Markdown link or image and no raw <script> from the corpus (the contact's mailto link aside)."""
    text = _MAILTO.sub("", answer)
    assert "![" not in text, answer
    assert not re.search(r"(?<!\\)\]\(", text), answer
    assert "<script" not in answer.lower(), answer


def warned(caplog, name: str) -> bool:
    return any(r.levelno >= logging.WARNING and name in r.getMessage() for r in caplog.records)


# ---- subprocess builds (may hang or exhaust memory when wrong) ---------------------------------------------

_BUILD = textwrap.dedent("""
    import json, resource, sys, time
    resource.setrlimit(resource.RLIMIT_AS, (6 * 2**30, 6 * 2**30))  # a runaway build fails, not the machine
    sys.path.insert(0, {tests!r})
    from conftest import FakeEmbedder
    from assistant.retriever import Retriever
    started = time.perf_counter()
    try:
        retriever = Retriever.build(sys.argv[1], sys.argv[2], embedder=FakeEmbedder())
        hits = len(retriever.search(sys.argv[3], k=3))
        result = {{"outcome": "built", "hits": hits}}
    except ValueError as exc:
        result = {{"outcome": "ValueError", "type": type(exc).__name__, "message": str(exc)}}
    except BaseException as exc:
        result = {{"outcome": "other", "type": type(exc).__name__, "message": str(exc)[:500]}}
    result["seconds"] = round(time.perf_counter() - started, 2)
    print(json.dumps(result))
""")


def build_in_subprocess(corpus: Path, index: Path, query: str, timeout: float) -> dict:
    """Build with the FakeEmbedder in a child process; its outcome, or a failure when it overruns ``timeout``."""
    script = _BUILD.format(tests=str(TESTS))
    try:
        done = subprocess.run([sys.executable, "-c", script, str(corpus), str(index), query], cwd=ROOT,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the build did not finish within {timeout:.0f} s")
    lines = done.stdout.strip().splitlines()
    assert lines, f"the build crashed (exit {done.returncode}): {done.stderr[-2000:]}"
    return json.loads(lines[-1])


# ---- the fixture folder ------------------------------------------------------------------------------------

def test_the_hostile_fixture_folder_builds_with_warnings(tmp_path, caplog):
    corpus = make_corpus(tmp_path)
    with caplog.at_level(logging.WARNING):
        retriever = build(corpus, tmp_path)
    assert {c.municipality for c in retriever.data.cases} == set(TOPICS)
    for name in EMPTY_FILES:
        assert warned(caplog, name), f"no warning names {name}"
    assert not any(c.source.startswith(EMPTY_FILES) for c in retriever.data.cases)


def test_every_answer_over_the_hostile_corpus_is_rendered_safely(tmp_path):
    retriever = build(make_corpus(tmp_path), tmp_path)
    assistant = Assistant(retriever, min_dense=ZERO)
    for municipality, topic in TOPICS.items():
        for question in (f"Hvad gør {municipality} med {topic}?", f"Hvem kan jeg kontakte om {topic}?"):
            reply = assistant.ask(question, municipality=municipality)
            assert reply.found and reply.case.municipality == municipality, (question, reply.answer)
            assert_rendered_safely(reply.answer)
            if municipality in BAD_EMAILS:
                assert "mailto:" not in reply.answer, reply.answer


# ---- markup in case text -------------------------------------------------------------------------------------

@pytest.mark.parametrize("question", ["Hvad gør Vejle med vilde blomster i vejkanterne?",
                                      "Hvem kan jeg kontakte om vilde blomster i vejkanten?",
                                      "What does Vejle do about wild flowers along the roads?"])
def test_links_images_and_script_in_case_text_are_not_live_in_answers(tmp_path, question):
    retriever = build(make_corpus(tmp_path, "markup-vejle.md"), tmp_path)
    reply = Assistant(retriever, min_dense=ZERO).ask(question, municipality="Vejle")
    assert reply.found and reply.case.municipality == "Vejle", reply.answer
    assert "klik" in reply.answer, "the passage with the markup is not quoted"
    assert_rendered_safely(reply.answer)
    assert "mailto:mh@vejle.dk" in reply.answer  # a valid contact e-mail is kept and linked


def test_a_heading_right_above_its_paragraph_is_the_section_heading(tmp_path):
    retriever = build(make_corpus(tmp_path, "tight-heading.md"), tmp_path)
    passages = [p for p in retriever.data.passages if "regnvandet fra skybrud" in p.text]
    assert len(passages) == 1
    passage = passages[0]
    assert passage.heading == "Skybrudsveje"
    assert "Skybrudsveje" not in passage.text and "#" not in passage.text
    assert passage.text.startswith("Odense Kommune leder regnvandet")
    second = [p for p in retriever.data.passages if "regnbede" in p.text]
    assert [p.heading for p in second] == ["Regnbede"]


def test_a_bom_before_the_front_matter_is_ignored(tmp_path):
    [case] = parse_file(HOSTILE / "bom.md", "bom.md")
    assert case.title == "Solceller på skoletage"
    assert case.municipality == "Kolding"
    assert "title:" not in case.text and "---" not in case.text
    [loaded] = load_corpus(make_corpus(tmp_path, "bom.md"))
    assert loaded.title == "Solceller på skoletage"


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"], ids=["plain", "bom"])
def test_windows_line_endings_in_front_matter_are_read(tmp_path, bom):
    """Not in the fixture folder: a case saved with CRLF line endings (Windows editors)."""
    path = tmp_path / "crlf.md"
    path.write_bytes(bom + "---\ntitle: Solceller på skoletage\nmunicipality: Kolding\n---\n"
                     "Kolding Kommune har lagt solceller på skolernes tage.\n".replace("\n", "\r\n").encode())
    [case] = parse_file(path, "crlf.md")
    assert (case.title, case.municipality) == ("Solceller på skoletage", "Kolding")


def test_empty_and_blank_text_files_are_skipped_with_a_warning(tmp_path, caplog):
    corpus = make_corpus(tmp_path, "markup-vejle.md", *EMPTY_FILES)
    with caplog.at_level(logging.WARNING):
        cases = load_corpus(corpus)
    assert [c.municipality for c in cases] == ["Vejle"]
    for name in EMPTY_FILES:
        assert warned(caplog, name), f"no warning names {name}"


# ---- bad contact e-mails ----------------------------------------------------------------------------------------

@pytest.fixture
def bad_email_retriever(tmp_path) -> Retriever:
    return build(make_corpus(tmp_path, *BAD_EMAIL_FILES), tmp_path)


@pytest.mark.parametrize("municipality", list(BAD_EMAILS))
def test_a_bad_contact_email_is_dropped_at_build(bad_email_retriever, municipality):
    contact = case_of(bad_email_retriever, municipality).contact
    bad = BAD_EMAILS[municipality]
    assert contact is None or contact.email is None, contact
    if contact is not None:
        for value in (contact.name, contact.role or "", contact.phone or ""):
            assert not any(b in value for b in (bad if isinstance(bad, list) else [bad])), contact


@pytest.mark.parametrize("municipality", list(BAD_EMAILS))
def test_a_bad_contact_email_never_becomes_a_mailto_link(bad_email_retriever, municipality):
    assistant = Assistant(bad_email_retriever, min_dense=ZERO)
    for question in (f"Hvem kan jeg kontakte om {TOPICS[municipality]}?", f"Hvad gør {municipality}?"):
        reply = assistant.ask(question, municipality=municipality)
        assert reply.found and reply.case.municipality == municipality, reply.answer
        assert "mailto:" not in reply.answer, reply.answer
        assert_rendered_safely(reply.answer)


# ---- files that must make the build fail ------------------------------------------------------------------------

GOOD_CASE = ("---\ntitle: Blomster i vejkanten\nmunicipality: Vejle\n---\n"
             "Vejle Kommune sår vilde blomster langs vejene, så bierne finder føde.\n")


@pytest.mark.parametrize("name, text", [
    ("kommune-tal.md", "---\ntitle: Grønne tage\nmunicipality: 5\n---\nTagene er grønne.\n"),
    ("kommune-tal.jsonl", '{"title": "Grønne tage", "text": "Tagene er grønne.", "municipality": 5}\n'),
], ids=["markdown", "jsonl"])
def test_a_municipality_that_is_not_text_is_a_corpus_error_naming_the_file(tmp_path, name, text):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text(GOOD_CASE, encoding="utf-8")
    (corpus / name).write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError, match=re.escape(name)):
        load_corpus(corpus)
    with pytest.raises(CorpusError, match=re.escape(name)):
        build(corpus, tmp_path)


ALIAS_BOMB = "---\n" + "\n".join(
    [f'a: &a [{",".join(["lol"] * 9)}]']
    + [f"{cur}: &{cur} [{','.join([f'*{prev}'] * 9)}]" for prev, cur in zip("abcdefgh", "bcdefghi", strict=True)]
    + ["title: *i", "municipality: Vejle"]) + "\n---\nVejle Kommune sår blomster.\n"


def test_a_yaml_alias_bomb_fails_fast_with_a_value_error(tmp_path):
    assert 300 <= len(ALIAS_BOMB.encode()) <= 500
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text(GOOD_CASE, encoding="utf-8")
    (corpus / "bombe.md").write_text(ALIAS_BOMB, encoding="utf-8")
    result = build_in_subprocess(corpus, tmp_path / "index", "blomster", timeout=20)
    assert result["outcome"] == "ValueError", result
    assert "bombe.md" in result["message"], result


def test_an_oversized_file_is_refused_quickly_naming_the_limit_and_how_to_raise_it(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text(GOOD_CASE, encoding="utf-8")
    paragraph = ("Herning Kommune arbejder med bæredygtighed, partnerskaber og verdensmål i hele kommunen, "
                 "og borgerne deltager i mange af projekterne.\n\n")
    huge = corpus / "kaempe.txt"
    with huge.open("w", encoding="utf-8") as handle:
        handle.write(paragraph * (25_000_000 // len(paragraph.encode()) + 1))
    assert huge.stat().st_size > 25_000_000
    result = build_in_subprocess(corpus, tmp_path / "index", "bæredygtighed", timeout=30)
    assert result["outcome"] == "ValueError", result
    message = result["message"]
    assert "kaempe.txt" in message, message
    rest = message.replace(str(huge), "").replace("kaempe.txt", "")
    assert re.search(r"\d\s*(?:[kMG]i?B|bytes?)\b", rest, re.IGNORECASE), f"no size limit named: {message}"
    assert re.search(r"limit|at most|maximum|max\b", rest, re.IGNORECASE), message
    assert re.search(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", rest), f"no environment variable to raise it: {message}"


def test_a_64_kb_word_in_a_case_builds_in_bounded_time(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    word = "".join("abcdefghijklmnopqrstuvwxyzæøå"[(i * 7919) % 29] for i in range(64 * 1024))
    (corpus / "langt-ord.md").write_text(
        "---\ntitle: Et meget langt ord\nmunicipality: Vejle\n---\n"
        f"Vejle Kommune planter træer langs åen. Her er et ord: {word} og så fortsætter teksten om træerne.\n\n"
        "## Flere træer\n\nKommunen planter også træer i skolegårdene.\n", encoding="utf-8")
    result = build_in_subprocess(corpus, tmp_path / "index", "træer langs åen", timeout=30)
    assert result["outcome"] == "built", result
    assert result["hits"] >= 1, result
