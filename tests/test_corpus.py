"""The corpus parser: the bundled theme page, a second differently worded page, HTML, Markdown, JSONL.

Every expected value here was read off the source files by hand.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.corpus import CorpusError, corpus_hash, load_corpus, parse_contact
from assistant.records import Contact, Document

pytestmark = pytest.mark.unit

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
FIXTURE_CORPUS = Path(__file__).resolve().parent / "fixtures" / "corpus"
BUNDLED = "partnerskaber-for-handling.txt"


@pytest.fixture(scope="module")
def bundled():
    return load_corpus(CORPUS)


@pytest.fixture(scope="module")
def fixture_cases():
    return load_corpus(FIXTURE_CORPUS)


def by_municipality(cases):
    return {c.municipality: c for c in cases if c.kind == "case"}


def headings(case):
    return [s.heading for s in case.sections]


# ---- the bundled page --------------------------------------------------------------------------

def test_bundled_page_has_intro_and_five_cases_in_page_order(bundled):
    assert [(c.kind, c.municipality) for c in bundled] == [
        ("intro", None), ("case", "Frederikshavn"), ("case", "Norddjurs"), ("case", "Herning"),
        ("case", "Gladsaxe"), ("case", "Aarhus"),
    ]
    assert [c.title for c in bundled] == [
        "Partnerskaber for handling",
        "Insekthoteller på virksomheden MAN Energy Solutions’ arealer",
        "På tværs af farvande og kommunegrænser",
        "Et bæredygtighedscenter for handling",
        "Partnerskaber der rykker",
        "Bæredygtig dannelse",
    ]
    assert [c.id for c in bundled] == [
        "partnerskaber-for-handling-intro",
        "frederikshavn-insekthoteller-paa-virksomheden-man-energy-sol",
        "norddjurs-paa-tvaers-af-farvande-og-kommunegraenser",
        "herning-et-baeredygtighedscenter-for-handling",
        "gladsaxe-partnerskaber-der-rykker",
        "aarhus-baeredygtig-dannelse",
    ]
    assert {c.source for c in bundled} == {BUNDLED}
    assert {c.theme for c in bundled} == {"Partnerskaber for handling"}


def test_bundled_intro_holds_the_theme_text_and_no_contact(bundled):
    intro = bundled[0]
    assert intro.contact is None
    assert headings(intro) == [None, "Partnerskaber for handling", "Mål 17"]
    assert intro.sections[0].paragraphs == (
        "Partnerskaber og samarbejder på tværs af organisationer, kommune- og evt. landegrænser kan være en "
        "metode til at opfylde Verdensmålene",
    )
    assert intro.sections[1].paragraphs[0].startswith("Målet dækker over Verdensmål 17, Partnerskaber for handling")
    assert intro.sections[2].paragraphs[0].startswith("Verdensmålene for bæredygtig udvikling kan kun realiseres")
    assert "Ældre end 12 mdr." not in intro.text and "Gå til hovedindhold" not in intro.text
    assert "Frederikshavn" not in intro.text


@pytest.mark.parametrize("municipality, contact", [
    ("Frederikshavn", Contact("Bente Bundgård Jokumsen", "chefkonsulent", "bejo@frederikshavn.dk")),
    ("Norddjurs", Contact("Sofia Braad Riis", "udviklingskonsulent", "sobrh@norddjurs.dk")),
    ("Herning", Contact("Anne Kristine Hundahl Mikkelsen", "udviklingskonsulent", "bekae@herning.dk")),
    ("Gladsaxe", Contact("Line Vind", "chefkonsulent", "linevi@gladsaxe.dk")),
    ("Aarhus", None),
])
def test_bundled_contacts_are_exact(bundled, municipality, contact):
    assert by_municipality(bundled)[municipality].contact == contact


def test_contact_is_not_someone_merely_quoted(bundled):
    # Norddjurs quotes kommunaldirektør Christian Bertelsen; its contact is still Sofia Braad Riis.
    norddjurs = by_municipality(bundled)["Norddjurs"]
    assert "Christian Bertelsen" in norddjurs.text
    assert norddjurs.contact.name == "Sofia Braad Riis"


def test_norddjurs_mentions_its_two_pdf_documents(bundled):
    assert by_municipality(bundled)["Norddjurs"].documents == (
        Document("Norddjurs Kommunes Plan- og Udviklingsstrategi 2019 (PDF)", None),
        Document("Norddjurs Kommunes Budgetaftale 2023-2026 (PDF)", None),
    )
    assert all(c.documents == () for c in bundled if c.municipality != "Norddjurs")


def test_teaser_before_a_heading_belongs_to_the_case_it_announces(bundled):
    cases = by_municipality(bundled)
    aarhus, gladsaxe = cases["Aarhus"], cases["Gladsaxe"]
    assert aarhus.sections[0].heading is None
    assert aarhus.sections[0].paragraphs == (
        "DOKK1 i Aarhus er blevet hjemsted for Verdensrummet. Læs mere om hvordan der i Verdensrummet bliver "
        "arbejdet med partnerskaber, samskabelse og bæredygtig udvikling nedenfor.",
    )
    assert "DOKK1" not in gladsaxe.text
    assert gladsaxe.text.endswith("Kontakt chefkonsulent Line Vind på linevi@gladsaxe.dk")


def test_sub_headings_are_sections_not_cases(bundled):
    cases = by_municipality(bundled)
    assert headings(cases["Frederikshavn"]) == [
        "Insekthoteller på virksomheden MAN Energy Solutions’ arealer", "Vi skal i mål!", "Vær konkrete",
        "Vil du vide mere?",
    ]
    assert headings(cases["Herning"]) == [
        "Et bæredygtighedscenter for handling", "Overordnet strategisk tilgang",
        "”Vi bygger cyklen, mens vi kører på den”", "Vil du vide mere?",
    ]
    assert headings(cases["Aarhus"]) == [
        None, "Bæredygtig dannelse", "Design thinking", "Verdensmål til hverdagsmål", "Verdensrummet",
        "Et stort blomstrende naturfællesskab", "Brug de fire H’er:",
    ]
    titles = {c.title for c in bundled}
    assert "Vær konkrete" not in titles
    assert "”Vi bygger cyklen, mens vi kører på den”" not in titles


def test_questions_and_dialogues_are_not_cases(bundled):
    assert all(not c.source.endswith(".jsonl") for c in bundled)


# ---- a second, differently worded theme page (Verdensmål 13) ------------------------------------

def test_second_page_intro_and_cases(fixture_cases):
    page = [c for c in fixture_cases if c.source == "klimaindsats.txt"]
    assert [(c.kind, c.municipality, c.title) for c in page] == [
        ("intro", None, "Klimaindsats"),
        ("case", "Sønderborg", "ProjectZero: et samlet område går mod CO2-neutralitet"),
        ("case", "Middelfart", "Regnvand der skaber byliv"),
        ("case", "Vejle", "Når vandet stiger i Vejle Fjord"),
        ("case", "Roskilde", "Et skatepark-bassin til skybrud"),
    ]
    assert {c.theme for c in page} == {"Klimaindsats"}
    assert headings(page[0]) == [None, "Klimaindsats", "Mål 13"]
    assert page[0].sections[0].paragraphs == (
        "Kommunerne tager ansvar for klimaet lokalt – fra skybrud til grøn omstilling af energien",
    )


def test_second_page_contacts_in_other_wordings(fixture_cases):
    cases = by_municipality(fixture_cases)
    assert cases["Sønderborg"].contact == Contact("Mette Lund", "klimakoordinator", "mel@sonderborg.dk")
    assert cases["Vejle"].contact == Contact("Mads Holm", "projektleder", "mh@vejle.dk", "+4576810000")
    assert cases["Roskilde"].contact == Contact("Jonas Berg Nielsen", "landskabsarkitekt", "jobn@roskilde.dk")


def test_case_without_contact_in_the_middle_gets_none_not_a_neighbours(fixture_cases):
    middelfart = by_municipality(fixture_cases)["Middelfart"]
    assert middelfart.contact is None
    assert headings(middelfart) == ["Regnvand der skaber byliv", "Fra kloakrør til regnbede"]
    assert "mh@vejle.dk" not in middelfart.text and "Vejle" not in middelfart.text
    assert "mel@sonderborg.dk" not in middelfart.text


def test_second_page_quoted_sub_headings_teaser_and_documents(fixture_cases):
    cases = by_municipality(fixture_cases)
    assert headings(cases["Sønderborg"]) == [
        "ProjectZero: et samlet område går mod CO2-neutralitet", "”Ingen kan klare det alene”", "Læs mere",
    ]
    assert headings(cases["Vejle"]) == [
        "Når vandet stiger i Vejle Fjord", "”Vi lader vandet få plads”", "Vil du vide mere?",
    ]
    assert cases["Vejle"].documents == (Document("Vejles klimatilpasningsplan (PDF)", None),)
    roskilde = cases["Roskilde"]
    assert roskilde.sections[0].heading is None
    assert roskilde.sections[0].paragraphs[0].startswith("På Musicon i Roskilde er en nedlagt betonfabrik")
    assert "Musicon" not in cases["Vejle"].text


# ---- HTML, Markdown, JSON Lines -------------------------------------------------------------------

def test_html_theme_page(fixture_cases):
    page = [c for c in fixture_cases if c.source == "baeredygtig-energi.html"]
    assert [(c.kind, c.municipality, c.title) for c in page] == [
        ("intro", None, "Bæredygtig energi"),
        ("case", "Skive", "Halm og træflis i stedet for olie"),
        ("case", "Thisted", "Solceller på alle kommunale tage"),
    ]
    intro, skive, thisted = page
    assert intro.theme == "Bæredygtig energi"
    # the <title>, navigation, script and footer are not content
    assert intro.sections[0].heading is None
    assert intro.text == ("Verdensmål 7 handler om at sikre alle adgang til pålidelig og bæredygtig energi "
                          "til en overkommelig pris.")
    assert skive.contact == Contact("Peter Dahl", "energikonsulent", "pd@skivekommune.dk")
    assert skive.documents == (Document("Skives strategiske energiplan (PDF)",
                                        "https://example.org/skive/energiplan.pdf"),)
    assert headings(skive) == ["Halm og træflis i stedet for olie", "”Affald er en ressource”", "Vil du vide mere?"]
    assert thisted.contact is None
    assert all("web@example.org" not in c.text and "dataLayer" not in c.text for c in page)


def test_markdown_case_with_front_matter(fixture_cases):
    case = by_municipality(fixture_cases)["Aalborg"]
    assert case.id == "aalborg-groenne-tage-paa-kommunens-skoler"
    assert case.title == "Grønne tage på kommunens skoler"
    assert case.municipality == "Aalborg"   # "Aalborg Kommune" in the front matter
    assert case.contact == Contact("Sara Winther", "bygningskonsulent", "sawi@aalborg.dk")
    assert case.source == "groenne-tage-aalborg.md (https://example.org/aalborg/groenne-tage)"
    assert headings(case) == ["Baggrund", "Erfaringer"]
    assert case.sections[1].paragraphs == (
        "Eleverne måler selv, hvor meget vand tagene holder tilbage efter en kraftig regnbyge, og bruger tallene "
        "i matematik og natur/teknologi.",
    )


def test_jsonl_cases_keep_their_ids_and_null_contact(fixture_cases):
    rows = [c for c in fixture_cases if c.source.startswith("cases.jsonl")]
    assert [c.id for c in rows] == ["samso-energi-o", "lolland-brint"]
    samso, lolland = rows
    assert samso.municipality == "Samsø"
    assert samso.contact == Contact("Anna Krogh", "energikoordinator", "ak@samsoe.dk")
    assert samso.source == "cases.jsonl#1 (https://example.org/samsoe)"
    assert headings(samso) == [None, "Næste skridt"]
    assert lolland.contact is None
    assert lolland.municipality is None      # null stays null: not guessed from the text
    assert lolland.source == "cases.jsonl#2 (Energiforum 2021, s. 12)"


def test_fixture_corpus_reads_files_in_sorted_order(fixture_cases):
    sources = [c.source.split("#")[0].split(" (")[0] for c in fixture_cases]
    assert list(dict.fromkeys(sources)) == [
        "baeredygtig-energi.html", "cases.jsonl", "groenne-tage-aalborg.md", "klimaindsats.txt",
    ]
    assert len(fixture_cases) == 11
    assert len({c.id for c in fixture_cases}) == 11


# ---- contact lines -------------------------------------------------------------------------------

@pytest.mark.parametrize("line, contact", [
    ("Kontakt chefkonsulent Line Vind på linevi@gladsaxe.dk", Contact("Line Vind", "chefkonsulent", "linevi@gladsaxe.dk")),
    ("Kontakt projektleder Mads Holm på mh@vejle.dk eller tlf. 76 81 00 00",
     Contact("Mads Holm", "projektleder", "mh@vejle.dk", "+4576810000")),
    ("Kontaktperson: Mette Lund, klimakoordinator, mel@sonderborg.dk",
     Contact("Mette Lund", "klimakoordinator", "mel@sonderborg.dk")),
    ("Skriv til klima@vejle.dk", Contact(None, email="klima@vejle.dk")),   # a mailbox: no name guessed
    ("Kontakt Teknik og Miljø på tm@vejle.dk", Contact(None, email="tm@vejle.dk", department="Teknik og Miljø")),
    ("Kontakt os, hvis du har spørgsmål", None),             # no way to reach anyone
    # a generic label before the name: the job after the name is the role; a job as the label is the role
    ("Overordnet ansvarlig: Ida Toft, chef for Natur og Miljø, idto@vejle.dk",
     Contact("Ida Toft", "chef", "idto@vejle.dk", department="Natur og Miljø")),
    ("Projektleder: Bo Holm, naturvejleder, boho@vejle.dk", Contact("Bo Holm", "projektleder", "boho@vejle.dk")),
    ("Kontaktperson i kommunen: Ane Bro, fritidskonsulent, anbr@vejle.dk", Contact("Ane Bro", "fritidskonsulent", "anbr@vejle.dk")),
])
def test_parse_contact(line, contact):
    assert parse_contact(line) == contact


# ---- bad input ---------------------------------------------------------------------------------

def test_corpus_error_is_a_value_error():
    assert issubclass(CorpusError, ValueError)


def test_missing_corpus_folder(tmp_path):
    with pytest.raises(CorpusError, match="corpus folder not found: .*nowhere"):
        load_corpus(tmp_path / "nowhere")


def test_corpus_path_that_is_a_file(tmp_path):
    path = tmp_path / "cases.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(CorpusError, match="not a folder"):
        load_corpus(path)


def test_empty_corpus_folder(tmp_path):
    with pytest.raises(CorpusError, match="has no case files"):
        load_corpus(tmp_path)
    with pytest.raises(CorpusError, match="has no case files"):
        corpus_hash(tmp_path)


def test_folder_with_only_question_sets_has_no_cases(tmp_path):
    shutil.copy(CORPUS / "questions.jsonl", tmp_path)
    shutil.copy(CORPUS / "dialogues.jsonl", tmp_path)
    shutil.copy(CORPUS / "questions-fresh.jsonl", tmp_path)  # any questions*/dialogues*.jsonl
    shutil.copy(CORPUS / "dialogues.jsonl", tmp_path / "Dialogues-en.jsonl")
    with pytest.raises(CorpusError, match="has no case files"):
        load_corpus(tmp_path)


def test_blank_case_file_gives_no_cases(tmp_path):
    (tmp_path / "empty.txt").write_text("  \n\n \n", encoding="utf-8")
    with pytest.raises(CorpusError, match="holds no cases"):
        load_corpus(tmp_path)


def test_invalid_jsonl_line_is_named(tmp_path):
    good = '{"id": "a", "title": "T", "text": "Tekst om Vejle Kommune.", "municipality": "Vejle", "contact": null}'
    (tmp_path / "cases.jsonl").write_text(good + "\n\n{not json\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"cases\.jsonl, line 3: not valid JSON"):
        load_corpus(tmp_path)


def test_jsonl_case_without_text_is_named(tmp_path):
    (tmp_path / "cases.jsonl").write_text('{"id": "a", "title": "T"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"cases\.jsonl, line 1: a case needs 'title' and 'text'"):
        load_corpus(tmp_path)


def test_jsonl_contact_must_be_a_mapping(tmp_path):
    (tmp_path / "cases.jsonl").write_text('{"title": "T", "text": "x", "contact": "Mads"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="'contact' must be a mapping"):
        load_corpus(tmp_path)


def test_markdown_without_title_or_with_bad_front_matter(tmp_path):
    (tmp_path / "a.md").write_text("---\nmunicipality: Vejle\n---\nTekst uden titel.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"a\.md: a Markdown case needs a 'title'"):
        load_corpus(tmp_path)
    (tmp_path / "a.md").write_text("---\ntitle: [unclosed\n---\nTekst.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"a\.md: front matter is not valid YAML"):
        load_corpus(tmp_path)


def test_non_utf8_file_is_named(tmp_path):
    (tmp_path / "latin1.txt").write_bytes("Kontakt Søren på sø@x.dk".encode("latin-1"))
    with pytest.raises(CorpusError, match=r"latin1\.txt: not UTF-8 text"):
        load_corpus(tmp_path)


def test_corpus_hash_changes_with_content_and_ignores_question_sets(tmp_path):
    shutil.copy(CORPUS / BUNDLED, tmp_path)
    before = corpus_hash(tmp_path)
    shutil.copy(CORPUS / "questions.jsonl", tmp_path)
    assert corpus_hash(tmp_path) == before
    shutil.copy(FIXTURE_CORPUS / "groenne-tage-aalborg.md", tmp_path)
    assert corpus_hash(tmp_path) != before


@pytest.mark.unit
def test_without_municipalities_takes_out_every_name_form():
    from assistant.municipalities import without_municipalities
    assert without_municipalities("Har Hørsholm Kommune også noget om cykler?") == "Har kommunen også noget om cykler?"
    assert without_municipalities("Hvad laver Hernings skoler og Aarhus'?") == "Hvad laver kommunen skoler og kommunen?"
    assert without_municipalities("greve og faxe er ord") == "greve og faxe er ord"  # lower case: ordinary words
