"""Reliability regressions (issue 11): the index is used with the corpus it was built from, builds
take turns, unwritable targets and unreadable manifests are clear errors, the CLI never shows a
traceback, and the conversation never answers outside a filter or without a topic."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from conftest import CORPUS, FakeEmbedder
from conftest import run_cli as run

from assistant import Assistant, Retriever
from assistant.municipalities import AREAS
from assistant.store import IndexLoadError, build_index, load_index

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "corpus"


def hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


# ---- the corpus an index was built from ------------------------------------------------------------

@pytest.mark.unit
def test_relative_corpus_is_found_from_the_index_not_from_the_working_folder(tmp_path, monkeypatch):
    """Built with `--corpus corpus` in one folder, used from another that has a corpus/ of its own:
    the index keeps answering from its own corpus and is not rebuilt from the other one."""
    project = tmp_path / "project"
    (project / "corpus").mkdir(parents=True)
    shutil.copy(CORPUS / "partnerskaber-for-handling.txt", project / "corpus")
    monkeypatch.chdir(project)
    build_index(Path("corpus"), Path("index"), FakeEmbedder())
    before = (project / "index" / "manifest.json").read_bytes()
    assert json.loads(before)["corpus"]["path"] == "../corpus"

    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "corpus").mkdir(parents=True)
    shutil.copy(FIXTURES / "groenne-tage-aalborg.md", elsewhere / "corpus")
    monkeypatch.chdir(elsewhere)
    retriever = Retriever.load(project / "index", embedder=FakeEmbedder())
    assert {c.municipality for c in retriever.data.cases} >= {"Frederikshavn", "Herning", "Gladsaxe"}
    assert (project / "index" / "manifest.json").read_bytes() == before

    # moved together, the pair still works: the path is relative to the index
    moved = tmp_path / "moved"
    shutil.move(str(project), str(moved))
    retriever = Retriever.load(moved / "index", embedder=FakeEmbedder())
    assert retriever.path == moved / "index" and len(retriever.data.cases) == 6


@pytest.mark.unit
def test_index_whose_corpus_is_gone_is_used_as_it_is_with_a_warning(tmp_path, corpus_copy, monkeypatch, caplog):
    build_index(corpus_copy, tmp_path / "index", FakeEmbedder())
    before = (tmp_path / "index" / "manifest.json").read_bytes()
    shutil.rmtree(corpus_copy)
    other = tmp_path / "cwd"
    (other / "corpus").mkdir(parents=True)
    shutil.copy(FIXTURES / "groenne-tage-aalborg.md", other / "corpus")
    monkeypatch.chdir(other)  # its corpus/ must not be taken for the index's
    monkeypatch.delenv("ASSISTANT_CORPUS", raising=False)
    retriever = Retriever.load(tmp_path / "index", embedder=FakeEmbedder())
    assert len(retriever.data.cases) == 6
    assert (tmp_path / "index" / "manifest.json").read_bytes() == before
    assert "is not there: using the index as it is" in caplog.text


@pytest.mark.unit
def test_a_stale_index_is_rebuilt_with_a_warning(tmp_path, corpus_copy, caplog):
    build_index(corpus_copy, tmp_path / "index", FakeEmbedder())
    shutil.copy(FIXTURES / "groenne-tage-aalborg.md", corpus_copy)
    retriever = Retriever.load(tmp_path / "index", embedder=FakeEmbedder())
    assert "Aalborg" in retriever.municipalities
    assert any(r.levelname == "WARNING" and "is stale" in r.getMessage() and "rebuilding" in r.getMessage()
               for r in caplog.records)


# ---- writing the index -------------------------------------------------------------------------------

@pytest.mark.unit
def test_concurrent_builds_into_one_folder_take_turns(tmp_path, corpus_copy):
    index = tmp_path / "index"
    index.mkdir()
    (index / "README.md").write_text("kept", encoding="utf-8")
    errors: list[BaseException] = []

    def build() -> None:
        try:
            build_index(corpus_copy, index, FakeEmbedder())
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=build) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert (index / "README.md").read_text(encoding="utf-8") == "kept"
    assert len(load_index(index).cases) == 6
    assert hidden(tmp_path) == []


@pytest.mark.unit
def test_stale_index_in_a_read_only_folder_is_a_clear_error(tmp_path, corpus_copy, monkeypatch):
    index = tmp_path / "index"
    build_index(corpus_copy, index, FakeEmbedder())
    shutil.copy(FIXTURES / "groenne-tage-aalborg.md", corpus_copy)
    before = {p.name: p.read_bytes() for p in index.iterdir() if p.is_file()}
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode: False if Path(path) in (index, tmp_path) else
                        real_access(path, mode))  # (root may write anywhere; the check is what is tested)
    with pytest.raises(IndexLoadError, match=r"is stale .* cannot be rebuilt: .*read-only"):
        Retriever.load(index, embedder=FakeEmbedder())
    assert {p.name: p.read_bytes() for p in index.iterdir() if p.is_file()} == before
    assert hidden(tmp_path) == []


@pytest.mark.unit
def test_permission_error_mid_write_is_a_clear_error_and_leaves_nothing(tmp_path, corpus_copy, monkeypatch):
    index = tmp_path / "index"
    data = build_index(corpus_copy, index, FakeEmbedder())
    real_replace = os.replace

    def refuse(src, dst):  # an immutable index folder cannot be moved aside
        if Path(dst).name.startswith(".index.old-"):
            raise PermissionError(1, "Operation not permitted", str(src))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(IndexLoadError, match="cannot write the index .*Operation not permitted"):
        build_index(corpus_copy, index, FakeEmbedder())
    monkeypatch.undo()
    assert load_index(index).passages == data.passages
    assert hidden(tmp_path) == []


@pytest.mark.unit
def test_unreadable_manifest_is_not_called_invalid_json(tmp_path, corpus_copy, monkeypatch):
    index = tmp_path / "index"
    build_index(corpus_copy, index, FakeEmbedder())
    real = Path.read_bytes

    def deny(self):
        if self.name == "manifest.json":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    with pytest.raises(IndexLoadError, match=r"cannot read .*manifest\.json: Permission denied") as caught:
        load_index(index)
    assert "not valid JSON" not in str(caught.value)


@pytest.mark.unit
def test_old_format_index_is_rebuilt_not_called_damaged(tmp_path, corpus_copy, caplog):
    index = tmp_path / "index"
    build_index(corpus_copy, index, FakeEmbedder())
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = 1
    manifest["files"] = {name: record["bytes"] for name, record in manifest["files"].items()}  # the old shape
    (index / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    retriever = Retriever.load(index, embedder=FakeEmbedder())
    assert retriever.data.manifest["format_version"] == 2
    assert "damaged" not in caplog.text


# ---- the CLI: `Error: …`, never a traceback ---------------------------------------------------------


@pytest.fixture
def fake_model(monkeypatch):
    monkeypatch.setattr("assistant.retriever.get_embedder", lambda model=None: FakeEmbedder())


@pytest.mark.unit
def test_cli_verify_names_the_damaged_file(tmp_path, corpus_copy, fake_model):
    index = tmp_path / "index"
    assert run("build", "--corpus", str(corpus_copy), "--index", str(index)).exit_code == 0
    result = run("verify", "--index", str(index))
    assert result.exit_code == 0, result.output
    assert f"Index {index} is intact" in result.output
    path = index / "sentences.npy"
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(bytes(raw))
    result = run("verify", "--index", str(index))
    assert result.exit_code == 1
    assert "sentences.npy does not match its checksum" in result.output
    assert "Traceback" not in result.output


@pytest.mark.unit
def test_cli_build_prints_the_corpus_warnings(tmp_path, corpus_copy, fake_model):
    (corpus_copy / "tom.txt").write_text("  \n\n ", encoding="utf-8")
    (corpus_copy / "vejle.md").write_text(
        "---\ntitle: Grønne tage\nmunicipality: Vejle\ncontact: {name: Mads Holm, email: 'javascript:alert(1)'}\n---\n"
        "Vejle lægger grønne tage på skolerne, så regnvandet bliver på tagene.\n", encoding="utf-8")
    result = run("build", "--corpus", str(corpus_copy), "--index", str(tmp_path / "index"))
    assert result.exit_code == 0, result.output
    text = result.stderr  # (click >= 8.2 keeps stderr apart)
    assert "Warning: tom.txt: skipped, the file is empty" in text
    assert "Warning: vejle.md: dropped the invalid contact e-mail 'javascript:alert(1)'" in text
    manifest = json.loads((tmp_path / "index" / "manifest.json").read_text(encoding="utf-8"))
    assert len(manifest["warnings"]) == 2


@pytest.mark.integration
def test_cli_invalid_utf8_argument_is_an_error_not_a_traceback(tmp_path, corpus_copy):
    """A real process: the shell hands over bytes that are not UTF-8 (Python makes them surrogates)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_MAX_TEXT_MB": "5"}
    script = [sys.executable, "-m", "assistant.cli", "ask", b"hvad med \xff\xfe ?", "--index",
              str(tmp_path / "index"), "--corpus", str(corpus_copy), "--retriever", "bm25"]
    done = subprocess.run(script, capture_output=True, env=env, cwd=tmp_path, timeout=600)
    stderr = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 1, stderr
    assert "Error: query holds characters that are not text" in stderr
    assert "Traceback" not in stderr


