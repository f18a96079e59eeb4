"""The browser chat's server side: source cards (escaping, highlighting, mailto), settings, the live app."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assistant import webapp
from assistant.conversation import Assistant
from assistant.records import Case, Contact, Hit, Passage, Section
from assistant.webapp import answer, mailto, parse_args, parse_auth, render_cards, user_markdown

ROOT = Path(__file__).resolve().parents[1]
BENTE = Contact("Bente Bundgård Jokumsen", "chefkonsulent", "bejo@frederikshavn.dk")
EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)">'


def make_hit(text="Kommunen arbejder med biodiversitet og insekthoteller.", *, rank=1, score=0.8765,
             title="Insekthoteller hos MAN", heading="Vil du vide mere?", municipality="Frederikshavn",
             contact=BENTE,
             source="partnerskaber-for-handling.txt") -> Hit:
    case = Case(id="c1", title=title, municipality=municipality, theme="17", contact=contact, source=source,
                sections=(Section(heading, (text,)),))
    passage = Passage(id="p1", case_id="c1", text=text, heading=heading, position=0)
    return Hit(rank=rank, score=score, passage=passage, case=case)


# ---- source cards ------------------------------------------------------------------------------
@pytest.mark.unit
def test_card_shows_municipality_title_section_passage_score_contact_and_source():
    html = render_cards([make_hit()], "Hvem arbejder med biodiversitet?")
    assert "Frederikshavn" in html and "Insekthoteller hos MAN" in html
    assert "Afsnit: Vil du vide mere?" in html
    assert "<mark>biodiversitet</mark>" in html
    assert "Score:</b> 0.88" in html
    assert 'Bente Bundgård Jokumsen, chefkonsulent, <a href="mailto:bejo@frederikshavn.dk">bejo@frederikshavn.dk</a>' in html
    assert "partnerskaber-for-handling.txt › Vil du vide mere?" in html
    assert "Kilder" in html


@pytest.mark.unit
def test_every_inserted_string_is_escaped():
    hit = make_hit(text=f"Tekst {EVIL} om biodiversitet", title=f"Titel {EVIL}", heading=f"Afsnit {EVIL}",
                   municipality=f"By {EVIL}", source=f"fil {EVIL}",
                   contact=Contact(f"Navn {EVIL}", f"rolle {EVIL}", 'a"b<c>@x.dk', f"tlf {EVIL}"))
    html = render_cards([hit], f"biodiversitet {EVIL}")
    assert "<script" not in html and "<img" not in html and "onerror=\"" not in html
    # title, section, municipality, contact name/role/phone, source file and heading (+ the passage, words marked)
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 8
    assert "&lt;<mark>script</mark>&gt;<mark>alert</mark>(1)" in html
    # an address that is not plain (here from a hand-edited index) is shown escaped, never as a link
    assert "mailto:" not in html and "a&quot;b&lt;c&gt;@x.dk" in html
    # only our own tags remain
    assert set(re.findall(r"</?([a-z]+)", html)) <= {"div", "p", "article", "span", "strong", "blockquote", "mark", "b",
                                                      "a"}


@pytest.mark.unit
def test_highlighting_happens_after_escaping_and_never_inside_entities():
    html = render_cards([make_hit(text="<b>Biodiversitet</b> & verdensmålsarbejdet, lt gt amp")], "lt amp biodiversiteten verdensmål")
    assert "&lt;b&gt;<mark>Biodiversitet</mark>&lt;/b&gt; &amp;" in html  # entities intact, stem match, case kept
    assert "<mark>verdensmålsarbejdet</mark>" in html  # a query word starting a compound
    assert ", <mark>lt</mark> gt <mark>amp</mark></blockquote>" in html


@pytest.mark.unit
def test_stopwords_and_question_words_are_not_highlighted():
    html = render_cards([make_hit(text="Hvem er kontaktperson for kommunen og for projektet?")], "Hvem er kontaktperson for det?")
    assert "<mark>kontaktperson</mark>" in html
    assert "<mark>Hvem</mark>" not in html and "<mark>for</mark>" not in html and "<mark>er</mark>" not in html


@pytest.mark.unit
def test_no_contact_and_maybe_related_are_labelled_in_the_reply_language():
    hit = make_hit(contact=None)
    assert "Casen nævner ingen kontaktperson" in render_cards([hit], "x", "da")
    assert "No contact person named" in render_cards([hit], "x", "en")
    assert "mailto:" not in render_cards([hit], "x", "da")
    assert "Måske relateret" in render_cards([hit], "x", "da", found=False)
    assert "Maybe related" in render_cards([hit], "x", "en", found=False)
    assert "Ingen passager fundet." in render_cards([], "x", "da")


@pytest.mark.unit
def test_only_web_sources_become_links():
    assert '<a href="https://example.org/a?b=1&amp;c=2" target="_blank"' in render_cards(
        [make_hit(source="https://example.org/a?b=1&c=2")], "x")
    assert "<a href=\"javascript" not in render_cards([make_hit(source="javascript:alert(1)")], "x")


@pytest.mark.unit
def test_mailto_is_percent_encoded_and_attribute_safe():
    assert mailto("bejo@frederikshavn.dk") == "mailto:bejo@frederikshavn.dk"
    assert mailto('x"@y.dk?subject=<b>') == "mailto:x%22@y.dk%3Fsubject%3D%3Cb%3E"


@pytest.mark.unit
def test_user_message_displays_literally():
    shown = user_markdown('<img src=x onerror="window.__xss=1"> **fed** [link](javascript:x)')
    assert "<" not in shown and "&lt;img src=x onerror=\"window.\\_\\_xss=1\"&gt;" in shown
    assert "\\*\\*fed\\*\\*" in shown and "\\[link\\]" in shown


# ---- settings ------------------------------------------------------------------------------------
@pytest.mark.unit
def test_login_comes_from_user_colon_password():
    assert parse_auth(None) is None and parse_auth("") is None
    assert parse_auth("anna:s3cret") == ("anna", "s3cret")
    assert parse_auth("anna:with:colons") == ("anna", "with:colons")
    for bad in ("anna", "anna:", ":s3cret"):
        with pytest.raises(ValueError, match="user:password"):
            parse_auth(bad)


@pytest.mark.unit
def test_malformed_login_stops_before_loading_anything(monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_AUTH", "no-colon")
    assert webapp.main(["--index", "/nonexistent"]) == 2
    assert "ASSISTANT_AUTH must be 'user:password'" in capsys.readouterr().err


@pytest.mark.unit
def test_host_and_port_default_to_localhost_and_follow_gradio_variables_and_flags(monkeypatch):
    monkeypatch.delenv("GRADIO_SERVER_NAME", raising=False)
    monkeypatch.delenv("GRADIO_SERVER_PORT", raising=False)
    args = parse_args([])
    assert (args.host, args.port) == ("127.0.0.1", 7860)
    monkeypatch.setenv("GRADIO_SERVER_NAME", "0.0.0.0")
    monkeypatch.setenv("GRADIO_SERVER_PORT", "8001")
    assert (parse_args([]).host, parse_args([]).port) == ("0.0.0.0", 8001)
    assert (parse_args(["--host", "::1", "--port", "9000"]).host, parse_args(["--port", "9000"]).port) == ("::1", 9000)
    with pytest.raises(SystemExit):
        parse_args(["--port", "70000"])
    monkeypatch.setenv("GRADIO_SERVER_PORT", "abc")
    with pytest.raises(SystemExit):
        parse_args([])


@pytest.mark.unit
def test_index_build_progress_is_printed_with_done_and_total(capsys):
    progress = webapp._build_progress()
    for done in (0, 37, 40, 101, 124):
        progress(done, 124)
    err = capsys.readouterr().err
    assert err.count("Building the index") == 1 and "124 texts to embed" in err
    assert [line.split()[1] for line in err.splitlines()[1:]] == ["37/124", "101/124", "124/124"]


@pytest.mark.unit
def test_serve_never_makes_a_share_link():
    class Demo:
        def launch(self, **kwargs):
            self.kwargs = kwargs
            return None, "http://127.0.0.1:1234/", None

    demo = Demo()
    assert webapp.serve(demo, "127.0.0.1", 1234, ("a", "b")) == "http://127.0.0.1:1234/"
    assert demo.kwargs["share"] is False and demo.kwargs["server_name"] == "127.0.0.1"
    assert demo.kwargs["server_port"] == 1234 and demo.kwargs["auth"] == ("a", "b")


@pytest.mark.unit
def test_nothing_is_built_at_import():
    import gradio as gr

    assert not any(isinstance(value, gr.Blocks) for value in vars(webapp).values())


@pytest.fixture
def fake_assistant(corpus_copy, tmp_path, fake_embedder):
    from assistant.retriever import Retriever

    return Assistant(Retriever.build(corpus_copy, tmp_path / "index", embedder=fake_embedder))


@pytest.mark.unit
def test_answer_applies_k_and_the_municipality_filter_to_the_cards(fake_assistant):
    result = answer(fake_assistant, "Hvilken kommune samarbejder med en virksomhed om biodiversitet?", [], k=2,
                    municipality="Herning")
    assert len(result.hits) == 2 and {h.case.municipality for h in result.hits} == {"Herning"}
    assert len(answer(fake_assistant, "biodiversitet", [], k=3, municipality="Alle").hits) == 3
    for bad in (0, 11, 2.5, True, "3"):
        with pytest.raises(ValueError, match="k must be"):
            answer(fake_assistant, "biodiversitet", [], k=bad)
    with pytest.raises(ValueError, match="unknown municipality"):
        answer(fake_assistant, "biodiversitet", [], municipality="Atlantis")


@pytest.mark.unit
def test_the_app_builds_with_a_queue_and_an_ask_endpoint(fake_assistant):
    demo = webapp.build_app(fake_assistant)
    assert demo._queue is not None
    assert "ask" in {fn.api_name for fn in demo.fns.values()}


def endpoint(demo, api_name: str):
    """The Python function behind an event of ``demo`` (by api_name: "ask", "chat", "chat_1")."""
    return next(fn.fn for fn in demo.fns.values() if fn.api_name == api_name)


def request(host: str | None, session: str | None = None):
    from types import SimpleNamespace

    return SimpleNamespace(client=None if host is None else SimpleNamespace(host=host), session_hash=session)


# ---- /ask input -----------------------------------------------------------------------------------
@pytest.mark.unit
@pytest.mark.parametrize("history", ["not json", "[1, 2", '{"role": "user", "content": "x"}', '"biodiversitet"',
                                     "5", {"role": "user"}, 7, ("a",)])
def test_ask_history_that_is_not_a_list_gets_a_clear_error(fake_assistant, history):
    import gradio as gr

    ask = endpoint(webapp.build_app(fake_assistant), "ask")
    with pytest.raises(gr.Error) as caught:
        ask("biodiversitet", history, 3, None)
    message = caught.value.message
    assert message.startswith("history must be a JSON list of the user's earlier messages (strings, or objects like "
                              '{"role": "user", "content": "..."}), oldest first; not ')
    assert "Expecting value" not in message and "line 1 column" not in message
    with pytest.raises(ValueError, match="history must be a JSON list"):
        webapp.parse_history(history)


@pytest.mark.unit
def test_ask_history_may_be_a_list_or_json_list_of_strings_or_message_dicts(fake_assistant, monkeypatch):
    seen = []
    original = fake_assistant.ask

    def spy(message, history=None, **kwargs):
        seen.append(history)
        return original(message, history=[], **kwargs)  # only the passing through is tested here

    monkeypatch.setattr(fake_assistant, "ask", spy)
    ask = endpoint(webapp.build_app(fake_assistant), "ask")
    earlier = "Hvilken kommune samarbejder med en virksomhed om biodiversitet?"
    as_dict = {"role": "user", "content": earlier}
    for history in (None, "", "  ", [], "[]", [earlier], f'["{earlier}"]', [as_dict], f'[{{"role": "user", "content": "{earlier}"}}]'):
        assert ask("Hvem arbejder med biodiversitet?", history, 3, None)["answer"]
    assert seen == [[], [], [], [], [], [earlier], [earlier], [as_dict], [as_dict]]  # passed through unchanged


@pytest.mark.unit
def test_ask_leaves_the_history_items_to_the_assistant_and_reports_its_value_error(fake_assistant, monkeypatch):
    import gradio as gr

    def strict(message, history=None, **kwargs):
        raise ValueError(f"history item 1 must be a string or a user message, not {history[0]!r}")

    monkeypatch.setattr(fake_assistant, "ask", strict)
    ask = endpoint(webapp.build_app(fake_assistant), "ask")
    with pytest.raises(gr.Error) as caught:
        ask("biodiversitet", [1], 3, None)
    assert caught.value.message == "history item 1 must be a string or a user message, not 1"


# ---- fair queueing -------------------------------------------------------------------------------
@pytest.mark.unit
def test_the_client_key_is_the_ip_or_for_loopback_the_session():
    key = webapp.client_key
    assert key(request("203.0.113.7", "s1")) == "ip:203.0.113.7"
    assert key(request("2001:db8::1", "s1")) == "ip:2001:db8::1"
    for loopback in ("127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1", "localhost"):
        assert key(request(loopback, "s1")) == "session:s1", loopback
        assert key(request(loopback, "s2")) == "session:s2", loopback  # users behind one local proxy differ
    assert key(request(None, "s3")) == "session:s3"
    assert key(request("", "s3")) == "session:s3"
    assert key(request("127.0.0.1", None)) == "ip:127.0.0.1"
    assert key(request("testclient", None)) == "ip:testclient"
    assert key(None) == "local"


@pytest.mark.unit
def test_the_queue_lets_waiting_happen_in_the_fair_gate(fake_assistant):
    demo = webapp.build_app(fake_assistant)
    answering = [fn for fn in demo.fns.values() if fn.api_name in ("ask", "chat", "chat_1")]
    assert len(answering) == 3 and {fn.concurrency_id for fn in answering} == {"answer"}
    assert demo._queue.default_concurrency_limit == webapp.CONCURRENCY
    # one flooding client fills at most 1 + MAX_WAITING_PER_CLIENT places, below Gradio's 40 worker threads
    assert webapp.ANSWER_SLOTS + webapp.MAX_WAITING_PER_CLIENT < webapp.CONCURRENCY < 40


@pytest.mark.unit
def test_a_busy_server_is_reported_by_ask_and_in_the_chat(fake_assistant):
    import gradio as gr

    from assistant.fairness import FairGate

    gate = FairGate(slots=1, max_wait=0.05)
    demo = webapp.build_app(fake_assistant, gate=gate)
    gate.acquire("someone else")  # the only slot stays taken for the whole test
    try:
        with pytest.raises(gr.Error) as caught:
            endpoint(demo, "ask")("biodiversitet", [], 3, None, request("203.0.113.7"))
        assert caught.value.message.startswith("the server is busy, try again")
        shown, asked, votes, cards, box, _ = endpoint(demo, "chat")("Hvem arbejder med biodiversitet?", [], [], {},
                                                                    3, None, None, None, request("127.0.0.1", "abc"))
        assert votes == {}
        assert shown[-1]["role"] == "assistant" and "Der er travlt lige nu" in shown[-1]["content"]
        assert "the server is busy" in shown[-1]["content"] and asked == [] and box == ""
        assert gate.waiting() == 0
    finally:
        gate.release("someone else")
    shown, asked, votes, cards, box, _ = endpoint(demo, "chat")("Hvem arbejder med biodiversitet?", [], [], {}, 3,
                                                                None, None, None, request("127.0.0.1", "abc"))
    assert asked == ["Hvem arbejder med biodiversitet?"] and "va-card" in cards


class BlockingAssistant:
    """``fake_assistant`` whose answers each wait until the test releases them; records the start order."""

    def __init__(self, inner: Assistant) -> None:
        import threading

        self.inner, self.retriever, self.k = inner, inner.retriever, inner.k
        self.started: list[str] = []
        self.cond = threading.Condition()
        self.released: set[str] = set()

    def ask(self, message, history=None, k=None, municipality=None, goal=None, region=None):
        with self.cond:
            self.started.append(message)
            self.cond.notify_all()
            assert self.cond.wait_for(lambda: message in self.released, 30)
        return self.inner.ask(message, history=history, k=k, municipality=municipality, goal=goal, region=region)

    def wait_started(self, count: int) -> list[str]:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.started) >= count, 30), self.started
            return list(self.started)

    def release(self, message: str) -> None:
        with self.cond:
            self.released.add(message)
            self.cond.notify_all()


@pytest.mark.unit
def test_the_served_app_takes_turns_between_clients_on_one_loopback_address(fake_assistant, unused_port):
    """Two gradio_client Clients from 127.0.0.1 are two sessions: B's question is not stuck behind A's flood,
    and A's questions beyond the waiting cap are refused at once (real server, fake model, no timing)."""
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from assistant.fairness import FairGate

    blocking = BlockingAssistant(fake_assistant)
    gate = FairGate(slots=1, max_waiting=2, max_wait=None)
    demo = webapp.build_app(blocking, gate=gate)
    url = webapp.serve(demo, "127.0.0.1", unused_port)
    try:
        a = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        b = Client(url, verbose=False, analytics_enabled=False, download_files=False)
        key_a, key_b = f"session:{a.session_hash}", f"session:{b.session_hash}"

        def waiting(key: str, count: int) -> None:
            deadline = time.monotonic() + 30  # only for the request to arrive; nothing is timed
            while gate.waiting(key) != count:
                assert time.monotonic() < deadline, (key, gate.waiting(key))
                time.sleep(0.005)

        a_jobs = [a.submit("biodiversitet 0", [], 1, None, api_name="/ask")]
        assert blocking.wait_started(1) == ["biodiversitet 0"]
        for i in (1, 2):  # one at a time, so that they are A's 1st and 2nd waiting
            a_jobs.append(a.submit(f"biodiversitet {i}", [], 1, None, api_name="/ask"))
            waiting(key_a, i)
        with pytest.raises(AppError, match=r"too many of your questions are waiting already \(at most 2 may wait\)"):
            a.predict("biodiversitet 3", [], 1, None, api_name="/ask")  # refused at once: no slot was freed
        b_job = b.submit("partnerskab med Halmstad", [], 1, None, api_name="/ask")
        waiting(key_b, 1)
        blocking.release("biodiversitet 0")
        assert blocking.wait_started(2)[1] == "partnerskab med Halmstad"  # B goes before A's other two
        for message in ("partnerskab med Halmstad", "biodiversitet 1", "biodiversitet 2"):
            blocking.release(message)
        assert b_job.result(timeout=30)["hits"] and all(job.result(timeout=30)["hits"] for job in a_jobs)
        assert blocking.started == ["biodiversitet 0", "partnerskab med Halmstad", "biodiversitet 1", "biodiversitet 2"]
    finally:
        for i in range(4):
            blocking.release(f"biodiversitet {i}")
        blocking.release("partnerskab med Halmstad")
        demo.close()


