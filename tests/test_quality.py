"""The quality targets of the evaluation, on the test half of the bundled question set, with the real
default model: the numbers the README and the closing notes quote, checked on every run."""

from __future__ import annotations

import pytest
from conftest import CORPUS

from assistant.evaluation import evaluate
from assistant.question_set import load_dialogues, load_questions

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def test_half(real_retriever):
    questions = load_questions(CORPUS / "questions.jsonl", split="test")
    dialogues = load_dialogues(CORPUS / "dialogues.jsonl", split="test")
    assert len(questions) >= 40 and len(dialogues) >= 5
    return evaluate(real_retriever, questions, dialogues, progress=False)


def test_hybrid_beats_every_plain_baseline(test_half):
    hybrid = test_half.summary("hybrid")
    for baseline in ("bm25", "dense", "rrf"):
        other = test_half.summary(baseline)
        assert hybrid["case recall@1"] > other["case recall@1"], baseline
        assert hybrid["case mrr@10"] > other["case mrr@10"], baseline
        assert hybrid["contact accuracy"] > other["contact accuracy"], baseline


def test_case_recall_per_language_and_mrr(test_half):
    assert test_half.summary("hybrid", "lang:da")["case recall@1"] >= 0.95
    assert test_half.summary("hybrid", "lang:en")["case recall@1"] >= 0.90
    assert test_half.summary("hybrid")["case mrr@10"] >= 0.97


def test_contacts_and_dialogues(test_half):
    assert test_half.summary("hybrid")["contact accuracy"] >= 0.95
    assert test_half.assistant_summary()["dialogue accuracy"] >= 0.9


def test_not_found(test_half):
    assistant = test_half.assistant_summary()
    assert assistant["false not-found rate"] <= 0.05
    # Measured 5 of 6 (target 0.8). en41 (property tax) is refused by the errand rule (assistant/scope.py),
    # which no score moves; da55 is refused by the cosine bar with 0.0021 to spare and another CPU could
    # flip it (issue 10), and en42 is answered 0.0016 above the bar. So this asserts what survives da55
    # flipping: 4 of 6. On the blind sets the rate is lower (README, Evaluation: 3 of 5 and 25 of 40).
    assert assistant["not-found accuracy"] >= 0.66


def test_not_found_on_the_blind_calibration_questions(real_retriever):
    """The not-found rule on the 60 questions written blind for calibrating it (40 out of corpus)."""
    questions = load_questions(CORPUS / "questions-calibration.jsonl")
    assistant = evaluate(real_retriever, questions, [], retrievers=["hybrid"], progress=False).assistant_summary()
    # 24 of 40 measured; four of the 40 lie within 0.0025 of the threshold (c59 +0.0012, c37 -0.0014,
    # c19 -0.0016, c31 -0.0024), so this allows the three now right to flip: 21 of 40
    assert assistant["not-found accuracy"] >= 0.5
    assert assistant["false not-found rate"] <= 0.1          # 2 of 20 today (2 of 62 with the tuning half)
