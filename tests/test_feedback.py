"""Votes on answers: feedback.jsonl written under a lock, read back, turned into a draft question set."""

from __future__ import annotations

import inspect
import json
import logging
import multiprocessing
from pathlib import Path

import pytest
from conftest import assert_clean_failure, run_cli

from assistant.feedback import (
    dialogues_path,
    feedback_path,
    read_votes,
    record_vote,
    stats,
    to_questions,
)
from assistant.question_set import load_dialogues, load_questions
from assistant.records import Case, Contact, Hit, Passage, Section

HALMSTAD = Case("norddjurs-halmstad", "På tværs af farvande og kommunegrænser", "Norddjurs", None,
                (Section(None, ("Norddjurs samarbejder med Halmstad.",)),),
                Contact("Sofia Braad Riis", "udviklingskonsulent", "sobrh@norddjurs.dk"), source="page.txt")
HERNING = Case("herning-center", "Et bæredygtighedscenter for handling", "Herning", None, (), None,
               contacts=(Contact("Anne Mikkelsen", "udviklingskonsulent", "bekae@herning.dk"),
                         Contact("Bo Borgmester", "borgmester", "bo@herning.dk")))
AARHUS = Case("aarhus-dannelse", "Bæredygtig dannelse", "Aarhus", None, (), None)  # no contact
INTRO = Case("intro", "Partnerskaber for handling", None, None, (), None, kind="intro")

ALLOWED_KEYS = {"time", "vote", "question", "history", "language", "cases", "answer"}


@pytest.fixture
def votes_file(tmp_path) -> Path:
    return tmp_path / "feedback.jsonl"


def vote(path, question, vote="up", cases=(), history=(), **extra) -> dict:
    return record_vote(path, question=question, history=list(history), cases=list(cases), vote=vote, **extra)


# ---- where the file lives ------------------------------------------------------------------------------

def test_the_file_lives_beside_the_index_folder_unless_the_environment_says_otherwise(tmp_path, monkeypatch):
    monkeypatch.delenv("ASSISTANT_FEEDBACK", raising=False)
    assert feedback_path(tmp_path / "data" / "index") == tmp_path / "data" / "feedback.jsonl"
    assert feedback_path(str(tmp_path / "data" / "index") + "/") == tmp_path / "data" / "feedback.jsonl"
    monkeypatch.chdir(tmp_path)
    assert feedback_path(".") == tmp_path.parent / "feedback.jsonl"  # "." is the index: never inside it
    monkeypatch.setenv("ASSISTANT_FEEDBACK", str(tmp_path / "votes" / "mine.jsonl"))
    assert feedback_path(tmp_path / "index") == tmp_path / "votes" / "mine.jsonl"


# ---- writing and reading -------------------------------------------------------------------------------

def test_a_vote_round_trips_through_the_file(votes_file):
    hit = Hit(1, 0.9, Passage("p1", HERNING.id, "tekst", None, 0), HERNING)
    record = vote(votes_file, "  Hvem er  borgmester i Herning? ", "down", [hit, HERNING, HALMSTAD, AARHUS],
                  history=["Hvad gør Herning?", {"role": "assistant", "content": "Svar"},
                           {"role": "user", "content": "Og Gladsaxe?"}], answer="**Herning** …", language="da")
    assert record["vote"] == "down"
    assert record["question"] == "Hvem er borgmester i Herning?"
    assert record["history"] == ["Hvad gør Herning?", "Og Gladsaxe?"]  # the user's messages only
    assert record["language"] == "da" and record["answer"] == "**Herning** …"
    assert record["cases"] == [  # a Hit counts as its case, a repeated case once; the contact the answer names first
        {"id": "herning-center", "municipality": "Herning", "title": "Et bæredygtighedscenter for handling",
         "email": "bo@herning.dk"},
        {"id": "norddjurs-halmstad", "municipality": "Norddjurs", "title": "På tværs af farvande og kommunegrænser",
         "email": "sobrh@norddjurs.dk"},
        {"id": "aarhus-dannelse", "municipality": "Aarhus", "title": "Bæredygtig dannelse", "email": None}]
    assert record["time"].endswith("Z") and record["time"][:2] == "20"
    vote(votes_file, "Who works with Halmstad?", True, [HALMSTAD])

    lines = votes_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and "ø" in lines[0]  # one line each, UTF-8 as is
    votes = read_votes(votes_file)
    assert votes == [record, json.loads(lines[1])] and votes.invalid == ()
    assert votes[1]["vote"] == "up" and "language" not in votes[1] and "answer" not in votes[1]