# ---- examples --------------------------------------------------------------------------------------
@pytest.mark.unit
def test_every_example_stands_on_its_own(fake_assistant):
    import gradio as gr

    from assistant.conversation import is_follow_up

    assert "Hvem kan jeg kontakte om det?" not in webapp.EXAMPLES
    assert "Hvem kan jeg kontakte om Bæredygtig Herning?" in webapp.EXAMPLES
    assert not [example for example in webapp.EXAMPLES if is_follow_up(example)]
    demo = webapp.build_app(fake_assistant)
    samples = [block.samples for block in demo.blocks.values() if isinstance(block, gr.Dataset)]
    assert samples == [[[example] for example in webapp.EXAMPLES]]  # the examples shown are these
    for example in webapp.EXAMPLES:  # each one is answered without any earlier message
        assert answer(fake_assistant, example, []).hits, example


# ---- the live server (real model) ----------------------------------------------------------------
# Twenty different questions, each with the municipality and e-mail that answer it (corpus/questions.jsonl).
QUESTIONS = [
    ("Hvem kan jeg kontakte om insekthotellerne hos MAN Energy Solutions?", "Frederikshavn", "bejo@frederikshavn.dk"),
    ("Which council teamed up with an engine manufacturer to increase biodiversity?", "Frederikshavn", "bejo@frederikshavn.dk"),
    ("Hvad hedder udviklingsstrategien i Frederikshavn Kommune?", "Frederikshavn", "bejo@frederikshavn.dk"),
    ("Who is the contact person for Frederikshavn's nature and biodiversity partnership?", "Frederikshavn",
     "bejo@frederikshavn.dk"),
    ("Hvilken kommune har sat insekthoteller op på en privat virksomheds grund?", "Frederikshavn", "bejo@frederikshavn.dk"),
    ("Hvem kan jeg kontakte om partnerskabet med Halmstad?", "Norddjurs", "sobrh@norddjurs.dk"),
    ("Which Danish municipality has a cross-border partnership with a Swedish town to boost tourism?", "Norddjurs",
     "sobrh@norddjurs.dk"),
    ("Hvilken svensk by er Norddjurs gået i partnerskab med?", "Norddjurs", "sobrh@norddjurs.dk"),
    ("What has worked well for Norddjurs in its SDG work?", "Norddjurs", "sobrh@norddjurs.dk"),
    ("Hvem er kontaktperson for verdensmålsarbejdet i Norddjurs Kommune?", "Norddjurs", "sobrh@norddjurs.dk"),
    ("Hvem kan jeg kontakte om Bæredygtig Herning?", "Herning", "bekae@herning.dk"),
    ("What is Bæredygtig Herning?", "Herning", "bekae@herning.dk"),
    ("Which municipality earmarked 5 million kroner a year for the SDGs in its 2019 budget?", "Herning",
     "bekae@herning.dk"),
    ("Hvornår blev pengene til verdensmålsarbejdet i Herning gjort permanente?", "Herning", "bekae@herning.dk"),
    ("Who can I reach out to about the member-based sustainability centre?", "Herning", "bekae@herning.dk"),
    ("Hvem er kontaktperson for verdensmålsarbejdet i Gladsaxe?", "Gladsaxe", "linevi@gladsaxe.dk"),
    ("How has Gladsaxe attracted companies that care about sustainability?", "Gladsaxe", "linevi@gladsaxe.dk"),
    ("Hvilken stilling har Line Vind?", "Gladsaxe", "linevi@gladsaxe.dk"),
    ("What is the Gladsaxe Strategy and when was it adopted?", "Gladsaxe", "linevi@gladsaxe.dk"),
    ("Siden hvornår har Gladsaxe beskæftiget sig med verdensmålene?", "Gladsaxe", "linevi@gladsaxe.dk"),
]


