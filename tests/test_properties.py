"""Property-based tests: ``Retriever.search``, ``Assistant.ask`` and the corpus readers under arbitrary input.

The contract (README, "Python API" / "Bad input"): bad input raises ``ValueError`` (or a subclass) with a
message that says what is wrong; no other exception ever escapes. Whatever is accepted gives well-formed
results: at most k hits (capped at 100) ranked 1..n, a municipality filter is obeyed by every hit and by the
case in focus, ``found`` is a bool and the answer a non-empty string.

Unit tests run over the bundled corpus with the FakeEmbedder (many examples); integration tests with the
real default model (few examples). Every run draws the same examples (``derandomize``, no database).
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import FakeEmbedder
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from assistant import Assistant, Retriever
from assistant.corpus import load_corpus, parse_file
from assistant.records import Case, Contact, Section

CORPUS_MUNICIPALITIES = ("Aarhus", "Frederikshavn", "Gladsaxe", "Herning", "Norddjurs")
MAX_K = 100
MAX_CHARS = 2000
DEFAULT_K = 5

_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
           HealthCheck.function_scoped_fixture]
# no "explain" phase: it reruns a failing example hundreds of times (slow with long strings)
_PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)
UNIT = settings(max_examples=200, deadline=None, derandomize=True, database=None, suppress_health_check=_HEALTH,
                phases=_PHASES)
READERS = settings(UNIT, max_examples=250)
REAL = settings(UNIT, max_examples=12)

# ---- input strategies -------------------------------------------------------------------------------------

# questions that are plainly valid: the API must answer them (found or not) whatever else is passed
REALISTIC = (
    "Hvilken kommune samarbejder med MAN Energy Solutions?",
    "Hvad gør Herning?",
    "Hvordan arbejder Gladsaxe med verdensmål 17?",
    "Hvem kan jeg kontakte om insekthoteller?",
    "Hvilket bibliotek lavede en grøn gavebod for børn i julen?",
    "Hvad er Verdensrummet i Aarhus?",
    "Norddjurs og Halmstad",
    "Og Gladsaxe?",
    "Hvem står bag?",
    "Hvem kan jeg kontakte om det?",
    "Which municipality partners with a Swedish town across the Kattegat?",
    "Who do I contact about the insect hotels?",
    "What does Norddjurs do?",
    "Do they also work with universities?",
    "Who should I email?",
)
MARKUP = (
    "\ud800", "Hvad gør \udfff Herning?", "\x00\x01\x1b[31mHerning", "<script>alert(1)</script>",
    "<b>Herning</b> og <i>bier</i>", "![x](http://127.0.0.1:9/p.png)", "[klik](javascript:alert(1))",
    "**fed** _kursiv_ `kode` ~~streg~~", "# Overskrift\n\n- punkt", "&lt;script&gt;", "&#0;&#xd800;",
    "\u202e\u200bHerning\ufeff", "<!-- -->", "<>", "<" * 600 + "Herning", "Kontakt: a@b.dk", "\r\n\t\x0b\x0c",
    "", " ", "\n\u2028\u3000", "<br><br>",
)


def _alphabet() -> st.SearchStrategy[str]:
    return st.one_of(st.characters(), st.characters(categories=["Cs"]),  # lone surrogates
                     st.characters(categories=["Cc", "Cf", "Zl", "Zp"]), st.sampled_from("<>&[]()!*_#`\\\"'/@:"))


random_text = st.text(_alphabet(), max_size=80)
long_text = st.text(_alphabet(), min_size=MAX_CHARS - 3, max_size=MAX_CHARS + 200)
repeated = st.builds(lambda q, n: " ".join([q] * n), st.sampled_from(REALISTIC), st.integers(1, 70))
good_query = st.one_of(st.sampled_from(REALISTIC), repeated.filter(lambda q: len(q) <= MAX_CHARS))
other_query = st.one_of(
    random_text, long_text, st.sampled_from(MARKUP), repeated,
    st.builds(lambda a, b, c: a + b + c, st.sampled_from(REALISTIC) | random_text,
              st.sampled_from(MARKUP) | random_text, random_text),
    st.none(), st.integers(), st.binary(max_size=12), st.lists(st.sampled_from(REALISTIC), max_size=2))
# (query, known to be a valid question)
queries = st.one_of(good_query.map(lambda q: (q, True)), other_query.map(lambda q: (q, False)))

ks = st.one_of(
    st.integers(-3, 130), st.integers(10**6, 10**30),
    st.sampled_from([np.int64(3), np.int32(1), np.int8(-1), np.int64(0), np.uint8(200), np.int16(100),
                     np.int64(101), np.uint64(2**64 - 1)]),
    st.booleans(), st.floats(), st.none(), st.text(max_size=3),
    st.sampled_from(["3", "0", b"3", [3], (3,), 3.0, 3 + 0j, np.float64(3.0), np.array(3), np.array([3])]))


def _mixed_case(name: str, mask: int) -> str:
    return "".join(c.upper() if (mask >> i) & 1 else c.lower() for i, c in enumerate(name))


names = st.sampled_from(CORPUS_MUNICIPALITIES)
municipalities = st.one_of(
    st.none(), st.sampled_from(["", "  "]), names, st.builds(_mixed_case, names, st.integers(0, 2**16)),
    names.map(lambda n: f"{n} Kommune"), names.map(lambda n: f"{n.upper()} KOMMUNE"),
    names.map(lambda n: f"  {n.lower()} kommune "),
    st.sampled_from(["Vejle", "Copenhagen", "Århus", "Atlantis", "Narnia Kommune", "Herning\x00", "<b>Herning</b>"]),
    st.integers(), st.text(_alphabet(), max_size=20), st.lists(names, max_size=2))

gradio_item = st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant"]),
                                     "content": st.sampled_from(REALISTIC)})
good_item = st.one_of(st.sampled_from(REALISTIC), gradio_item)
over_long = st.builds(lambda q, n: " ".join([q] * n), st.sampled_from(REALISTIC), st.integers(1, 40)).map(
    lambda q: (q + " ") * (MAX_CHARS // max(1, len(q)) + 1))
odd_item = st.one_of(
    st.binary(max_size=10), st.integers(), st.none(), st.floats(), st.lists(st.sampled_from(REALISTIC), max_size=2),
    st.fixed_dictionaries({"role": st.just("user")}), st.dictionaries(st.text(max_size=5), st.text(max_size=5), max_size=2),
    st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", 3, None]),
                           "content": st.one_of(st.none(), st.integers(), random_text, over_long,
                                                st.lists(st.text(max_size=5), max_size=2))}),
    random_text, long_text, st.sampled_from(MARKUP))
# (history, known to be well-formed)
histories = st.one_of(
    st.just((None, True)),
    st.lists(good_item, max_size=5).map(lambda h: (h, True)),
    st.lists(good_item, max_size=5).map(lambda h: (tuple(h), True)),
    st.lists(st.one_of(good_item, odd_item, over_long), max_size=5).map(lambda h: (h, False)),
    st.one_of(st.text(max_size=20), st.integers(), st.binary(max_size=8), gradio_item,
              st.sets(st.sampled_from(REALISTIC), max_size=2), st.just(np.array(["Hvad gør Herning?"])),
              st.just(iter(["Hvad gør Herning?"]))).map(lambda h: (h, False)),
)


# ---- what each input must give -------------------------------------------------------------------------

def _int_like(k: object) -> bool:
    return isinstance(k, (int, np.integer)) and not isinstance(k, bool)


def k_must_work(k: object) -> bool:
    return _int_like(k) and k >= 1


def k_must_fail(k: object, default_allowed: bool) -> bool:
    """k that can mean no number of results: zero or negative, not a number, not a whole number."""
    if k is None:
        return not default_allowed
    if _int_like(k) or isinstance(k, bool):
        return not k or k <= 0
    if isinstance(k, (float, np.floating)):
        return not np.isfinite(k) or k <= 0 or not float(k).is_integer()
    if isinstance(k, np.ndarray):
        return k.ndim != 0 or k.dtype.kind not in "iu" or int(k) <= 0
    return True  # str, bytes, list, tuple, complex ...


def k_cap(k: object) -> int:
    return DEFAULT_K if k is None else min(int(k), MAX_K)


def filter_of(municipality: object) -> str | None:
    """The corpus municipality a filter means, None for no filter, "?" for anything else."""
    if municipality is None or (isinstance(municipality, str) and not municipality.strip()):
        return None
    if isinstance(municipality, str):
        bare = re.sub(r"\s+kommune$", "", municipality.strip(), flags=re.IGNORECASE)
        for name in CORPUS_MUNICIPALITIES:
            if bare.lower() == name.lower():
                return name
    return "?"


def municipality_must_fail(municipality: object) -> bool:
    return (municipality is not None and not isinstance(municipality, str)) or municipality in (
        "Atlantis", "Narnia Kommune")


def query_must_fail(query: object) -> bool:
    return not isinstance(query, str) or len(query) > MAX_CHARS or not query.strip()


def history_must_fail(history: object) -> bool:
    if history is None:
        return False
    if not isinstance(history, (list, tuple)):
        return True
    return any(isinstance(item, str) and len(item) > MAX_CHARS for item in history)


def check_value_error(exc: ValueError) -> None:
    assert str(exc).strip(), f"{type(exc).__name__} without a message"


def check_hits(hits: object, cap: int, municipality: object) -> None:
    assert isinstance(hits, list)
    assert len(hits) <= cap, f"{len(hits)} hits for k capped at {cap}"
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    expected = filter_of(municipality)
    if expected == "?":  # some other name that was accepted (an alias, a municipality with no case)
        owners = {h.case.municipality for h in hits}
        assert len(owners) <= 1 and None not in owners, f"filter {municipality!r} kept {owners}"
    elif expected is not None:
        assert all(h.case.municipality == expected for h in hits), \
            f"filter {municipality!r}: hits from {[h.case.municipality for h in hits]}"


def check_reply(reply, cap: int, municipality: object) -> None:
    check_hits(reply.hits, cap, municipality)
    assert isinstance(reply.found, bool)
    assert isinstance(reply.answer, str) and reply.answer.strip()
    assert "<script" not in reply.answer.lower()
    if reply.found:
        assert reply.case is not None, "found, but no case in focus"
    expected = filter_of(municipality)
    if reply.case is not None and expected not in (None, "?"):
        assert reply.case.municipality == expected, \
            f"filter {municipality!r}, but the answer is about {reply.case.municipality}"


def run_search(retriever: Retriever, q, k, municipality) -> None:
    query, good = q
    must_work = good and k_must_work(k) and filter_of(municipality) not in ("?",)
    must_fail = query_must_fail(query) or k_must_fail(k, default_allowed=False) or municipality_must_fail(municipality)
    try:
        hits = retriever.search(query, k=k, municipality=municipality)
    except ValueError as exc:
        check_value_error(exc)
        assert not must_work, f"a valid search was refused: {exc}"
        return
    assert not must_fail, "invalid input was accepted"
    check_hits(hits, k_cap(k), municipality)


def run_ask(assistant: Assistant, q, h, k, municipality) -> None:
    (message, good), (history, good_history) = q, h
    must_work = good and good_history and (k is None or k_must_work(k)) and filter_of(municipality) != "?"
    must_fail = (query_must_fail(message) or history_must_fail(history) or k_must_fail(k, default_allowed=True)
                 or municipality_must_fail(municipality))
    try:
        reply = assistant.ask(message, history=history, k=k, municipality=municipality)
    except ValueError as exc:
        check_value_error(exc)
        assert not must_work, f"a valid question was refused: {exc}"
        return
    assert not must_fail, "invalid input was accepted"
    check_reply(reply, k_cap(k), municipality)


# ---- fixtures ------------------------------------------------------------------------------------------

@pytest.fixture
def fake_retriever(corpus_copy, tmp_path) -> Retriever:
    """The bundled corpus indexed with the FakeEmbedder (read-only for the examples drawn)."""
    return Retriever.build(corpus_copy, tmp_path / "index", embedder=FakeEmbedder())


@pytest.fixture
def fake_assistant(fake_retriever) -> Assistant:
    return Assistant(fake_retriever)


@pytest.fixture(scope="module")
def real_assistant(real_retriever) -> Assistant:
    return Assistant(real_retriever)


# ---- search / ask: only ValueError, well-formed results -------------------------------------------------

valid_ks = st.one_of(st.integers(1, 150), st.integers(10**6, 10**30),
                     st.sampled_from([np.int64(3), np.int32(1), np.uint8(200), np.int16(100), np.int64(101)]))
invalid_ks = ks.filter(lambda k: k_must_fail(k, default_allowed=True))
valid_filters = st.one_of(st.none(), st.sampled_from(["", "  "]), names, st.builds(_mixed_case, names, st.integers(0, 2**16)),
                          names.map(lambda n: f"{n} Kommune"), names.map(lambda n: f"  {n.lower()} kommune "))
good_histories = st.one_of(st.none(), st.lists(good_item, max_size=5), st.lists(good_item, max_size=5).map(tuple))
bad_histories = st.one_of(
    histories.filter(lambda h: history_must_fail(h[0])).map(lambda h: h[0]),
    st.builds(lambda before, long, after: before + [long] + after, st.lists(good_item, max_size=2), over_long,
              st.lists(good_item, max_size=2)))


@pytest.mark.unit
@UNIT
@given(q=queries, k=ks, municipality=municipalities)
def test_search_only_raises_value_error_and_obeys_k_and_filter(fake_retriever, q, k, municipality):
    run_search(fake_retriever, q, k, municipality)


@pytest.mark.unit
@UNIT
@given(q=good_query, k=valid_ks, municipality=valid_filters)
def test_search_answers_every_valid_question_k_and_filter(fake_retriever, q, k, municipality):
    run_search(fake_retriever, (q, True), k, municipality)


@pytest.mark.unit
@UNIT
@given(q=queries, h=histories, k=ks, municipality=municipalities)
def test_ask_only_raises_value_error_and_obeys_k_and_filter(fake_assistant, q, h, k, municipality):
    run_ask(fake_assistant, q, h, k, municipality)


@pytest.mark.unit
@UNIT
@given(q=good_query, h=good_histories, k=st.none() | valid_ks, municipality=valid_filters)
@example(q=" ".join(["Do they also work with universities?"] * 52), k=None, municipality=None,  # found once
         h=["Hvordan arbejder Gladsaxe med verdensmål 17?", "Do they also work with universities?"])
def test_ask_answers_every_valid_question_history_k_and_filter(fake_assistant, q, h, k, municipality):
    """Valid questions and histories (Gradio dicts included; they may name other municipalities)."""
    run_ask(fake_assistant, (q, True), (h, True), k, municipality)


@pytest.mark.unit
@UNIT
@given(q=good_query, h=histories, municipality=valid_filters)
def test_ask_with_any_history_only_raises_value_error(fake_assistant, q, h, municipality):
    run_ask(fake_assistant, (q, True), h, None, municipality)


@pytest.mark.unit
@UNIT
@given(q=good_query, bad=st.one_of(invalid_ks.map(lambda k: ("k", k)), bad_histories.map(lambda h: ("history", h))))
def test_ask_refuses_a_bad_k_or_history(fake_assistant, q, bad):
    what, value = bad
    arguments = {"k": None, "history": ["Hvad gør Herning?"], what: value}
    with pytest.raises(ValueError) as exc:
        fake_assistant.ask(q, **arguments)
    check_value_error(exc.value)


@pytest.mark.integration
@REAL
@given(q=queries, k=ks, municipality=municipalities)
def test_search_with_the_real_model(real_retriever, q, k, municipality):
    run_search(real_retriever, q, k, municipality)


@pytest.mark.integration
@REAL
@given(q=queries, h=histories.filter(lambda h: not isinstance(h[0], (list, tuple)) or len(h[0]) <= 3),
       k=ks, municipality=municipalities)
def test_ask_with_the_real_model(real_assistant, q, h, k, municipality):
    run_ask(real_assistant, q, h, k, municipality)


@pytest.mark.integration
@REAL
@given(q=good_query, h=st.lists(good_item, max_size=3), k=st.none() | valid_ks, municipality=valid_filters)
def test_ask_with_the_real_model_answers_every_valid_question(real_assistant, q, h, k, municipality):
    run_ask(real_assistant, (q, True), (h, True), k, municipality)


# ---- specific inputs the properties above must cover -------------------------------------------------------

@pytest.mark.unit
@pytest.mark.parametrize("k", [np.int64(3), np.int32(2), np.int16(1), np.uint8(4)])
def test_numpy_integer_k_is_accepted(fake_retriever, fake_assistant, k):
    hits = fake_retriever.search("insekthoteller og biodiversitet", k=k)
    assert 1 <= len(hits) <= int(k)
    reply = fake_assistant.ask("Hvilken kommune samarbejder med MAN Energy Solutions?", k=k)
    assert len(reply.hits) <= int(k)


@pytest.mark.unit
@pytest.mark.parametrize("municipality", ["herning", "HERNING", "Herning Kommune", "herning kommune", " Herning "])
def test_a_filter_in_any_case_or_with_kommune_is_accepted(fake_retriever, fake_assistant, municipality):
    hits = fake_retriever.search("verdensmål", k=10, municipality=municipality)
    assert hits and all(h.case.municipality == "Herning" for h in hits)
    reply = fake_assistant.ask("verdensmål", municipality=municipality)
    check_reply(reply, DEFAULT_K, municipality)


@pytest.mark.unit
def test_gradio_history_is_accepted_like_plain_messages(fake_assistant):
    first = "Hvilken kommune samarbejder med MAN Energy Solutions?"
    plain = fake_assistant.ask("Hvem kan jeg kontakte om det?", history=[first])
    gradio = fake_assistant.ask("Hvem kan jeg kontakte om det?", history=[{"role": "user", "content": first}])
    assert (gradio.answer, gradio.found, gradio.case) == (plain.answer, plain.found, plain.case)
    mixed = fake_assistant.ask("Hvem kan jeg kontakte om det?",
                               history=[{"role": "user", "content": first},
                                        {"role": "assistant", "content": fake_assistant.ask(first).answer}])
    check_reply(mixed, DEFAULT_K, None)


@pytest.mark.integration
def test_gradio_history_keeps_the_case_in_focus_with_the_real_model(real_assistant):
    first = "Hvilken kommune samarbejder med MAN Energy Solutions?"
    plain = real_assistant.ask("Hvem kan jeg kontakte om det?", history=[first])
    assert plain.found and plain.case.municipality == "Frederikshavn"
    gradio = real_assistant.ask("Hvem kan jeg kontakte om det?",
                                history=[{"role": "user", "content": first},
                                         {"role": "assistant", "content": real_assistant.ask(first).answer}])
    assert gradio.found and gradio.case == plain.case


@pytest.mark.unit
@pytest.mark.parametrize("history", [
    ["x" * (MAX_CHARS + 1)],
    ["Hvad gør Herning?", "Hvad gør Herning? " * 120],
    ("Ø" * (MAX_CHARS + 1),),
])
def test_an_over_long_history_message_is_refused(fake_assistant, history):
    with pytest.raises(ValueError) as exc:
        fake_assistant.ask("Hvem kan jeg kontakte om det?", history=history)
    check_value_error(exc.value)


@pytest.mark.unit
def test_a_long_follow_up_within_the_limit_is_answered(fake_retriever):
    """The limit is on what the user sends: a follow-up joined to the earlier topic may be longer."""
    assistant = Assistant(fake_retriever, min_dense={"da": 0.0, "en": 0.0})
    message = " ".join(["Hvordan har de tiltrukket virksomheder?"] * 50)
    assert len(message) <= MAX_CHARS
    reply = assistant.ask(message, history=["Hvilken kommune kalder mål 17 et metodeverdensmål?"])
    check_reply(reply, DEFAULT_K, None)


CONTACT_WITHOUT_TOPIC = ["Hvem kan jeg kontakte om det?", "Who do I contact about it?", "Who should I email?"]


@pytest.mark.unit
@pytest.mark.parametrize("message", CONTACT_WITHOUT_TOPIC)
def test_a_contact_question_without_a_topic_is_not_found(fake_retriever, message):
    """Not a matter of scores: with every threshold at zero it still names no case to answer about."""
    for assistant in (Assistant(fake_retriever), Assistant(fake_retriever, min_dense={"da": 0.0, "en": 0.0})):
        reply = assistant.ask(message)
        assert reply.found is False and reply.case is None, reply.answer


@pytest.mark.integration
@pytest.mark.parametrize("message", CONTACT_WITHOUT_TOPIC)
def test_a_contact_question_without_a_topic_is_not_found_with_the_real_model(real_assistant, message):
    reply = real_assistant.ask(message)
    assert reply.found is False and reply.case is None, reply.answer


def _assert_only_gladsaxe(reply) -> None:
    owners = [h.case.municipality for h in reply.hits]
    assert "Herning" not in owners and all(m == "Gladsaxe" for m in owners), owners
    assert reply.case is None or reply.case.municipality == "Gladsaxe", reply.case
    assert isinstance(reply.found, bool) and reply.answer.strip()


@pytest.mark.unit
@pytest.mark.parametrize("min_dense", [None, {"da": 0.0, "en": 0.0}])
def test_a_municipality_named_in_the_question_does_not_break_the_filter(fake_retriever, min_dense):
    assistant = Assistant(fake_retriever, min_dense=min_dense)
    _assert_only_gladsaxe(assistant.ask("Hvad gør Herning?", municipality="Gladsaxe"))
    _assert_only_gladsaxe(assistant.ask("Hvem kan jeg kontakte om det?", history=["Hvad gør Herning?"],
                                        municipality="Gladsaxe"))


@pytest.mark.integration
def test_a_municipality_named_in_the_question_does_not_break_the_filter_with_the_real_model(real_assistant):
    _assert_only_gladsaxe(real_assistant.ask("Hvad gør Herning?", municipality="Gladsaxe"))
    _assert_only_gladsaxe(real_assistant.ask("Hvem kan jeg kontakte om det?", history=["Hvad gør Herning?"],
                                             municipality="Gladsaxe"))


# ---- found while testing: a follow-up about a municipality that has no case ----------------------------------

NO_CASE_FOLLOW_UPS = ["Og Odense?", "Hvem kan jeg kontakte i Odense?", "And what about Vejle?"]
MAN = "Hvilken kommune samarbejder med MAN Energy Solutions?"


def _assert_not_answered_with_another_case(reply) -> None:
    """The module docstring: a question about a municipality that has no case is not found."""
    assert reply.found is False and reply.case is None, reply.answer


@pytest.mark.unit
@pytest.mark.parametrize("message", NO_CASE_FOLLOW_UPS)
def test_a_follow_up_about_a_municipality_without_a_case_is_not_found(fake_retriever, message):
    assistant = Assistant(fake_retriever, min_dense={"da": 0.0, "en": 0.0})
    assert assistant.ask(MAN).found  # the history has a case in focus
    _assert_not_answered_with_another_case(assistant.ask(message, history=[MAN]))


@pytest.mark.integration
@pytest.mark.parametrize("message", NO_CASE_FOLLOW_UPS)
def test_a_follow_up_about_a_municipality_without_a_case_is_not_found_with_the_real_model(real_assistant, message):
    assert real_assistant.ask(MAN).found
    _assert_not_answered_with_another_case(real_assistant.ask(message, history=[MAN]))


# ---- corpus readers -------------------------------------------------------------------------------------

SUFFIXES = (".txt", ".md", ".jsonl", ".html")
BAD_EMAILS = ("javascript:alert(1)", "a b@c.dk", "x@y.dk\nz", "[x](y)@z.dk", "", "@", "a@b")

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                         st.text(max_size=30))
json_values = st.recursive(json_scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c,
                                                                                           max_size=3), max_leaves=8)
field_values = st.one_of(json_values, st.sampled_from(REALISTIC), names)
contact_values = st.one_of(json_values, st.fixed_dictionaries({}, optional={
    "name": field_values, "role": field_values, "phone": field_values,
    "email": st.one_of(json_values, st.sampled_from(BAD_EMAILS + ("ok@vejle.dk",)), st.lists(st.just("a@b.dk")))}))
case_fields = st.fixed_dictionaries({}, optional={
    "title": field_values, "text": field_values, "municipality": field_values, "contact": contact_values,
    "id": field_values, "source": field_values, "theme": field_values})

THEME_LINES = ("Vil du vide mere?", "Kontakt chefkonsulent Line Vind på linevi@gladsaxe.dk", "Indhold",
               "I Herning Kommune arbejder man med bier.", "Gladsaxe Kommune", "Plan 2020 (PDF)",
               "  Indrykket overskrift", "Kontakt: Tlf. 12 34 56 78", "## Overskrift", "---", "title: x")
HTML_PIECES = ("<p>", "</p>", "<h1>", "</h1>", "<h2>", "<script>", "</script>", "<a href='javascript:x'>", "</a>",
               "<br>", "&amp;", "&#xd800;", "&#0;", "<div", "<style>", "<!--", "-->", "<![CDATA[", "]]>",
               "Herning Kommune", "Kontakt Line Vind på linevi@gladsaxe.dk")
YAML_SNIPPETS = ("!!python/object/apply:os.system ['true']", "a: &a [*a]\ntitle: *a", "title: !!binary aGVq",
                 "title: 2024-01-01\nmunicipality: 2024-01-01", "municipality: [Herning]", "title: x\ncontact: [a]",
                 "title: {a: 1}", "title: ? x", "title: x\nmunicipality: 5",
                 "title: x\ncontact: {name: 5, email: [a@b.dk]}", "title: x\nmunicipality: true", "title: x\n---\nmore: y", "- a\n- b", "title", "%YAML 9.9")

blocks = st.lists(st.one_of(st.sampled_from(THEME_LINES), random_text), max_size=10)
markdown = st.one_of(
    st.builds(lambda meta, body: "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n" + "\n\n".join(body),
              case_fields, blocks),
    st.builds(lambda meta, body: "---\n" + meta + "\n---\n" + "\n\n".join(body),
              st.sampled_from(YAML_SNIPPETS) | st.text(max_size=60), blocks))
jsonl = st.lists(st.one_of(case_fields.map(lambda r: json.dumps(r, ensure_ascii=False)),
                           json_values.map(json.dumps), random_text), max_size=4).map("\n".join)
html = st.lists(st.one_of(st.sampled_from(HTML_PIECES), random_text), max_size=20).map("".join)
theme = st.builds(lambda parts, indent: "\n\n".join(("  " + p if indent else p) for p in parts), blocks, st.booleans())
text_content = st.one_of(markdown, jsonl, html, theme, random_text, long_text)
contents = st.one_of(
    text_content.map(lambda t: t.encode("utf-8", "surrogatepass")),  # lone surrogates make invalid UTF-8
    st.binary(max_size=200),
    text_content.map(lambda t: b"\xef\xbb\xbf" + t.encode("utf-8", "surrogatepass")))


def check_cases(cases: object) -> None:
    assert isinstance(cases, list)
    for case in cases:
        assert isinstance(case, Case)
        assert isinstance(case.id, str) and case.id
        assert isinstance(case.title, str) and case.title.strip()
        assert case.municipality is None or isinstance(case.municipality, str)
        assert isinstance(case.sections, tuple) and all(isinstance(s, Section) for s in case.sections)
        assert case.contact is None or isinstance(case.contact, Contact)


@pytest.mark.unit
@READERS
@given(suffix=st.sampled_from(SUFFIXES), content=contents)
def test_parse_file_only_raises_value_error(suffix, content):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"case{suffix}"
        path.write_bytes(content)
        try:
            cases = parse_file(path, path.name)
        except ValueError as exc:
            check_value_error(exc)
            return
        check_cases(cases)


@pytest.mark.unit
@pytest.mark.parametrize("front_matter", YAML_SNIPPETS)
def test_odd_front_matter_only_raises_value_error(tmp_path, front_matter):
    path = tmp_path / "case.md"
    path.write_text(f"---\n{front_matter}\n---\nI Vejle Kommune gror der blomster.\n", encoding="utf-8")
    try:
        cases = parse_file(path, path.name)
    except ValueError as exc:
        check_value_error(exc)
        return
    check_cases(cases)


@pytest.mark.unit
@READERS
@given(fields=case_fields, fmt=st.sampled_from(["md", "jsonl"]))
def test_case_fields_of_any_type_are_text_or_a_value_error(fields, fmt):
    """Front matter / JSON values of any type: refused with a ValueError, or read into text fields."""
    with tempfile.TemporaryDirectory() as folder:
        if fmt == "md":
            text = "---\n" + yaml.safe_dump(fields, allow_unicode=True) + "---\nI Vejle Kommune gror der blomster.\n"
        else:
            text = json.dumps(fields, ensure_ascii=False) + "\n"
        path = Path(folder) / f"case.{fmt}"
        path.write_text(text, encoding="utf-8")
        try:
            cases = parse_file(path, path.name)
        except ValueError as exc:
            check_value_error(exc)
            return
        check_cases(cases)
        for case in cases:
            assert case.theme is None or isinstance(case.theme, str)
            assert isinstance(case.source, str)
            if case.contact is not None:
                assert isinstance(case.contact.name, str) and case.contact.name.strip()
                for value in (case.contact.role, case.contact.email, case.contact.phone):
                    assert value is None or isinstance(value, str), case.contact


@pytest.mark.unit
@READERS
@given(files=st.lists(st.tuples(st.sampled_from(SUFFIXES), contents), min_size=1, max_size=3),
       with_good_case=st.booleans())
def test_load_corpus_only_raises_value_error(files, with_good_case):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for i, (suffix, content) in enumerate(files):
            (root / f"f{i}{suffix}").write_bytes(content)
        if with_good_case:
            (root / "good.md").write_text("---\ntitle: Blomster i vejkanten\nmunicipality: Vejle\n---\n"
                                          "Vejle Kommune sår blomster langs vejene.\n", encoding="utf-8")
        try:
            cases = load_corpus(root)
        except ValueError as exc:
            check_value_error(exc)
            return
        check_cases(cases)
        assert cases and len({c.id for c in cases}) == len(cases)
