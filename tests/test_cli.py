"""The `assistant` command through click's CliRunner: build, ask (text and --json), and clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import FakeEmbedder, assert_clean_failure
from conftest import run_cli as run

CORPUS = Path(__file__).resolve().parents[1] / "corpus"

NORDDJURS_CONTACT = {"name": "Sofia Braad Riis", "role": "udviklingskonsulent", "email": "sobrh@norddjurs.dk",
                     "phone": None}




@pytest.fixture
def fake_model(monkeypatch):
    """Every model name resolves to the fake embedder (no model is loaded)."""
    monkeypatch.setattr("assistant.retriever.get_embedder", lambda model=None: FakeEmbedder())


@pytest.fixture
def cli_index(tmp_path, fake_model):
    """An index built through `assistant build` with the fake embedder."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "partnerskaber-for-handling.txt", corpus)
    index = tmp_path / "index"
    result = run("build", "--corpus", str(corpus), "--index", str(index))
    assert result.exit_code == 0, result.output
    return index


# ---- unit: fake embedder ----------------------------------------------------------------------------

@pytest.mark.unit
def test_help_lists_the_commands():
    result = run("--help")
    assert result.exit_code == 0
    for command in ("build", "ask", "eval", "chat"):
        assert command in result.output


@pytest.mark.unit
def test_build_writes_the_index_and_reports_it(cli_index):
    manifest = json.loads((cli_index / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["cases"] == 6
    assert manifest["embedder"]["name"] == "fake"
    result = run("build", "--corpus", manifest["corpus"]["abspath"], "--index", str(cli_index))
    assert result.exit_code == 0, result.output
    n, vectors = manifest["passages"], manifest["embedded"]
    assert f"Indexed 6 cases, {n} passages into {cli_index}/ with fake (0 embedded, {vectors} reused)" in result.output


@pytest.mark.unit
def test_ask_json(cli_index):
    result = run("ask", "Hvem samarbejder med Halmstad på tværs af Kattegat?", "--index", str(cli_index),
                 "-k", "3", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["question"] == "Hvem samarbejder med Halmstad på tværs af Kattegat?"
    assert [h["rank"] for h in payload["hits"]] == [1, 2, 3]
    top = payload["hits"][0]
    assert top["municipality"] == "Norddjurs"
    assert top["case"] == "På tværs af farvande og kommunegrænser"
    assert top["contact"] == NORDDJURS_CONTACT
    assert top["source"] == "partnerskaber-for-handling.txt › På tværs af farvande og kommunegrænser"


@pytest.mark.unit
def test_ask_json_gives_null_contact_for_aarhus(cli_index):
    result = run("ask", "Verdensrummet på DOKK1", "--index", str(cli_index), "--json", "-k", "1")
    assert result.exit_code == 0, result.output
    (top,) = json.loads(result.output)["hits"]
    assert top["municipality"] == "Aarhus"
    assert top["contact"] is None


@pytest.mark.unit
def test_ask_text_shows_source_and_contact(cli_index):
    result = run("ask", "Halmstad Kattegat", "--index", str(cli_index), "-k", "1")
    assert result.exit_code == 0, result.output
    assert "1. Norddjurs — På tværs af farvande og kommunegrænser" in result.output
    assert "Kilde: partnerskaber-for-handling.txt › På tværs af farvande og kommunegrænser" in result.output
    assert "Kontakt: Sofia Braad Riis, udviklingskonsulent, sobrh@norddjurs.dk" in result.output
    result = run("ask", "Verdensrummet på DOKK1", "--index", str(cli_index), "-k", "1")
    assert "Kontakt: casen nævner ingen kontaktperson" in result.output


@pytest.mark.unit
def test_ask_with_municipality_filter(cli_index):
    result = run("ask", "partnerskaber", "--index", str(cli_index), "--municipality", "Herning", "--json")
    assert result.exit_code == 0, result.output
    assert {h["municipality"] for h in json.loads(result.output)["hits"]} == {"Herning"}


@pytest.mark.unit
@pytest.mark.parametrize("args, message", [
    ([""], "query is empty"),
    (["   "], "query is empty"),
    (["x" * 2001], "query is too long (2001 characters; at most 2000)"),
    (["biodiversitet", "-k", "0"], "k must be at least 1, not 0"),
    (["biodiversitet", "-k", "-1"], "k must be at least 1, not -1"),
    (["biodiversitet", "--municipality", "Atlantis"], "unknown municipality 'Atlantis'"),
])
def test_ask_bad_input_exits_with_a_message(cli_index, args, message):
    before = {p.name: p.stat().st_mtime_ns for p in cli_index.iterdir()}
    result = run("ask", *args, "--index", str(cli_index))
    assert_clean_failure(result, message)
    assert {p.name: p.stat().st_mtime_ns for p in cli_index.iterdir()} == before


@pytest.mark.unit
def test_ask_k_not_a_number(cli_index):
    result = run("ask", "biodiversitet", "-k", "tre", "--index", str(cli_index))
    assert result.exit_code == 2
    assert "'tre' is not a valid integer" in result.output
    assert "Traceback" not in result.output


@pytest.mark.unit
def test_build_with_missing_corpus(tmp_path, fake_model):
    result = run("build", "--corpus", str(tmp_path / "nowhere"), "--index", str(tmp_path / "index"))
    assert_clean_failure(result, f"corpus folder not found: {tmp_path / 'nowhere'}")
    assert not (tmp_path / "index").exists()


@pytest.mark.unit
def test_build_with_empty_corpus(tmp_path, fake_model):
    (tmp_path / "corpus").mkdir()
    shutil.copy(CORPUS / "questions.jsonl", tmp_path / "corpus")
    result = run("build", "--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index"))
    assert_clean_failure(result, f"corpus folder {tmp_path / 'corpus'} has no case files (.txt, .html, .htm, .md, "
                                 ".markdown, .jsonl, .csv, .pdf)")
    assert not (tmp_path / "index").exists()


@pytest.mark.unit
def test_ask_without_index_or_corpus(tmp_path, fake_model):
    result = run("ask", "biodiversitet", "--index", str(tmp_path / "index"), "--corpus", str(tmp_path / "nowhere"))
    assert_clean_failure(result, f"no index at {tmp_path / 'index'} and no corpus folder at {tmp_path / 'nowhere'}")


@pytest.mark.unit
def test_ask_on_a_damaged_index(cli_index):
    embeddings = cli_index / "embeddings.npy"
    embeddings.write_bytes(embeddings.read_bytes()[:100])
    result = run("ask", "biodiversitet", "--index", str(cli_index))
    assert_clean_failure(result, f"index {cli_index} is damaged: embeddings.npy has 100 bytes")
    assert embeddings.stat().st_size == 100


@pytest.mark.unit
def test_build_refuses_a_folder_that_is_not_an_index(tmp_path, fake_model):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep me", encoding="utf-8")
    result = run("build", "--corpus", str(CORPUS), "--index", str(tmp_path / "notes"))
    assert_clean_failure(result, "refusing to write the index into")
    assert (tmp_path / "notes" / "todo.txt").read_text(encoding="utf-8") == "keep me"


# ---- integration: the real models --------------------------------------------------------------------

@pytest.mark.integration
def test_ask_json_with_the_real_default_model(real_retriever):
    result = run("ask", "Which municipality works with a company on biodiversity?", "--index",
                 str(real_retriever.path), "--json", "-k", "3")
    assert result.exit_code == 0, result.output
    top = json.loads(result.output)["hits"][0]
    assert top["municipality"] == "Frederikshavn"
    assert top["contact"] == {"name": "Bente Bundgård Jokumsen", "role": "chefkonsulent",
                              "email": "bejo@frederikshavn.dk", "phone": None}


@pytest.mark.integration
def test_build_with_an_unknown_model(tmp_path):
    result = run("build", "--corpus", str(CORPUS), "--index", str(tmp_path / "index"), "--model", "no-such-model-xyz")
    assert_clean_failure(result, "could not load model 'no-such-model-xyz'")
    assert not (tmp_path / "index").exists()


# ---- the case table and the build summary -----------------------------------------------------------

@pytest.mark.unit
def test_build_summarises_each_file_and_warns_about_cases_without_contact(tmp_path, fake_model):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(CORPUS / "partnerskaber-for-handling.txt", corpus)
    (corpus / "vejle.md").write_text("---\ntitle: Grønne tage\nmunicipality: Vejle\n---\n"
                                     "Vejle lægger grønne tage på skolerne, så regnvandet bliver på tagene.\n",
                                     encoding="utf-8")
    result = run("build", "--corpus", str(corpus), "--index", str(tmp_path / "index"))
    assert result.exit_code == 0, result.output
    assert ("  partnerskaber-for-handling.txt: 5 cases (Frederikshavn, Norddjurs, Herning, Gladsaxe, Aarhus), "
            "4 contacts, and an intro") in result.stdout
    assert "  vejle.md: 1 case (Vejle), 0 contacts" in result.stdout
    assert "Warning: vejle.md: the case 'Grønne tage' (Vejle) names no contact" in result.stderr
    assert "Warning: partnerskaber-for-handling.txt: the case 'Bæredygtig dannelse' (Aarhus) names no contact" in result.stderr


@pytest.mark.unit
def test_cases_lists_every_case_as_table_json_and_csv(cli_index):
    table = run("cases", "--index", str(cli_index))
    assert table.exit_code == 0, table.output
    lines = table.output.splitlines()
    assert lines[0].split() == ["municipality", "title", "goals", "contacts", "file"]
    assert len(lines) == 2 + 6
    assert any(line.startswith("Norddjurs") and "sobrh@norddjurs.dk" in line for line in lines)

    rows = json.loads(run("cases", "--index", str(cli_index), "--json").output)
    assert [r["municipality"] for r in rows] == [None, "Frederikshavn", "Norddjurs", "Herning", "Gladsaxe", "Aarhus"]
    norddjurs = rows[2]
    assert norddjurs["contacts"] == [{**NORDDJURS_CONTACT, "department": None}]
    assert norddjurs["file"] == "partnerskaber-for-handling.txt"

    only = json.loads(run("cases", "--index", str(cli_index), "--municipality", "herning kommune", "--json").output)
    assert [r["municipality"] for r in only] == ["Herning"]
    north = json.loads(run("cases", "--index", str(cli_index), "--region", "North Jutland", "--json").output)
    assert [r["municipality"] for r in north] == ["Frederikshavn"]

    csv_text = run("cases", "--index", str(cli_index), "--format", "csv").output
    header, *body = csv_text.splitlines()
    assert header == "id,municipality,title,goals,focus,contacts,source,file"
    assert len(body) == 6 and "bejo@frederikshavn.dk" in csv_text


@pytest.mark.unit
def test_cases_refuses_an_unknown_municipality_or_region(cli_index):
    assert_clean_failure(run("cases", "--index", str(cli_index), "--municipality", "Atlantis"),
                         "unknown municipality 'Atlantis'")
    assert_clean_failure(run("cases", "--index", str(cli_index), "--region", "Mordor"), "unknown region 'Mordor'")
