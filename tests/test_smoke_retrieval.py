"""End-to-end retrieval with the real default model on the bundled corpus."""

import pytest

pytestmark = pytest.mark.integration


def test_biodiversity_question_finds_frederikshavn_with_its_contact(real_retriever):
    hits = real_retriever.search("Hvilken kommune samarbejder med en virksomhed om biodiversitet?", k=5)
    top = hits[0]
    assert top.rank == 1
    assert top.case.municipality == "Frederikshavn"
    assert top.case.contact.name == "Bente Bundgård Jokumsen"
    assert top.case.contact.role == "chefkonsulent"
    assert top.case.contact.email == "bejo@frederikshavn.dk"
    assert top.source.file == "partnerskaber-for-handling.txt"
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