def test_a_vote_records_no_ip_address_login_or_session(votes_file):
    assert set(inspect.signature(record_vote).parameters) == {"path", "question", "history", "cases", "vote",
                                                              "answer", "language"}
    record = vote(votes_file, "Hvem kan jeg kontakte om Halmstad?", "up", [HALMSTAD], history=["Hej"],
                  answer="Sofia Braad Riis", language="da")
    assert set(record) == ALLOWED_KEYS
    text = votes_file.read_text(encoding="utf-8").lower()
    for word in ("ip", "host", "session", "login", "user", "auth", "cookie", "client"):
        assert f'"{word}' not in text


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"vote": "maybe"}, "vote must be 'up' or 'down'"),
    ({"vote": 1}, "vote must be 'up' or 'down'"),
    ({"vote": None}, "vote must be 'up' or 'down'"),
    ({"question": 42}, "question must be a string, not int"),
    ({"question": "   "}, "question is empty"),
    ({"question": "x" * 2001}, "question is too long"),
    ({"history": "Hvad gør Herning?"}, "history must be a list"),
    ({"history": [3]}, "history message 1 must be a string"),
    ({"history": ["y" * 2001]}, "history message 1: query is too long"),
    ({"cases": "Herning"}, "cases must be a list"),
    ({"cases": [HERNING, {"id": "x"}]}, r"cases\[1\] must be a Case"),
    ({"answer": 5}, "answer must be a string or None"),
    ({"language": "Danish"}, "language must be a language code"),
])
def test_bad_input_is_refused_with_a_clear_error_and_writes_nothing(votes_file, kwargs, message):
    args = {"question": "Hvad gør Herning?", "history": [], "cases": [HERNING], "vote": "up", **kwargs}
    with pytest.raises(ValueError, match=message):
        record_vote(votes_file, **args)
    assert not votes_file.exists()


def test_a_long_answer_is_kept_cut_and_up_down_are_read_loosely(votes_file):
    record = vote(votes_file, "Hvad gør Herning?", " DOWN ", [HERNING], answer="a" * 10_000)
    assert record["vote"] == "down" and len(record["answer"]) == 4002 and record["answer"].endswith(" …")


def test_a_torn_last_line_is_closed_before_the_next_vote(votes_file, caplog):
    votes_file.write_text('{"time": "2025-01-01T00:00:00Z", "vote": "up", "quest', encoding="utf-8")
    vote(votes_file, "Hvad gør Herning?", "up", [HERNING])
    vote(votes_file, "Hvad gør Aarhus?", "down", [AARHUS])
    lines = votes_file.read_text(encoding="utf-8").split("\n")
    assert lines[0].endswith('"quest') and lines[3] == ""  # the torn line stays alone on its line
    assert [json.loads(line)["question"] for line in lines[1:3]] == ["Hvad gør Herning?", "Hvad gør Aarhus?"]
    with caplog.at_level(logging.WARNING, logger="assistant.feedback"):
        votes = read_votes(votes_file)
    assert [v["question"] for v in votes] == ["Hvad gør Herning?", "Hvad gør Aarhus?"]
    assert votes.invalid == (1,)
    assert "skipped 1 invalid line(s) (line 1)" in caplog.text


def test_invalid_lines_are_skipped_and_counted(votes_file):
    good = json.dumps({"time": "t", "vote": "up", "question": "Hvad gør Herning?", "history": [], "cases": []})
    bad = ["[1, 2]", '{"vote": "sideways", "question": "q"}', '{"vote": "up", "question": ""}',
           '{"vote": "up", "question": "q", "history": "h"}', '{"vote": "up", "question": "q", "cases": [1]}']
    votes_file.write_bytes(("\n".join([good, *bad, good, ""]) + "\n").encode() + b"\xff\xfe broken\n")
    votes = read_votes(votes_file)
    assert len(votes) == 2 and votes.invalid == (2, 3, 4, 5, 6, 9)


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no feedback file at .*no votes have been recorded yet"):
        read_votes(tmp_path / "nothing.jsonl")