@pytest.fixture(scope="module")
def client(live_app):
    from gradio_client import Client

    return Client(live_app, verbose=False, analytics_enabled=False, download_files=False)


@pytest.mark.integration
@pytest.mark.slow
def test_twenty_concurrent_chats_each_get_their_own_right_answer(live_app):
    from gradio_client import Client

    assert len({q for q, _, _ in QUESTIONS}) == 20
    # four users with five questions each, all in flight at once (within the per-user waiting cap)
    users = [Client(live_app, verbose=False, analytics_enabled=False, download_files=False) for _ in range(4)]
    assert webapp.MAX_WAITING_PER_CLIENT + 1 >= 5
    jobs = [users[n % 4].submit(q, [], 3, None, api_name="/ask") for n, (q, _, _) in enumerate(QUESTIONS)]
    results = [job.result(timeout=120) for job in jobs]
    for (question, municipality, email), result in zip(QUESTIONS, results, strict=True):
        assert result["found"], question
        assert result["municipality"] == municipality, question
        assert result["contact"]["email"] == email, question
        assert f"mailto:{email}" in result["answer"], question
        assert result["hits"][0]["municipality"] == municipality, question


@pytest.mark.integration
@pytest.mark.slow
def test_api_follow_up_filter_and_bad_input(client):
    from gradio_client.exceptions import AppError

    earlier = ["Hvilken kommune samarbejder med en virksomhed om biodiversitet?"]
    follow = client.predict("Hvem kan jeg kontakte om det?", earlier, 5, None, api_name="/ask")
    assert follow["municipality"] == "Frederikshavn" and follow["contact"]["email"] == "bejo@frederikshavn.dk"
    as_json = client.predict("Hvem kan jeg kontakte om det?", '["Hvilken kommune samarbejder med MAN?"]', 5, "Alle",
                             api_name="/ask")
    assert as_json["municipality"] == "Frederikshavn"
    filtered = client.predict("biodiversitet og partnerskaber", [], 2, "Herning", api_name="/ask")
    assert [h["municipality"] for h in filtered["hits"]] == ["Herning", "Herning"]
    with pytest.raises(AppError, match="query is empty"):
        client.predict("<img src=x onerror=alert(1)>", [], 5, None, api_name="/ask")
    with pytest.raises(AppError, match="k must be"):
        client.predict("biodiversitet", [], 50, None, api_name="/ask")


