"""List answers ("Hvilke kommuner …?", "Vis alle cases om mål 4"): cue detection, filters, Reply.cases,
the Markdown of a list, the goal/region arguments of ask, and set precision/recall in `assistant eval`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from assistant import Assistant, Retriever, eval_report, evaluation
from assistant.listing import is_list_question, request_text, search_text, topic_words
from assistant.municipalities import AREAS
from assistant.question_set import EvalInputError, Question, load_questions
from assistant.records import Case, Reply

ROOT = Path(__file__).resolve().parents[1]
TUNING = ROOT / "eval-tuning"
GOAL_12 = ["Assens", "Egedal", "Faaborg-Midtfyn", "Holbæk", "København", "Morsø", "Nordfyns"]
CAPITAL = ["Albertslund", "Allerød", "Dragør", "Egedal", "Fredensborg", "Frederikssund", "Furesø", "Glostrup",
           "Helsingør", "Hillerød", "Hvidovre", "København", "Lyngby-Taarbæk", "Rudersdal", "Rødovre", "Rødovre"]
FUNEN = ["Assens", "Faaborg-Midtfyn", "Kerteminde", "Langeland", "Nordfyns", "Nyborg"]


# ---- cues and filters (no model) -------------------------------------------------------------------------
@pytest.mark.unit
@pytest.mark.parametrize("question", [
    "Hvilke kommuner arbejder med genbrug?", "Hvilke andre kommuner har cases om madspild?",
    "Vis alle cases om mål 4", "Vis mig alle kommuner i Nordjylland", "Er der nogen kommuner, der arbejder med bier?",
    "Hvor mange kommuner arbejder med fællesspisning?", "Giv mig en liste over kommuner med solceller",
    "Hvilke byer har skolehaver?", "Findes der eksempler på kommuner med delebiler?",
    "Which municipalities work with companies?", "Which Danish councils help young people into jobs?",
    "Show me every case on goal 4", "Show me all cases in North Jutland", "List the municipalities that recycle",
    "What cases are there about biogas?", "Are there any municipalities with car sharing?",
    "How many municipalities work with food waste?", "Can you list every case on SDG 13?",
    "Kan du nævne kommuner, der arbejder med bier?", "Hvad for nogle kommuner har delecykler?",
    # a request for them inside a longer message
    "Jeg er lærer. Kan du give mig de kommuner, der arbejder med skolehaver?",
    "Hello! Could you list the municipalities whose cases are about bees?",
    "Our club is curious. Show me the councils with a case on goal 7.",
    "Er der nogen grønlandske kommuner med i samlingen, og i så fald hvilke?",
    "Kan du give mig et overblik over kommuner med delebiler?", "I'd like an overview of councils that compost",
    "Hvem af kommunerne har projekter med bier?", "Which of the councils have a repair café?",
    "Jeg vil gerne kende de kommuner, hvis cases handler om vand"])
def test_list_questions_are_recognised(question):
    assert is_list_question(question)


@pytest.mark.unit
@pytest.mark.parametrize("question", [
    "Hvilken kommune arbejder med genbrug?", "Which municipality works with companies?",
    "Hvilken kommune samarbejder med MAN Energy Solutions?", "What municipality has a seed library?",
    "Hvilke to af kommunens egne afdelinger er med i samarbejdet?", "Hvilke målgrupper henvender centret sig til?",
    "Which universities has the municipality partnered with?", "Who is on the waiting list for the gardens?",
    "Hvem kan jeg kontakte om det?", "Hvad har de fleste kommuner gjort?", "Is goal 17 part of every municipality's plan?",
    "Name a municipality that keeps bees", "Nævn en kommune med bier",
    "Give me the contact person for the bee project", "Kan du give mig kontaktpersonen for delebilerne?",
    "How do the municipalities finance it?", "Hvad gør kommunen med de byer, der ligger langt fra fjernvarmen?"])
def test_singular_and_other_questions_are_not_lists(question):
    assert not is_list_question(question)


@pytest.mark.unit
def test_the_request_sentence_carries_the_topic_not_the_sentences_about_the_asker():
    chatty = ("Jeg underviser i natur og teknologi og vil gerne vise eleverne eksempler. "
              "Kan du give mig de kommuner, der arbejder med verdensmål 15?")
    assert request_text(chatty) == "Kan du give mig de kommuner, der arbejder med verdensmål 15?"
    assert topic_words(request_text(chatty)) == []  # only the goal: every case on it
    assert request_text("Quick question from a teacher: which municipalities in Region Zealand have cases?") \
        == "which municipalities in Region Zealand have cases?"
    assert request_text("Jeg interesserer mig for skolehaver – hvilke kommuner har dem?") == "hvilke kommuner har dem?"
    # one sentence, or every sentence asking: the message as it is
    for whole in ("Hvilke kommuner arbejder med bier?", "Which councils compost? Which ones recycle?"):
        assert request_text(whole) == whole


@pytest.mark.unit
def test_goals_and_regions_are_filters_not_topics():
    assert topic_words("Vis alle cases om mål 12") == []
    assert topic_words("Which municipalities in the Capital Region have cases?") == []
    assert topic_words("Hvilke kommuner i Nordjylland har cases om verdensmålene?") == []
    assert topic_words("Show me every case on SDG 7") == []
    assert topic_words("Hvilke kommuner i Nordjylland arbejder med mad?") == ["mad"]
    assert topic_words("Which municipalities on Funen work with food?") == ["food"]
    # the topic is searched without the filter words (a region named would boost its own cases)
    assert search_text("Hvilke kommuner i Region Midtjylland arbejder med energi?") == "Hvilke kommuner arbejder med energi?"
    assert search_text("Which municipalities work against loneliness under goal 3?") == \
        "Which municipalities work against loneliness ?"
    # a goal's name next to its number names the goal, in any case: no topic of its own
    assert topic_words("Hvilke kommuner arbejder med livet på land, mål 15?") == []
    assert topic_words("Which municipalities work on quality education (SDG 4)?") == []
    # a goal's name in lower case, without its number, still names the goal (goal 7, "Bæredygtig energi")
    assert topic_words("Hvilke kommuner arbejder med bæredygtig energi?") == []
    assert topic_words("Hvilke kommuner har projekter om anstændige jobs og økonomisk vækst?") == []
    assert topic_words("In the Capital Region, which municipalities have cases on responsible consumption (goal 12)?") == []
    assert topic_words("Which municipalities work with young people under goal 8?") == ["young", "people"]
    # words about the catalogue, not a topic
    assert topic_words("Hvilke kommuner i Region Hovedstaden er med i case-samlingen?") == []
    assert topic_words("Which municipalities have projects that they link to SDG 13?") == []
    # Greenland is an area like Funen: its five municipalities
    from assistant.municipalities import GREENLAND, municipalities_of_regions
    assert topic_words("Which Greenlandic municipalities have cases?") == []
    assert municipalities_of_regions("Hvilke grønlandske kommuner er med?") == list(GREENLAND)


@pytest.mark.unit
def test_reply_cases_follow_the_answer():
    case = Case("a", "Grønne tage", "Vejle", None, (), None)
    assert Reply(answer="…", case=case).cases == [case]           # an ordinary found answer
    assert Reply(answer="…", found=False).cases == []               # not found
    assert Reply(answer="…", case=case, cases=[case, case], kind="list").cases == [case, case]
    assert Reply(answer="…").kind == "single"


# ---- the question-set format and the eval output (stubs, no model) -----------------------------------------
@pytest.mark.unit
def test_list_rows_load_as_list_questions(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in (
        {"id": "L01", "lang": "da", "question": "Hvilke kommuner i Nordjylland har cases om verdensmålene?",
         "municipalities": ["Læsø Kommune", "Rebild"]},
        {"id": "L02", "question": "Which municipalities run electric ferries?", "municipalities": []},
        {"id": "q1", "question": "Hvem lægger grønne tage?", "municipality": "Vejle"})) + "\n", encoding="utf-8")
    l01, l02, q1 = load_questions(path)
    assert (l01.kind, l01.municipalities, l01.answerable) == ("list", ("Læsø", "Rebild"), False)
    assert (l02.kind, l02.municipalities, l02.lang) == ("list", (), "en")
    assert (q1.kind, q1.municipalities, q1.answerable) == ("case", None, True)
    path.write_text('{"id": "x", "question": "Hvilke?", "municipalities": "Læsø"}\n', encoding="utf-8")
    with pytest.raises(EvalInputError, match="line 1: 'municipalities' must be a list"):
        load_questions(path)
    path.write_text('{"id": "x", "question": "Hvilke?", "kind": "list"}\n', encoding="utf-8")
    with pytest.raises(EvalInputError, match="needs 'municipalities'"):
        load_questions(path)


@pytest.mark.unit
def test_set_precision_and_recall_by_hand():
    assert evaluation.set_scores(["A", "B"], ["A", "C", "D"]) == (0.5, 1 / 3)
    assert evaluation.set_scores([], []) == (1.0, 1.0)          # nothing expected, nothing listed
    assert evaluation.set_scores([], ["A"]) == (1.0, 0.0)       # nothing listed: precision 1, recall 0
    assert evaluation.set_scores(["A"], []) == (0.0, 1.0)       # a question no case answers, answered


def _case(cid: str, municipality: str) -> Case:
    return Case(cid, f"Case {cid}", municipality, None, (), None)


CASES = {c.id: c for c in (_case("A", "Aarhus"), _case("B", "Vejle"), _case("C", "Skive"), _case("D", "Vejle"))}
LIST_QUESTIONS = [
    Question("L1", "da", "list", "Hvilke kommuner arbejder med vand?", None, None, municipalities=("Vejle", "Skive")),
    Question("L2", "en", "list", "Which municipalities run ferries?", None, None, municipalities=()),
    Question("L3", "da", "list", "Vis alle cases om mål 4", None, None, municipalities=("Aarhus",)),
    Question("n1", "da", "none", "Hvad koster et pas?", None, None)]


class StubAssistant:
    """Replies by message: the cases listed (a list answer) or not found."""

    listed = {"Hvilke kommuner arbejder med vand?": ["B", "D", "A"], "Which municipalities run ferries?": [],
              "Vis alle cases om mål 4": ["A"], "Hvad koster et pas?": []}

    def ask(self, message, history=None):
        cases = [CASES[c] for c in self.listed[message]]
        return Reply(answer="…", found=bool(cases), case=cases[0] if cases else None, cases=cases,
                     kind="list" if message != "Hvad koster et pas?" else "single")


@pytest.mark.unit
def test_eval_reports_set_precision_and_recall_and_skips_list_rows_elsewhere():
    retriever = SimpleNamespace(cases=CASES, data=SimpleNamespace(passages=[]), search=lambda *a, **k: [])
    ev = evaluation.evaluate(retriever, LIST_QUESTIONS, [], ["hybrid"], assistant=StubAssistant(), progress=False)
    # L1 lists Vejle (twice: two cases) and Aarhus: P 1/2, R 1/2; L2 lists nothing of nothing: 1, 1; L3 exact: 1, 1
    # -> macro (1/2 + 1 + 1) / 3 = 5/6 each
    assert ev.list_summary() == {"set precision": pytest.approx(5 / 6), "set recall": pytest.approx(5 / 6),
                                 "list questions": 3, "exact sets": 2}
    assert ev.list_results["L1"].listed == ("Vejle", "Aarhus")
    assert ev.assistant_summary()["not-found accuracy"] == 1.0      # n1 only: the list rows are not "none"
    assert ev.counts("all") == {"questions": 4, "answerable": 0, "none": 1, "dialogues": 0, "list": 3}
    assert [(f.id, f.what, f.detail) for f in ev.failures()] == [("L1", "list", "missed Skive; extra Aarhus")]
    lines = [" ".join(line.split()) for line in eval_report.format_text(ev).splitlines()]
    assert "set precision (assistant, 3 list questions) 0.833" in lines
    assert "set recall (assistant, 3 list questions) 0.833" in lines
    assert "exact sets (assistant, of 3) 2" in lines
    assert any("4 questions (0 answerable, 1 not answerable, 3 list questions)" in line for line in lines)
    data = json.loads(json.dumps(eval_report.to_json(ev), ensure_ascii=False))
    assert (data["lists"]["n"], data["lists"]["exact"]) == (3, 2)
    assert data["lists"]["precision"] == pytest.approx(5 / 6)
    assert data["lists"]["by_group"]["lang:en"]["set recall"] == 1.0
    assert data["lists"]["results"][0] == {"id": "L1", "lang": "da", "listed": ["Vejle", "Aarhus"],
                                           "expected": ["Vejle", "Skive"], "precision": 0.5, "recall": 0.5}


# ---- Markdown of a list answer (fake embedder, no model) ------------------------------------------------
@pytest.mark.unit
def test_a_list_answer_escapes_corpus_text_and_links_the_contact(tmp_path, fake_embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "vejle.md").write_text(
        "---\ntitle: 'Grønne *tage* [klik](http://evil.example)'\nmunicipality: Vejle\n"
        "contact: {name: '<b>Mads</b> Holm', role: projektleder, email: mh@vejle.dk}\n---\n"
        "Vejle lægger grønne tage på skolerne. Indsatsen hører under Mål 13.\n", encoding="utf-8")
    (corpus / "skive.md").write_text(
        "---\ntitle: Regnbede\nmunicipality: Skive\n---\nSkive laver regnbede ved skolerne under Mål 13.\n",
        encoding="utf-8")
    (corpus / "aarhus.md").write_text(
        "---\ntitle: Bier\nmunicipality: Aarhus\n---\nAarhus har bistader på rådhuset (Mål 15).\n", encoding="utf-8")
    assistant = Assistant(Retriever.build(corpus, tmp_path / "index", embedder=fake_embedder))
    reply = assistant.ask("Vis alle cases om mål 13")
    assert (reply.kind, reply.found) == ("list", True)
    assert [c.municipality for c in reply.cases] == ["Skive", "Vejle"]  # filter-only: by municipality
    assert reply.case == reply.cases[0]
    lines = reply.answer.splitlines()
    assert lines[0] == "**Alle cases om verdensmål 13 \\(2\\):**"
    assert lines[2:] == [
        "1. **Skive** — Regnbede  ", "   Kontakt: Casen nævner ingen kontaktperson.",
        "2. **Vejle** — Grønne \\*tage\\* \\[klik\\]\\(http\\://evil.example\\)  ",
        "   Kontakt: &lt;b&gt;Mads&lt;/b&gt; Holm, projektleder, [mh\\@vejle.dk](mailto:mh@vejle.dk)"]
    english = assistant.ask("Show me every case on SDG 15")
    assert [c.municipality for c in english.cases] == ["Aarhus"]
    assert english.answer.startswith("**All cases on goal 15 \\(1\\):**")
    none = assistant.ask("Vis alle cases om mål 5")  # no case names goal 5: the not-found answer
    assert (none.kind, none.found, none.cases, none.reason) == ("list", False, [], "not_found")
    assert none.answer.startswith("Jeg fandt ikke noget i casene")


# ---- the real model: bundled corpus (session index) ------------------------------------------------------
@pytest.fixture(scope="module")
def bundled(real_retriever):
    return Assistant(real_retriever)


@pytest.mark.integration
def test_single_and_not_found_answers_name_one_case_or_none(bundled):
    reply = bundled.ask("Hvilken kommune samarbejder med MAN Energy Solutions?")
    assert (reply.kind, reply.found, reply.case.municipality) == ("single", True, "Frederikshavn")
    assert reply.cases == [reply.case]
    missing = bundled.ask("Hvad koster et pas i Odense?")
    assert (missing.found, missing.cases) == (False, [])
    # a list question no case answers: the not-found answer, no cases
    for question in ("Hvilke kommuner arbejder med geotermi?",  # no Danish term of its topic in the corpus
                     "Findes der eksempler på kommuner, der har plantet ny skov for at binde CO2?"):  # (blind set)
        empty = bundled.ask(question)
        assert (empty.kind, empty.found, empty.cases, empty.reason) == ("list", False, [], "not_found"), question
        assert empty.answer.startswith("Jeg fandt ikke noget i casene")
    listed = bundled.ask("Which municipalities work with universities?")
    assert listed.kind == "list" and listed.found and listed.case == listed.cases[0]
    assert "Norddjurs" in {c.municipality for c in listed.cases}


# ---- the real model: the tuning corpus eval-tuning/ (tuning_index: built once per session, conftest.py) ----
@pytest.fixture(scope="module")
def tuning(tuning_index, e5_embedder) -> Assistant:
    return Assistant(Retriever.load(tuning_index, embedder=e5_embedder, rebuild=False))


@pytest.mark.integration
def test_filter_only_questions_list_every_case_of_the_filter(tuning):
    for question in ("Vis alle cases om mål 12", "Which municipalities have cases on SDG 12?"):
        reply = tuning.ask(question)
        assert (reply.kind, [c.municipality for c in reply.cases]) == ("list", GOAL_12), question
    capital = tuning.ask("Which municipalities in the Capital Region have cases?")
    assert [c.municipality for c in capital.cases] == CAPITAL
    assert capital.answer.startswith("**All cases in Hovedstaden \\(16\\):**")  # Rødovre has two cases
    assert all(c.municipality for c in capital.cases)  # theme intros are never listed


@pytest.mark.integration
def test_goal_and_region_arguments_filter_lists_and_ordinary_answers(tuning):
    funen = tuning.ask("Hvilke kommuner har cases?", region="Fyn")
    assert [c.municipality for c in funen.cases] == FUNEN
    assert funen.answer.startswith("**Alle cases på Fyn \\(6\\):**")
    both = tuning.ask("Vis alle cases", goal=12, region="Funen")
    assert [c.municipality for c in both.cases] == ["Assens", "Faaborg-Midtfyn", "Nordfyns"]
    energy = tuning.ask("Hvilken kommune laver biogas af tang?", goal=14)
    assert energy.kind == "single" and energy.case.municipality == "Solrød" and 14 in energy.case.goals
    other = tuning.ask("Hvilken kommune laver biogas af tang?", goal=4)  # Solrød's case names goals 7 and 14
    assert other.hits and all(4 in h.case.goals and h.case.municipality != "Solrød" for h in other.hits)
    assert energy.hits and all(14 in h.case.goals for h in energy.hits)
    food = tuning.ask("Which municipality works with food in schools?", region="Syddanmark")
    assert food.found and all(h.case.municipality in AREAS["Syddanmark"] for h in food.hits)
    # a region named in the question that holds no case on the topic: nothing is listed
    assert tuning.ask("Which municipalities in North Jutland work with solar energy?").cases == []
    # a goal or region named in passing after a sentence about the asker: every case of the filter
    chatty = tuning.ask("Vi er en flok pensionister, der mødes hver tirsdag. Hvilke kommuner har cases om mål 12?")
    assert (chatty.kind, [c.municipality for c in chatty.cases]) == ("list", GOAL_12)
    funen = tuning.ask("My husband and I may move house next year. Could you list the municipalities on Funen?")
    assert [c.municipality for c in funen.cases] == FUNEN
    for bad in ({"goal": 18}, {"goal": "12"}, {"region": "Atlantis"}):
        with pytest.raises(ValueError):
            tuning.ask("Hvilke kommuner arbejder med mad?", **bad)


@pytest.mark.integration
def test_tuning_list_questions_through_assistant_eval(tuning_index, capsys):
    """The 28 list questions of eval-tuning/list-questions.jsonl, through `assistant eval` (Assistant.ask →
    reply.cases). Measured when the bar was chosen: set precision 0.898, recall 0.910, 18 of 28 exact; the
    assertions leave a margin of about three wrong questions for another CPU or a ranking change."""
    code = evaluation.main([str(TUNING / "list-questions.jsonl"), "--index", str(tuning_index),
                            "--retriever", "hybrid", "--no-dialogues", "--json"])
    assert code == 0
    lists = json.loads(capsys.readouterr().out)["lists"]
    assert lists["n"] == 28
    assert lists["precision"] >= 0.80 and lists["recall"] >= 0.80
    assert lists["exact"] >= 14
    results = {r["id"]: r for r in lists["results"]}
    assert set(results["tl10"]["listed"]) == set(GOAL_12)       # "Vis alle cases om mål 12": exact
    assert results["tl21"]["listed"] == []                      # geothermal: no Danish term in the corpus


@pytest.mark.unit
def test_list_question_file_beside_the_cases_is_not_read_as_a_case(tmp_path):
    from assistant.corpus import load_corpus

    corpus = tmp_path / "corpus"
    shutil.copytree(TUNING / "corpus", corpus)
    shutil.copy(TUNING / "list-questions.jsonl", corpus)
    assert not any(c.file == "list-questions.jsonl" for c in load_corpus(corpus))