def _vote_many(path: str, worker: int, count: int, start) -> None:
    start.wait()
    history = [f"Tidligere spørgsmål {n} fra {worker}: " + "ø" * 1500 for n in range(8)]  # ~12 KB a line
    for n in range(count):
        record_vote(path, question=f"Spørgsmål {n} fra proces {worker}", history=history, cases=[HALMSTAD, HERNING],
                    vote="up" if n % 2 else "down", answer="svar " * 200, language="da")


def test_twenty_processes_voting_at_once_leave_500_whole_lines(votes_file):
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    start = context.Event()
    workers = [context.Process(target=_vote_many, args=(str(votes_file), w, 25, start)) for w in range(20)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(timeout=120)
    assert [w.exitcode for w in workers] == [0] * 20

    data = votes_file.read_bytes()
    assert data.endswith(b"\n")
    lines = data.decode("utf-8").split("\n")[:-1]
    assert len(lines) == 500
    rows = [json.loads(line) for line in lines]  # every line is one whole vote
    assert len({r["question"] for r in rows}) == 500
    assert all(len(r["history"]) == 8 and r["cases"][0]["municipality"] == "Norddjurs" for r in rows)
    assert len(read_votes(votes_file)) == 500 and read_votes(votes_file).invalid == ()


# ---- the draft question set ----------------------------------------------------------------------------

def test_votes_become_questions_to_score_and_questions_to_label(votes_file, tmp_path):
    vote(votes_file, "Hvem kan jeg kontakte om samarbejdet med Halmstad?", "up", [HALMSTAD, HERNING], language="da")
    vote(votes_file, "Which municipality works with Halmstad?", "up", [HALMSTAD])
    vote(votes_file, "Hvad gør Aarhus for dannelse?", "up", [AARHUS])
    vote(votes_file, "Hvad handler temaet om?", "up", [INTRO, HERNING])
    vote(votes_file, "Hvad gør Odense med vindmøller?", "up", [])  # 👍 on "not found"
    vote(votes_file, "Hvem kan jeg kontakte om centret i Herning?", "down", [HALMSTAD, AARHUS], language="da")
    out = tmp_path / "drafts" / "from-votes.jsonl"

    summary = to_questions(read_votes(votes_file), out)

    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert summary.line() == "6 votes read, 5 up → questions, 1 down → to label, 0 invalid lines skipped"
    assert (summary.questions, summary.dialogues, summary.dialogues_path) == (6, 0, None)
    assert not dialogues_path(out).exists()
    plain = [{k: r[k] for k in ("lang", "kind", "question", "municipality", "email", "evidence")} for r in rows]
    assert plain == [
        {"lang": "da", "kind": "contact", "question": "Hvem kan jeg kontakte om samarbejdet med Halmstad?",
         "municipality": "Norddjurs", "email": "sobrh@norddjurs.dk", "evidence": None},
        {"lang": "en", "kind": "case", "question": "Which municipality works with Halmstad?",
         "municipality": "Norddjurs", "email": "sobrh@norddjurs.dk", "evidence": None},
        {"lang": "da", "kind": "case", "question": "Hvad gør Aarhus for dannelse?", "municipality": "Aarhus",
         "email": None, "evidence": None},
        {"lang": "da", "kind": "theme", "question": "Hvad handler temaet om?", "municipality": None, "email": None,
         "evidence": None},
        {"lang": "da", "kind": "none", "question": "Hvad gør Odense med vindmøller?", "municipality": None,
         "email": None, "evidence": None},
        {"lang": "da", "kind": "contact", "question": "Hvem kan jeg kontakte om centret i Herning?", "municipality": None,
         "email": None, "evidence": None}]
    assert all(r["id"].startswith("fb-") and r["vote"] in ("up", "down") and r["voted"] for r in rows)
    assert [r.get("needs_label", False) for r in rows] == [False] * 5 + [True]
    assert [c["municipality"] for c in rows[5]["returned"]] == ["Norddjurs", "Aarhus"]
    assert "needs_label" in rows[5]["todo"]


def test_the_draft_loads_with_its_labelled_rows_only(votes_file, tmp_path, caplog):
    vote(votes_file, "Hvem kan jeg kontakte om samarbejdet med Halmstad?", "up", [HALMSTAD])
    vote(votes_file, "Hvem er borgmester i Herning?", "down", [HALMSTAD])
    vote(votes_file, "Hvem kan jeg kontakte om det?", "up", [HERNING], history=["Hvad gør Herning?"])
    vote(votes_file, "Og hvem er borgmester?", "down", [HERNING], history=["Hvad gør Herning?"])
    out = tmp_path / "draft.jsonl"
    summary = to_questions(read_votes(votes_file), out)
    assert (summary.questions, summary.dialogues, summary.labelled, summary.to_label) == (2, 2, 2, 2)

    with caplog.at_level(logging.WARNING, logger="assistant.question_set"):
        questions = load_questions(out)
        dialogues = load_dialogues(dialogues_path(out))
    assert [(q.kind, q.municipality, q.email) for q in questions] == [("contact", "Norddjurs", "sobrh@norddjurs.dk")]
    assert [(d.turns, d.municipality, d.email) for d in dialogues] == [
        (("Hvad gør Herning?", "Hvem kan jeg kontakte om det?"), "Herning", "bekae@herning.dk")]
    assert caplog.text.count("skipped 1 row(s) marked needs_label") == 2

    # a person labels the 👎 row: it is then scored like any other
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    rows[1].update(municipality="Herning", email="bo@herning.dk")
    del rows[1]["needs_label"]
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert [(q.kind, q.municipality) for q in load_questions(out)] == [("contact", "Norddjurs"), ("case", "Herning")]


def test_of_repeated_votes_the_latest_wins(votes_file, tmp_path):
    vote(votes_file, "Hvad gør Herning?", "up", [HALMSTAD])
    vote(votes_file, "Hvem arbejder med Halmstad?", "up", [HALMSTAD])
    vote(votes_file, "hvad  gør HERNING?", "down", [HALMSTAD])
    vote(votes_file, "Hvad gør Herning?", "up", [HERNING])
    vote(votes_file, "Hvad gør Herning?", "up", [HALMSTAD], history=["Hej"])  # another conversation
    summary = to_questions(read_votes(votes_file), tmp_path / "draft.jsonl")
    questions = load_questions(tmp_path / "draft.jsonl")
    assert [(q.question, q.municipality) for q in questions] == [("Hvem arbejder med Halmstad?", "Norddjurs"),
                                                                 ("Hvad gør Herning?", "Herning")]
    assert (summary.votes, summary.superseded, summary.questions, summary.dialogues) == (5, 2, 2, 1)
    assert len({q.id for q in questions}) == 2


def test_a_draft_with_labels_is_not_overwritten_by_accident(votes_file, tmp_path):
    vote(votes_file, "Hvad gør Herning?", "up", [HERNING], history=["Hej"])
    out = tmp_path / "draft.jsonl"
    to_questions(read_votes(votes_file), out)
    assert dialogues_path(out) == tmp_path / "draft-dialogues.jsonl" and dialogues_path(out).exists()
    with pytest.raises(FileExistsError, match="labels in it would be lost"):
        to_questions(read_votes(votes_file), out)
    votes_file.unlink()
    vote(votes_file, "Hvad gør Herning?", "up", [HERNING])
    summary = to_questions(read_votes(votes_file), out, overwrite=True)
    assert summary.dialogues == 0 and not dialogues_path(out).exists()  # no stale dialogues from the last draft


def test_stats_count_the_votes(votes_file):
    vote(votes_file, "Hvad gør Herning?", "up", [HERNING], language="da")
    vote(votes_file, "What does Herning do?", "down", [HERNING], language="en")
    vote(votes_file, "Hvad gør Herning?", "up", [HERNING], history=["Hej"], language="da")
    with votes_file.open("a", encoding="utf-8") as f:
        f.write("not json\n")
    s = stats(read_votes(votes_file))
    assert (s.votes, s.up, s.down, s.invalid, s.conversations, s.with_history) == (3, 2, 1, 1, 3, 1)
    assert s.languages == {"da": 2, "en": 1} and s.first <= s.last


# ---- the command ---------------------------------------------------------------------------------------

def test_the_feedback_commands_end_to_end(tmp_path, monkeypatch):
    monkeypatch.delenv("ASSISTANT_FEEDBACK", raising=False)
    index = tmp_path / "index"
    votes_file = feedback_path(index)
    assert votes_file == tmp_path / "feedback.jsonl"
    vote(votes_file, "Hvem kan jeg kontakte om samarbejdet med Halmstad?", "up", [HALMSTAD])
    vote(votes_file, "Hvem er borgmester i Herning?", "down", [HALMSTAD])
    vote(votes_file, "Hvem kan jeg kontakte om det?", "up", [HERNING], history=["Hvad gør Herning?"])
    with votes_file.open("a", encoding="utf-8") as f:
        f.write('{"vote": "up", "quest')
    out = tmp_path / "out" / "draft.jsonl"

    result = run_cli("feedback", "to-questions", str(out), "--index", str(index))
    assert result.exit_code == 0, result.output
    assert result.stdout == "3 votes read, 2 up → questions, 1 down → to label, 1 invalid lines skipped\n"
    assert f"Wrote {out}" in result.stderr and "--dialogues" in result.stderr
    assert len(load_questions(out)) == 1 and len(load_dialogues(dialogues_path(out))) == 1

    result = run_cli("feedback", "stats", "--feedback", str(votes_file), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["votes"] == 3 and json.loads(result.stdout)["invalid"] == 1
    monkeypatch.setenv("ASSISTANT_FEEDBACK", str(votes_file))
    result = run_cli("feedback", "stats")
    assert result.exit_code == 0 and result.stdout.startswith("3 votes (2 up, 1 down) on 3 distinct questions")

    assert_clean_failure(run_cli("feedback", "to-questions", str(out)), f"{out} exists")
    assert run_cli("feedback", "to-questions", str(out), "--force").exit_code == 0
    assert_clean_failure(run_cli("feedback", "stats", "--feedback", str(tmp_path / "none.jsonl")),
                         "no feedback file at")


@pytest.mark.integration
def test_a_draft_from_votes_is_scored_by_assistant_eval(real_retriever, tmp_path):
    by_municipality = {c.municipality: c for c in real_retriever.cases.values() if c.municipality}
    frederikshavn, norddjurs = by_municipality["Frederikshavn"], by_municipality["Norddjurs"]
    votes_file = tmp_path / "feedback.jsonl"
    vote(votes_file, "Hvem kan jeg kontakte om insekthotellerne hos MAN Energy Solutions?", "up", [frederikshavn])
    vote(votes_file, "Which municipality works with Halmstad across the sea?", "up", [norddjurs, frederikshavn])
    vote(votes_file, "Hvem står for bæredygtighedscentret i Herning?", "down", [norddjurs])
    vote(votes_file, "Hvem kan jeg kontakte om det?", "up", [frederikshavn],
         history=["Hvilken kommune har lavet insekthoteller sammen med en virksomhed?"])
    vote(votes_file, "Hvad er e-mailen?", "down", [frederikshavn], history=["Fortæl om samarbejdet med Halmstad."])
    draft = tmp_path / "draft.jsonl"
    to_questions(read_votes(votes_file), draft)

    result = run_cli("eval", str(draft), "--index", str(real_retriever.path), "--retriever", "hybrid",
                     "--dialogues", str(dialogues_path(draft)), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["counts"]["all"] == {"questions": 2, "answerable": 2, "none": 0, "dialogues": 1}
    assert [(q["kind"], q["expected"], q["email"]) for q in report["questions"]] == [
        ("contact", "Frederikshavn", "bejo@frederikshavn.dk"), ("case", "Norddjurs", "sobrh@norddjurs.dk")]
    assert all(q["results"]["hybrid"]["case_rank"] == 1 for q in report["questions"])
    assert report["dialogues"]["results"][0]["correct"] is True