# ---- the conversation --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fake_assistant(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copy(CORPUS / "partnerskaber-for-handling.txt", corpus)
    return Assistant(Retriever.build(corpus, tmp_path_factory.mktemp("idx") / "index", embedder=FakeEmbedder()))


@pytest.mark.unit
@pytest.mark.parametrize("history", [[b"Herning"], [3], [None], [["Herning"]], [{"role": "user"}],
                                     [{"role": "robot", "content": "x"}], ["x" * 2001], ["\ud800"], "Herning"])
def test_history_items_that_are_not_messages_are_refused(fake_assistant, history):
    with pytest.raises(ValueError, match="history"):
        fake_assistant.ask("Hvem kan jeg kontakte om det?", history=history)


@pytest.mark.unit
def test_gradio_messages_are_history_and_only_the_users_count(fake_assistant):
    as_strings = fake_assistant.ask("Hvem kan jeg kontakte om det?", history=["Hvad gør Norddjurs?"])
    as_messages = fake_assistant.ask("Hvem kan jeg kontakte om det?", history=[
        {"role": "user", "content": "Hvad gør Norddjurs?"},
        {"role": "assistant", "content": "Herning og Aarhus og Gladsaxe"}, {"role": "user", "content": "  "}])
    assert as_strings.found and as_messages.found
    assert as_messages.case == as_strings.case and as_messages.case.municipality == "Norddjurs"


