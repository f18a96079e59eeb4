"""Same-language hubs in a corpus mixing languages (hubness.py)."""

import numpy as np
import pytest

from assistant.hubness import BANK, hubness, mixed_languages


@pytest.mark.unit
def test_a_corpus_mixes_languages_only_with_two_passages_of_each():
    danish = "Kommunen har sammen med borgerne plantet træer langs vejene i byen."
    english = "The council has planted trees along the roads in town together with the residents."
    assert not mixed_languages([danish] * 5)
    assert not mixed_languages([danish] * 5 + [english])
    assert mixed_languages([danish] * 5 + [english] * 2)


@pytest.mark.unit
def test_hubness_is_each_passages_mean_over_the_bank_centred():
    rng = np.random.default_rng(0)
    table = rng.normal(size=(4, 3)).astype(np.float32)  # 4 passages, 3 dimensions
    calls = []

    def embed(texts):
        calls.append(len(texts))
        return [np.eye(3, dtype=np.float32)[i % 3] for i in range(len(texts))]

    hubs = hubness(embed, lambda vector: table @ vector)
    assert calls == [len(BANK["en"]), len(BANK["da"])]
    for language, questions in BANK.items():
        expected = np.mean([table[:, i % 3] for i in range(len(questions))], axis=0)
        assert np.allclose(hubs[language], expected - expected.mean(), atol=1e-6)
        assert abs(float(hubs[language].mean())) < 1e-6


QUESTION = "Does any municipality fix walking frames and wheelchairs instead of throwing them out?"


@pytest.mark.integration
def test_an_english_page_no_longer_answers_english_questions_about_danish_cases(tuning4_retriever):
    # eval-tuning4 has one English page (Sønderborg's partnerships); measured: without the correction its
    # passage on the fjord comes first for this question (fused 0.808, Næstved's case not in the top 3); with
    # it Næstved's case leads by 0.24 (0.920 against 0.676)
    plain = tuning4_retriever.with_config(hub_weight=0.0).search(QUESTION, k=3)
    corrected = tuning4_retriever.search(QUESTION, k=3)
    assert plain[0].case.municipality == "Sønderborg"
    assert corrected[0].case.municipality == "Næstved"
    assert corrected[0].score - corrected[1].score > 0.1
    # hits report the cosine itself, not the corrected one
    same = [h for h in plain if h.passage.id == corrected[0].passage.id]
    assert not same or abs(same[0].dense_score - corrected[0].dense_score) < 1e-6


@pytest.mark.integration
def test_a_corpus_in_one_language_is_ranked_as_before(real_retriever):
    assert real_retriever._hubness("en") is None and real_retriever._hubness("da") is None
    question = "Which municipality has a partnership with a Swedish town?"
    plain = real_retriever.with_config(hub_weight=0.0).search(question, k=5)
    assert [(h.passage.id, h.score) for h in real_retriever.search(question, k=5)] == \
        [(h.passage.id, h.score) for h in plain]


@pytest.mark.integration
def test_danish_questions_take_latent_terms_only_in_a_corpus_mixing_languages(tuning4_retriever, real_retriever):
    # in eval-tuning4 a Danish question faces an English page across languages, as English questions face Danish
    # text: the latent terms take their share; in the bundled (Danish) corpus nothing changes
    question = "Hvem samarbejder med en tysk by om vandet i fjorden?"
    mixed = [(h.passage.id, round(h.score, 6)) for h in tuning4_retriever.search(question, k=5)]
    without = tuning4_retriever.with_config(latent_weight_da_mixed=0.0).search(question, k=5)
    assert mixed != [(h.passage.id, round(h.score, 6)) for h in without]
    assert [(h.passage.id, h.score) for h in real_retriever.search("Hvem samarbejder med en svensk by?", k=5)] == \
        [(h.passage.id, h.score) for h in
         real_retriever.with_config(latent_weight_da_mixed=0.0).search("Hvem samarbejder med en svensk by?", k=5)]