@pytest.mark.integration
@pytest.mark.slow
def test_api_history_as_message_dicts_or_bad_json(client):
    from gradio_client.exceptions import AppError

    # on its own "Hvem kan jeg kontakte om det?" lands on Frederikshavn, so the context must come from history
    earlier = [{"role": "user", "content": "Hvilken svensk by er Norddjurs gået i partnerskab med?"}]
    for history in (earlier, json.dumps(earlier)):
        follow = client.predict("Hvem kan jeg kontakte om det?", history, 5, None, api_name="/ask")
        assert follow["municipality"] == "Norddjurs" and follow["contact"]["email"] == "sobrh@norddjurs.dk"
    with pytest.raises(AppError, match=r"history must be a JSON list of the user's earlier messages \(") as caught:
        client.predict("Hvem kan jeg kontakte om det?", "not json", 5, None, api_name="/ask")
    assert "Expecting value" not in str(caught.value)


@pytest.mark.integration
@pytest.mark.slow
def test_every_example_is_answered_on_its_own(client):
    for example in webapp.EXAMPLES:
        result = client.predict(example, [], 3, None, api_name="/ask")
        assert result["found"] and result["hits"], example
    contact = client.predict("Hvem kan jeg kontakte om Bæredygtig Herning?", [], 3, None, api_name="/ask")
    assert contact["municipality"] == "Herning" and contact["contact"]["email"] == "bekae@herning.dk"