@pytest.mark.unit
def test_numpy_k_is_a_whole_number(fake_assistant):
    reply = fake_assistant.ask("Hvad gør Herning?", k=np.int64(2))
    assert len(reply.hits) == 2
    for k in (0, -1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="k must be a whole number"):
            fake_assistant.ask("Hvad gør Herning?", k=k)


@pytest.mark.unit
@pytest.mark.parametrize("question", [
    "Hvad gør Sermersooq for klimaet?",                     # Greenland: known, no case here
    "What is Tórshavn doing about waste?",                  # the Faroe Islands
    "Which Greenlandic municipality has built a wind farm?",  # an area with no case, no municipality named
    "Hvilken kommune på Færøerne har elbusser?",
    "Is any council in Southern Denmark planting new forest?",  # the bundled corpus has no case there
    "Hvilken kommune arbejder med mål 14 om livet i havet?",  # a goal no case names
    "Which municipality has a case on SDG 16?",
])
def test_a_place_or_goal_without_a_case_is_not_found(fake_assistant, question):
    assistant = Assistant(fake_assistant.retriever, min_dense={"da": 0.0, "en": 0.0})  # only the rule decides
    assert assistant.ask(question).found is False


@pytest.mark.unit
def test_an_area_with_a_case_is_answered(fake_assistant):
    assistant = Assistant(fake_assistant.retriever, min_dense={"da": 0.0, "en": 0.0})
    municipality = next(m for m in fake_assistant.retriever.municipalities)
    area = next(name for name, members in AREAS.items() if municipality in members)
    reply = assistant.ask(f"Hvilken kommune i {area} arbejder med partnerskaber?")
    assert reply.found and reply.hits


@pytest.mark.unit
def test_a_goal_some_case_names_is_answered(fake_assistant):
    assistant = Assistant(fake_assistant.retriever, min_dense={"da": 0.0, "en": 0.0})
    reply = assistant.ask("Hvilken kommune arbejder med verdensmål 13 og 14?")  # 13 is Gladsaxe's
    assert reply.found
