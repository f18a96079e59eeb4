"""`assistant eval`: metrics against hand-computed values, and the command on a fixture corpus."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant import eval_report, evaluation
from assistant.evaluation import (
    case_ranking,
    evaluate,
    load_dialogues,
    load_questions,
    relevant_cases,
    relevant_passages,
    score_rankings,
)
from assistant.question_set import Dialogue, EvalInputError, Question
from assistant.records import Case, Contact, Hit, Passage, Reply

EVAL = Path(__file__).resolve().parent / "fixtures" / "eval"
METRICS = ("recall@1", "recall@3", "recall@5", "mrr@10", "ndcg@10")


# ---- tiny hand-made world -----------------------------------------------------------------------
def _case(cid: str, municipality: str | None, email: str | None = None, kind: str = "case") -> Case:
    contact = Contact("Navn", "rolle", email) if email else None
    return Case(cid, f"Case {cid}", municipality, None, (), contact, kind=kind)


CASES = {c.id: c for c in (_case("A", "Aarhus", "a@x.dk"), _case("B", "Vejle", "b@x.dk"), _case("C", "Skive"),
                           _case("I", None, kind="intro"))}
PASSAGES = {p.id: p for p in (Passage("a1", "A", "Aarhus åbner et verdensrum.", None, 0),
                              Passage("a2", "A", "Hjemløse overtog  rummet\n som et eksperiment.", None, 1),
                              Passage("b1", "B", "Vejle samler regnvand.", None, 0),
                              Passage("c1", "C", "Skive har et frøbibliotek.", None, 0),
                              Passage("i1", "I", "Mål 17 handler om partnerskaber.", None, 0))}
Q1 = Question("q1", "da", "case", "Hvor overtog hjemløse et rum?", "Aarhus", "a@x.dk", "hjemløse overtog rummet som")
Q2 = Question("q2", "en", "contact", "Who runs the seed library?", "Skive", None, None)
Q3 = Question("q3", "en", "theme", "What is goal 17 about?", None, None, "handler om partnerskaber")
Q4 = Question("q4", "da", "none", "Hvad koster et pas?", None, None)
D1 = Dialogue("d1", "da", ("Fortæl om verdensrummet.", "Hvem kan jeg kontakte?"), "Aarhus", "a@x.dk")
D2 = Dialogue("d2", "en", ("Tell me about the seed library.", "Who do I contact?"), "Skive", None)

# retriever -> question -> returned passage ids, in rank order
RUNS = {
    "hybrid": {Q1.question: ["a1", "a2", "b1"], Q2.question: ["c1"], Q3.question: ["b1", "a1", "i1"]},
    "bm25": {Q1.question: ["b1", "a2"], Q2.question: ["i1", "c1"], Q3.question: []},
}


class StubRetriever:
    cases = CASES
    data = SimpleNamespace(passages=list(PASSAGES.values()))

    def search(self, question, k=10, retriever="hybrid"):
        ids = RUNS[str(getattr(retriever, "value", retriever))][question][:k]
        return [Hit(rank, 1.0 / rank, PASSAGES[pid], CASES[PASSAGES[pid].case_id]) for rank, pid in enumerate(ids, 1)]


class StubAssistant:
    """Replies by message: (found, case id of the focus)."""

    replies = {Q1.question: (True, "A"), Q2.question: (False, None), Q3.question: (True, "I"),
               Q4.question: (True, "B"), D1.turns[-1]: (True, "A"), D2.turns[-1]: (True, "B")}

    def __init__(self):
        self.calls = []

    def ask(self, message, history=None):
        self.calls.append((message, list(history or [])))
        found, cid = self.replies[message]
        return Reply(answer="…", hits=[], found=found, case=CASES[cid] if cid else None)


@pytest.fixture(scope="module")
def hand_eval():
    stub = StubAssistant()
    ev = evaluate(StubRetriever(), [Q1, Q2, Q3, Q4], [D1, D2], ["bm25", "hybrid"], k=10,
                  assistant=stub, progress=False)
    return ev, stub


# ---- metric computation ---------------------------------------------------------------------------
@pytest.mark.unit
def test_score_rankings_matches_hand_computed_values():
    scores = score_rankings({"q1": ["a"], "q2": ["b"], "q3": ["c"], "q4": ["d", "e"], "none": []},
                            {"q1": ["a", "x"], "q2": ["x", "b"], "q3": [], "q4": ["d", "z", "e"]}, METRICS)
    assert set(scores) == {"q1", "q2", "q3", "q4"}  # no relevant ids: left out
    assert scores["q1"] == pytest.approx({"recall@1": 1, "recall@3": 1, "recall@5": 1, "mrr@10": 1, "ndcg@10": 1})
    assert scores["q2"] == pytest.approx({"recall@1": 0, "recall@3": 1, "recall@5": 1, "mrr@10": 0.5,
                                          "ndcg@10": 1 / 1.5849625007211563})  # 1/log2(3)
    assert scores["q3"] == pytest.approx(dict.fromkeys(METRICS, 0.0))  # returned nothing
    # two relevant at ranks 1 and 3: DCG = 1 + 1/log2(4) = 1.5, ideal = 1 + 1/log2(3)
    assert scores["q4"] == pytest.approx({"recall@1": 0.5, "recall@3": 1, "recall@5": 1, "mrr@10": 1,
                                          "ndcg@10": 1.5 / (1 + 1 / 1.5849625007211563)})
    three = [scores[q] for q in ("q1", "q2", "q3")]
    assert sum(s["recall@1"] for s in three) / 3 == pytest.approx(1 / 3)
    assert sum(s["mrr@10"] for s in three) / 3 == pytest.approx((1 + 1 / 2 + 0) / 3)


@pytest.mark.unit
def test_case_ranking_is_first_appearance_order():
    hits = StubRetriever().search(Q1.question) + StubRetriever().search(Q2.question)
    assert case_ranking(hits) == ["A", "B", "C"]


@pytest.mark.unit
def test_relevance_by_municipality_theme_and_evidence():
    by_case = {}
    for p in PASSAGES.values():
        by_case.setdefault(p.case_id, []).append(p)
    assert relevant_cases(Q1, CASES.values()) == ["A"]
    assert relevant_cases(Q3, CASES.values()) == ["I"]
    assert relevant_cases(Q4, CASES.values()) == []
    # evidence matched with whitespace and case ignored
    assert relevant_passages(Q1, ["A"], by_case) == (["a2"], True)
    # no evidence: every passage of the case; evidence not in the case: the same, flagged
    assert relevant_passages(Q2, ["C"], by_case) == (["c1"], True)
    missing = Question("x", "da", "case", "?", "Aarhus", None, "står ikke i casen")
    assert relevant_passages(missing, ["A"], by_case) == (["a1", "a2"], False)


@pytest.mark.unit
def test_evaluate_per_retriever_matches_hand_computed_values(hand_eval):
    ev, _ = hand_eval
    log3 = 1.5849625007211563
    hybrid = ev.summary("hybrid")
    # case ranks: q1 1, q2 1, q3 3 (q4 has no relevant case)
    assert hybrid["case recall@1"] == pytest.approx(2 / 3)
    assert hybrid["case recall@3"] == pytest.approx(1.0)
    assert hybrid["case mrr@10"] == pytest.approx((1 + 1 + 1 / 3) / 3)
    assert hybrid["case ndcg@10"] == pytest.approx((1 + 1 + 0.5) / 3)
    # passage ranks: q1 a2 at 2, q2 c1 at 1, q3 i1 at 3
    assert hybrid["passage recall@1"] == pytest.approx(1 / 3)
    assert hybrid["passage mrr@10"] == pytest.approx((1 / 2 + 1 + 1 / 3) / 3)
    assert hybrid["passage ndcg@10"] == pytest.approx((1 / log3 + 1 + 0.5) / 3)
    assert hybrid["contact accuracy"] == 1.0  # q1 a@x.dk, q2 no contact (None == None)
    bm25 = ev.summary("bm25")
    # case ranks: q1 2, q2 2, q3 nothing returned
    assert bm25["case recall@1"] == 0.0
    assert bm25["case recall@3"] == pytest.approx(2 / 3)
    assert bm25["case mrr@10"] == pytest.approx((0.5 + 0.5 + 0) / 3)
    assert bm25["contact accuracy"] == 0.0  # top cases Vejle and the intro
    assert ev.results["bm25"]["q3"].case_rank is None
    assert ev.results["hybrid"]["q3"].top == ("Vejle", "Aarhus", "(intro: Case I)")


@pytest.mark.unit
def test_evaluate_groups_not_found_and_dialogues(hand_eval):
    ev, stub = hand_eval
    assert ev.summary("hybrid", "lang:da")["case recall@1"] == 1.0
    assert ev.summary("hybrid", "lang:en")["case mrr@10"] == pytest.approx((1 + 1 / 3) / 2)
    assert ev.summary("hybrid", "kind:theme")["case mrr@10"] == pytest.approx(1 / 3)
    assert ev.summary("hybrid", "kind:none")["case recall@1"] is None
    overall = ev.assistant_summary()
    assert overall["not-found accuracy"] == 0.0        # q4 was answered
    assert overall["false not-found rate"] == pytest.approx(1 / 3)  # q2 of q1..q3
    assert overall["dialogue accuracy"] == 0.5          # d2's focus is Vejle, not Skive
    assert ev.assistant_summary("lang:da")["dialogue accuracy"] == 1.0
    assert ev.assistant_summary("lang:en")["dialogue accuracy"] == 0.0
    assert (D1.turns[-1], [D1.turns[0]]) in stub.calls  # last turn asked with the earlier ones
    assert ev.counts("all") == {"questions": 4, "answerable": 3, "none": 1, "dialogues": 2}
    assert [(f.id, f.what, f.detail) for f in ev.failures()] == [
        ("q3", "retrieval", "rank 3"), ("q2", "not-found", "not found"), ("q4", "not-found", "answered"),
        ("d2", "dialogue", "focus Vejle <b@x.dk>")]
    assert [(f.id, f.detail) for f in ev.failures("bm25")] == [("q1", "rank 2"), ("q2", "rank 2"),
                                                               ("q3", "not in top 10")]


@pytest.mark.unit
def test_report_renders_tables_json_markdown_and_chart(hand_eval, tmp_path):
    ev, _ = hand_eval
    text = eval_report.format_text(ev)
    lines = text.splitlines()
    assert lines[2].split() == ["metric", "bm25", "hybrid"]
    assert "case R@1 0.000 0.667" in [" ".join(x.split()) for x in lines]
    assert "dialogue accuracy (assistant) — 0.500" in [" ".join(x.split()) for x in lines]
    assert "Failures (hybrid): 4" in text
    data = json.loads(json.dumps(eval_report.to_json(ev), ensure_ascii=False))
    assert data["metrics"]["hybrid"]["all"]["case"]["mrr@10"] == pytest.approx(7 / 9)
    assert data["metrics"]["bm25"]["lang:en"]["contact_accuracy"] == 0.0
    assert data["not_found"]["accuracy"] == 0.0 and data["dialogues"]["n"] == 2
    assert data["failures"][0]["top"] == ["Vejle", "Aarhus", "(intro: Case I)"]
    paths = eval_report.write_report(ev, tmp_path / "out")
    report, chart = (tmp_path / "out" / "report.md"), (tmp_path / "out" / "retrievers.png")
    assert paths == [report, chart]
    assert "| case R@1 | 0.000 | 0.667 |" in report.read_text(encoding="utf-8")
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# ---- reading question sets ---------------------------------------------------------------------------
@pytest.mark.unit
def test_question_files_design_format_split_and_errors(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "a", "question": "Hvem kan jeg kontakte i Aarhus Kommune?", "municipality": '
                    '"Aarhus Kommune", "email": null}\n\n{"id": 7, "question": "What is this?", "split": "test"}\n',
                    encoding="utf-8")
    a, b = load_questions(path)
    assert (a.kind, a.municipality, a.lang, a.split) == ("case", "Aarhus", "da", None)
    assert (b.id, b.kind, b.lang) == ("7", "none", "en")
    assert [q.id for q in load_questions(path, "tune")] == ["a"]  # no split: in every split
    path.write_text('{"id": "a", "question": "x"}\n{"id": "b", "question": \n', encoding="utf-8")
    with pytest.raises(EvalInputError, match=r"line 2: not valid JSON"):
        load_questions(path)
    path.write_text('{"id": "a", "question": "x", "kind": "case"}\n', encoding="utf-8")
    with pytest.raises(EvalInputError, match="needs a 'municipality'"):
        load_questions(path)
    path.write_text('{"id": "d", "turns": []}\n', encoding="utf-8")
    with pytest.raises(EvalInputError, match="line 1: 'turns'"):
        load_dialogues(path)


# ---- the command on a fixture corpus ------------------------------------------------------------------
@pytest.fixture
def eval_env(tmp_path, monkeypatch, fake_embedder):
    """The fixture corpus and question set in tmp_path; models replaced by the fake embedder."""
    monkeypatch.setattr("assistant.retriever.get_embedder", lambda model=None: fake_embedder)
    shutil.copytree(EVAL, tmp_path / "eval")
    root = tmp_path / "eval"
    return root, ["--corpus", str(root / "corpus"), "--index", str(tmp_path / "index")]


def _rows(text: str) -> dict[str, list[str]]:
    """First-table rows of the text output: label -> values."""
    out = {}
    for line in text.split("\n\n")[1].splitlines()[2:]:
        cells = line.split("  ")
        cells = [c.strip() for c in cells if c.strip()]
        out[cells[0]] = cells[1:]
    return out


@pytest.mark.unit
def test_eval_command_prints_the_table(eval_env, capsys):
    root, args = eval_env
    assert evaluation.main([str(root / "questions.jsonl"), *args]) == 0
    out = capsys.readouterr().out
    assert "5 questions (4 answerable, 1 not answerable), 2 dialogues; k=10" in out
    assert out.split("\n\n")[1].splitlines()[0].split() == ["metric", "bm25", "dense", "rrf", "hybrid"]
    rows = _rows(out)
    # da02 asks with Skive's words for Odense's case: every retriever misses it; the rest are found first
    assert rows["case R@1"] == ["0.750"] * 4
    assert rows["passage R@1"] == ["0.750"] * 4
    assert rows["contact accuracy"] == ["0.667"] * 4  # da01 and en01 (no contact) right, da02 wrong case
    assert rows["not-found accuracy (assistant)"][:3] == ["—"] * 3
    assert len(rows["dialogue accuracy (assistant)"]) == 4
    assert "Failures (hybrid):" in out
    failure = next(line for line in out.splitlines() if line.startswith("da02") and "retrieval" in line)
    assert "retrieval: rank" in failure and "Odense" in failure and "Skive," in failure
    counts = {line.split()[0]: line.split()[1:] for line in out.split("Counts\n")[1].split("\n\n")[0].splitlines()[2:]}
    assert counts["lang:da"] == ["3", "3", "0", "1"] and counts["kind:none"] == ["1", "0", "1", "0"]
    assert counts["split:test"] == ["2", "2", "0", "1"] and counts["split:tune"] == ["3", "2", "1", "1"]
    groups = out.split("By language and question kind\n")[1].split("\n\n")[0]
    test_rows = [line.split() for line in groups.splitlines() if line.startswith("test")]
    assert test_rows[0] == ["test", "case", "R@1"] + ["0.500"] * 4  # en01 found, da02 missed
    assert test_rows[1][:3] == ["test", "case", "MRR@10"]


@pytest.mark.unit
def test_eval_command_json_split_and_report(eval_env, capsys, tmp_path):
    root, args = eval_env
    report = tmp_path / "report"
    assert evaluation.main([str(root / "questions.jsonl"), *args, "--json", "--split", "test",
                            "--retriever", "bm25,hybrid", "--report", str(report)]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["retrievers"] == ["bm25", "hybrid"]
    assert data["counts"]["all"] == {"questions": 2, "answerable": 2, "none": 0, "dialogues": 1}
    assert data["metrics"]["bm25"]["all"]["case"]["recall@1"] == 0.5  # en01 right, da02 wrong
    assert data["metrics"]["hybrid"]["lang:en"]["case"]["mrr@10"] == 1.0
    assert data["metrics"]["hybrid"]["all"]["contact_accuracy"] == 0.5
    assert data["not_found"]["accuracy"] is None  # no kind-"none" question in the test split
    assert data["dialogues"]["n"] == 1 and data["dialogues"]["results"][0]["id"] == "dlg02"
    assert [q["id"] for q in data["questions"]] == ["en01", "da02"]
    assert data["questions"][1]["results"]["bm25"]["top"][0] == "Skive"
    assert data["failures"][0]["id"] == "da02" and data["failures"][0]["expected"] == "Odense"
    assert (report / "report.md").is_file() and (report / "retrievers.png").stat().st_size > 1000
    assert "report.md" in captured.err


@pytest.mark.unit
def test_eval_command_without_dialogues(eval_env, capsys):
    root, args = eval_env
    assert evaluation.main([str(root / "questions.jsonl"), *args, "--json", "--no-dialogues"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["all"]["dialogues"] == 0 and data["dialogues"]["n"] == 0


@pytest.mark.unit
@pytest.mark.parametrize("argv, message", [
    (["missing.jsonl"], "file not found"),
    (["BAD", "--retriever", "bm26"], "unknown retriever 'bm26'"),
    (["BAD"], "line 2: not valid JSON"),
])
def test_eval_command_errors_exit_2_without_traceback(eval_env, capsys, argv, message):
    root, args = eval_env
    bad = root / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "x"}\n{oops\n', encoding="utf-8")
    argv = [str(bad) if a == "BAD" else str(root / a) if a.endswith(".jsonl") else a for a in argv]
    assert evaluation.main([*argv, *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.unit
def test_eval_with_corpus_only_scores_a_temporary_index_and_leaves_index_alone(tmp_path, monkeypatch, capsys):
    from conftest import FakeEmbedder

    monkeypatch.setattr("assistant.retriever.get_embedder", lambda model=None: FakeEmbedder())
    monkeypatch.chdir(tmp_path)
    corpus = tmp_path / "other"
    corpus.mkdir()
    (corpus / "vejle.md").write_text("---\ntitle: Grønne tage\nmunicipality: Vejle\n"
                                     "contact: {name: Mads Holm, role: projektleder, email: mh@vejle.dk}\n---\n"
                                     "Vejle lægger grønne tage på skolerne, så regnvandet bliver på tagene.\n",
                                     encoding="utf-8")
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "q1", "lang": "da", "question": "Hvem lægger grønne tage på skolerne?", '
                         '"municipality": "Vejle", "email": "mh@vejle.dk"}\n', encoding="utf-8")
    assert evaluation.main([str(questions), "--corpus", str(corpus), "--retriever", "hybrid", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["source"]["index"] == "(temporary)" and result["source"]["cases"] == 1
    assert not (tmp_path / "index").exists()


@pytest.mark.unit
def test_of_a_municipalitys_several_cases_the_one_with_the_evidence_or_the_contact_is_relevant():
    from assistant.records import Section
    two = [Case("v1", "Sol på taget", "Vejle", None, (Section(None, ("Vejle lægger solceller på skolerne.",)),), None,
                contacts=(Contact("Ea", "rolle", "ea@vejle.dk"),)),
           Case("v2", "Regnvand", "Vejle", None, (Section(None, ("Vejle samler regnvand i parken.",)),), None,
                contacts=(Contact("Bo", "rolle", "bo@vejle.dk"),))]
    by_evidence = Question("e", "da", "case", "Hvem samler regnvand?", "Vejle", None, "samler  regnvand")
    by_email = Question("m", "en", "contact", "Who runs the solar roofs?", "Vejle", "EA@vejle.dk", None)
    neither = Question("n", "da", "case", "Hvad gør Vejle?", "Vejle", None, None)
    assert relevant_cases(by_evidence, two) == ["v2"]
    assert relevant_cases(by_email, two) == ["v1"]
    assert relevant_cases(neither, two) == ["v1", "v2"]


@pytest.mark.unit
def test_a_dialogue_ending_out_of_corpus_is_right_when_not_found():
    ending_outside = Dialogue("d3", "en", ("Tell me about the seed library.", "And the mayor's salary?"), None, None)

    class Stub(StubAssistant):
        replies = {**StubAssistant.replies, ending_outside.turns[-1]: (False, None)}

    ev = evaluate(StubRetriever(), [Q1], [ending_outside, D1], ["hybrid"], k=10, assistant=Stub(), progress=False)
    assert ev.dialogue_results["d3"].correct and ev.assistant_summary()["dialogue accuracy"] == 1.0
    Stub.replies[ending_outside.turns[-1]] = (True, "B")  # answered with a case: wrong
    ev = evaluate(StubRetriever(), [Q1], [ending_outside], ["hybrid"], k=10, assistant=Stub(), progress=False)
    assert not ev.dialogue_results["d3"].correct