@pytest.mark.integration
@pytest.mark.slow
def test_login_is_required_when_set(real_retriever, unused_port):
    from gradio_client import Client
    from gradio_client.exceptions import AuthenticationError

    demo = webapp.build_app(Assistant(real_retriever))
    url = webapp.serve(demo, "127.0.0.1", unused_port, ("anna", "s3cret"))
    try:
        with pytest.raises(AuthenticationError):
            Client(url, verbose=False, analytics_enabled=False)
        logged_in = Client(url, auth=("anna", "s3cret"), verbose=False, analytics_enabled=False)
        assert logged_in.predict("Hvem kan jeg kontakte om Bæredygtig Herning?", [], 1, None,
                                 api_name="/ask")["municipality"] == "Herning"
    finally:
        demo.close()


@pytest.mark.integration
@pytest.mark.slow
def test_ui_py_serves_on_localhost_at_the_gradio_port(real_retriever, unused_port):
    env = {**os.environ, "GRADIO_SERVER_PORT": str(unused_port), "HF_HUB_OFFLINE": "1"}
    env.pop("GRADIO_SERVER_NAME", None)
    env.pop("ASSISTANT_AUTH", None)
    proc = subprocess.Popen([sys.executable, "ui.py", "--index", str(real_retriever.path)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with ThreadPoolExecutor(1) as pool:
            line = pool.submit(proc.stdout.readline).result(timeout=90)
        assert line.startswith(f"Ready at http://127.0.0.1:{unused_port}/ after "), line
        with urllib.request.urlopen(f"http://127.0.0.1:{unused_port}/", timeout=10) as response:
            assert response.status == 200 and "<html" in response.read(2000).decode().lower()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.unit
def test_card_shows_goals_and_focus_and_every_contact():
    from dataclasses import replace as _replace

    from assistant.records import Contact

    hit = make_hit()
    case = _replace(hit.case, contacts=(BENTE, Contact(None, email="klima@frederikshavn.dk", department="Klima & Miljø")),
                    goals=(13, 17), focus="partnerskaber")
    html = render_cards([_replace(hit, case=case)], "Hvem arbejder med biodiversitet?")
    assert 'Verdensmål:</b> <span class="va-goals">13, 17</span>' in html
    assert 'Fokusområde:</b> <span class="va-focus">partnerskaber</span>' in html
    assert "Klima &amp; Miljø" in html and 'href="mailto:klima@frederikshavn.dk"' in html
    assert "Verdensmål" not in render_cards([make_hit()], "x")  # nothing stated, nothing shown


# ---- the Cases tab ---------------------------------------------------------------------------------
def hostile_case(**changes) -> tuple[Case, list[Passage]]:
    from dataclasses import replace as _replace

    from assistant.records import Document

    case = Case(id="evil", title=f"Titel {EVIL}", municipality="Herning", theme="17", goals=(13,),
                focus=f"fokus {EVIL}", source="javascript:alert(1)",
                contacts=(Contact(f"Navn {EVIL}", f"rolle {EVIL}", 'a"b<c>@x.dk', f"tlf {EVIL}"),
                          Contact("Ok Person", email="ok@herning.dk")),
                documents=(Document(f"Plan {EVIL}", "javascript:alert(3)"), Document("Strategi", "https://herning.dk/s")),
                sections=(Section(f"Afsnit {EVIL}", (f"Tekst {EVIL}",)),), contact=None)
    passages = [Passage(id="p2", case_id="evil", text=f"Mere {EVIL}", heading=f"Afsnit {EVIL}", position=1),
                Passage(id="p1", case_id="evil", text=f"Tekst {EVIL}", heading=f"Afsnit {EVIL}", position=0)]
    return _replace(case, **changes), passages


@pytest.mark.unit
def test_the_case_table_lists_every_case_with_the_intro_last_and_offers_only_the_corpus_goals(fake_assistant):
    from assistant import casetab

    cases = casetab.ordered(fake_assistant.retriever.data.cases)
    rows = casetab.table_rows(cases)
    assert [row[0] for row in rows] == ["Aarhus", "Frederikshavn", "Gladsaxe", "Herning", "Norddjurs", casetab.THEME]
    assert rows[2] == ["Gladsaxe", "Partnerskaber der rykker", "3, 4, 8, 11, 12, 13, 17", "partnerskaber",
                       "Line Vind (chefkonsulent) linevi@gladsaxe.dk", "partnerskaber-for-handling.txt"]
    assert rows[0][4] == ""  # Aarhus names no contact
    assert casetab.goal_choices(cases) == [("Alle", "Alle"), ("3 – Sundhed og trivsel", "3"),
                                           ("4 – Kvalitetsuddannelse", "4"),
                                           ("8 – Anstændige jobs og økonomisk vækst", "8"),
                                           ("11 – Bæredygtige byer og lokalsamfund", "11"),
                                           ("12 – Ansvarligt forbrug og produktion", "12"),
                                           ("13 – Klimaindsats", "13"), ("17 – Partnerskaber for handling", "17")]
    assert [label for label, _ in casetab.region_choices()] == ["Alle", "Nordjylland", "Midtjylland", "Syddanmark",
                                                                "Sjælland", "Hovedstaden"]
    # Funen and Greenland are offered when the corpus has a case there
    from dataclasses import replace as _replace
    extra = [_replace(cases[1], id="x1", municipality="Odense"), _replace(cases[1], id="x2", municipality="Qeqqata")]
    assert [label for label, _ in casetab.region_choices(cases + extra)][-2:] == ["Fyn", "Grønland"]
    assert [label for label, _ in casetab.region_choices(cases)][-1] == "Hovedstaden"


@pytest.mark.unit
def test_the_case_filters_narrow_by_goal_region_municipality_and_words(fake_assistant):
    from assistant import casetab

    cases = fake_assistant.retriever.data.cases

    def where(*args):
        return [c.municipality for c in casetab.filter_cases(cases, *args)]

    assert where("Alle", "Alle", "Alle", "") == ["Aarhus", "Frederikshavn", "Gladsaxe", "Herning", "Norddjurs", None]
    assert where("3", None, None, "") == ["Gladsaxe"]
    assert where("17", None, None, "") == ["Aarhus", "Frederikshavn", "Gladsaxe", "Herning", "Norddjurs", None]
    assert where(None, "Midtjylland", None, "") == ["Aarhus", "Herning", "Norddjurs"]
    for value in dict(casetab.region_choices()).values():  # every region offered is one select() reads
        casetab.filter_cases(cases, None, value)
    assert where(None, "Region Sjælland", None, "") == []
    assert where(None, "Nordjylland", "Frederikshavn", "") == ["Frederikshavn"]
    assert where(None, "Hovedstaden", "Herning", "") == []
    assert where(None, None, None, "  HALMSTAD ") == ["Norddjurs"]
    assert where(None, None, None, "linevi@gladsaxe.dk verdensmål") == ["Gladsaxe"]
    for bad in ("18", "x", 0):
        with pytest.raises(ValueError, match="goal must be"):
            casetab.filter_cases(cases, bad)
    with pytest.raises(ValueError, match="unknown region"):
        casetab.filter_cases(cases, None, "Atlantis")


@pytest.mark.unit
def test_the_case_panel_escapes_hostile_corpus_text_and_links_only_safe_addresses():
    from assistant import casetab

    case, passages = hostile_case()
    html = casetab.case_panel(case, passages)
    assert "<script" not in html and "<img" not in html and 'onerror="' not in html
    # title, focus, contact name/role/phone, a document, the heading (once: both passages are under it), both passages
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 9
    assert html.index("Tekst &lt;script") < html.index("Mere &lt;script")  # in the case's order
    assert "href=\"javascript" not in html and "mailto:a" not in html  # no link for a non-URL or a malformed address
    assert "a&quot;b&lt;c&gt;@x.dk" in html
    assert '<a href="mailto:ok@herning.dk">ok@herning.dk</a>' in html
    assert '<a href="https://herning.dk/s" target="_blank" rel="noopener noreferrer">Strategi</a>' in html
    assert "13 (Klimaindsats)" in html
    assert set(re.findall(r"</?([a-z]+)", html)) <= {"div", "span", "b", "a", "p"}
    linked, _ = hostile_case(source='https://example.org/a?b=1&c="x"')
    assert "https://example.org/a?b=1&c=" not in casetab.case_panel(linked, [])  # a quote makes it no URL
    linked, _ = hostile_case(source="https://example.org/a?b=1&c=2")
    assert '<a href="https://example.org/a?b=1&amp;c=2" target="_blank"' in casetab.case_panel(linked, [])


@pytest.mark.unit
def test_the_source_column_is_a_markdown_link_only_for_web_addresses():
    from assistant import casetab

    assert casetab.source_markdown("https://www.kl.dk/verdensmaal/(case)") == \
        "[kl.dk/verdensmaal/\\(case\\)](https://www.kl.dk/verdensmaal/%28case%29)"
    assert casetab.source_markdown("javascript:alert(1)") == "javascript:alert\\(1\\)"
    assert casetab.source_markdown("[x](javascript:alert(1))") == "\\[x\\]\\(javascript:alert\\(1\\)\\)"
    assert casetab.source_markdown(EVIL).startswith("&lt;script&gt;alert\\(1\\)&lt;/script&gt;&lt;img")
    case, _ = hostile_case()
    assert casetab.table_rows([case])[0][:2] == ["Herning", f"Titel {EVIL}"]  # plain-text cells, shown as text


@pytest.mark.unit
def test_the_cases_tab_filters_shows_a_chosen_case_and_exports_the_filtered_table_as_csv(fake_assistant):
    import csv

    import gradio as gr

    from assistant import casetab
    from assistant.catalogue import as_csv

    demo = webapp.build_app(fake_assistant)
    table, shown, path, count = endpoint(demo, "refilter")("3", "Alle", "Alle", "")
    assert [row[0] for row in table["data"]] == ["Gladsaxe"] and table["headers"] == casetab.HEADERS
    assert count == "1 case"
    gladsaxe = fake_assistant.retriever.cases[shown[0]]
    text = Path(path).read_bytes().decode("utf-8-sig")
    assert text == as_csv([gladsaxe])
    assert [row[1] for row in csv.reader(text.splitlines())] == ["municipality", "Gladsaxe"]
    table, shown, path, count = endpoint(demo, "refilter")("Alle", "Nordjylland", "Alle", "")
    assert [row[0] for row in table["data"]] == ["Frederikshavn"]
    assert endpoint(demo, "refilter")("Alle", "Syddanmark", "Alle", "")[3].startswith("Ingen cases")
    # choosing a row (the table may be sorted: the row's values say which case it is)
    ids = [c.id for c in casetab.ordered(fake_assistant.retriever.data.cases)]
    row = casetab.table_rows([fake_assistant.retriever.cases[ids[3]]])[0]
    panel = endpoint(demo, "choose")(ids, gr.SelectData(None, {"index": [0, 1], "value": row[1], "row_value": row}))
    assert "Herning" in panel and "bekae@herning.dk" in panel and 'class="va-passage"' in panel
    passages = [p for p in fake_assistant.retriever.data.passages if p.case_id == ids[3]]
    assert panel.count('class="va-passage"') == len(passages) > 1
    panel = endpoint(demo, "choose")(ids, gr.SelectData(None, {"index": [4, 0], "value": "Norddjurs"}))
    assert "sobrh@norddjurs.dk" in panel


@pytest.mark.unit
def test_csv_cells_cannot_start_a_formula(tmp_path):
    from assistant import casetab

    case, _ = hostile_case(title="=HYPERLINK(\"http://evil\")", focus="+1", municipality=None)
    text = Path(casetab.csv_file([case], tmp_path)).read_bytes().decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",'+1," in text


# ---- chat settings, answer CSV, votes ---------------------------------------------------------------
@pytest.mark.unit
def test_answer_passes_goal_and_region_to_the_assistant(fake_assistant, monkeypatch):
    seen = []
    original = fake_assistant.ask

    def spy(message, history=None, **kwargs):
        seen.append({key: kwargs[key] for key in ("municipality", "goal", "region")})
        return original(message, history=history, **kwargs)

    monkeypatch.setattr(fake_assistant, "ask", spy)
    answer(fake_assistant, "biodiversitet", [], 3, "Alle", "13", "Region Sjælland")
    answer(fake_assistant, "biodiversitet", [], 3, "Herning", 17, "Midtjylland")
    answer(fake_assistant, "biodiversitet", [], 3, None, "Alle", "Alle")
    assert seen == [{"municipality": None, "goal": 13, "region": "Region Sjælland"},
                    {"municipality": "Herning", "goal": 17, "region": "Midtjylland"},
                    {"municipality": None, "goal": None, "region": None}]
    with pytest.raises(ValueError, match="goal must be"):
        answer(fake_assistant, "biodiversitet", [], 3, None, "20")
    with pytest.raises(ValueError, match="unknown region"):
        answer(fake_assistant, "biodiversitet", [], 3, None, None, "Skåne")


@pytest.mark.unit
def test_the_answers_cases_are_its_reply_cases_else_the_cases_of_its_hits():
    from dataclasses import replace as _replace

    from assistant.records import Reply

    one, two = make_hit(), make_hit(rank=2)
    other = _replace(one, rank=3, case=_replace(one.case, id="c2", municipality="Herning"))
    assert webapp.answer_cases(Reply("x", hits=[one, two, other], found=False)) == [one.case, other.case]
    assert webapp.answer_cases(Reply("x", hits=[one, two, other], case=other.case)) == [other.case]
    assert webapp.answer_cases(Reply("x", hits=[one, two, other], cases=[other.case, one.case], kind="list")) == \
        [other.case, one.case]
    assert webapp.answer_cases(Reply("x", hits=[], found=False)) == []


@pytest.mark.unit
def test_a_vote_records_the_question_its_history_and_cases_and_nothing_about_the_user(fake_assistant, tmp_path):
    import gradio as gr

    from assistant.catalogue import as_csv

    feedback = tmp_path / "votes" / "feedback.jsonl"
    # the fake embedder's cosines are low: without the not-found bar the first question is answered
    answering = Assistant(fake_assistant.retriever, min_dense={"da": -1.0, "en": -1.0})
    demo = webapp.build_app(answering, feedback_file=feedback)
    chat, vote = endpoint(demo, "chat"), endpoint(demo, "vote")
    first = "Hvilken kommune samarbejder med en virksomhed om biodiversitet?"
    shown, asked, votes, _, _, download = chat(first, [], [], {}, 3, None, None, None,
                                               request("203.0.113.7", "secret-session"))
    assert list(votes) == [1] and votes[1]["question"] == first and votes[1]["history"] == []
    cases = votes[1]["cases"]
    assert cases and cases[0].municipality == "Frederikshavn"
    assert Path(download.value["path"]).read_bytes().decode("utf-8-sig") == as_csv(cases)  # the answer's cases as CSV
    shown, asked, votes, _, _, _ = chat("Hvem kan jeg kontakte om det?", shown, asked, votes, 3, None, None, None,
                                        request("203.0.113.7", "secret-session"))
    assert sorted(votes) == [1, 3] and votes[3]["history"] == [first]
    assert not feedback.exists()

    vote(votes, gr.LikeData(None, {"index": 3, "value": [shown[3]["content"]], "liked": True}))
    vote(votes, gr.LikeData(None, {"index": 3, "value": [shown[3]["content"]], "liked": ""}))  # taken back: nothing
    vote(votes, gr.LikeData(None, {"index": 0, "value": [shown[0]["content"]], "liked": False}))  # not an answer
    lines = feedback.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["vote"] == "up" and record["question"] == "Hvem kan jeg kontakte om det?"
    assert record["history"] == [first] and record["language"] == "da"
    assert record["cases"][0]["municipality"] == "Frederikshavn"
    assert [c["id"] for c in record["cases"]] == [c.id for c in votes[3]["cases"]]
    assert "bejo@frederikshavn.dk" in record["answer"]
    assert set(record) == {"time", "vote", "question", "history", "language", "cases", "answer"}
    assert "203.0.113.7" not in lines[0] and "secret-session" not in lines[0]
    vote(votes, gr.LikeData(None, {"index": 1, "value": [shown[1]["content"]], "liked": False}))
    record = json.loads(feedback.read_text(encoding="utf-8").splitlines()[1])
    assert record["vote"] == "down" and record["question"] == first and record["history"] == []


@pytest.mark.unit
def test_votes_go_beside_the_index_by_default(fake_assistant, monkeypatch):
    import gradio as gr

    monkeypatch.delenv("ASSISTANT_FEEDBACK", raising=False)
    demo = webapp.build_app(fake_assistant)
    shown, _, votes, _, _, _ = endpoint(demo, "chat")("biodiversitet", [], [], {}, 3, None, None, None, None)
    endpoint(demo, "vote")(votes, gr.LikeData(None, {"index": 1, "value": ["x"], "liked": False}))
    written = Path(fake_assistant.retriever.path).parent / "feedback.jsonl"
    assert json.loads(written.read_text(encoding="utf-8"))["vote"] == "down"


@pytest.mark.unit
def test_contacts_html_is_shared_escaped_and_links_only_plain_addresses():
    from assistant import casetab, markup

    people = (Contact(name="<b>Ida</b> Holm", role="projektleder", email="idho@ishoej.dk", phone="+4543576000"),
              Contact(name="Bo", email="bo@x.dk\"><script>alert(1)</script>"),  # a hand-edited index
              Contact(name=None, department="Natur & Miljø", email="natur@ishoej.dk"))
    html_ = markup.contacts_html(people, "tlf.", "ingen")
    assert "&lt;b&gt;Ida&lt;/b&gt; Holm" in html_ and "<b>" not in html_ and "<script>" not in html_
    assert html_.count("<a href=") == 2 and 'href="mailto:idho@ishoej.dk"' in html_
    assert "Natur &amp; Miljø" in html_ and "tlf. " in html_
    assert markup.contacts_html((), "tlf.", "ingen <kontakt>") == "ingen &lt;kontakt&gt;"
    assert [markup.linkable_email(e) for e in ("a@b.dk", "a@b", "a b@c.dk", None, "")] == [True, False, False, False, False]
    # the chat's cards and the Cases tab render a case's contacts the same way
    case = Case(id="c", title="T", municipality="Ishøj", theme=None, sections=(Section(None, ("x",)),), contact=None,
                source="s", contacts=people)
    hit = Hit(rank=1, score=1.0, passage=Passage(id="p", case_id="c", text="x", heading=None, position=0), case=case)
    assert webapp._contact_html(hit, webapp._TEXTS["da"]).replace("tlf.", "") == casetab.contacts_html(case).replace("tlf.", "")
