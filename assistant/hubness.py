"""Same-language hubs in a corpus that mixes languages.

e5 scores a question higher against any passage in its own language: over a mostly Danish corpus with one
English page, an English question about lonely first-years at school found the English page's passage on
measuring buoys in a fjord closer (cosine 0.843) than the Danish case that answers it (0.774). Those
passages are hubs for every question in their language.

The correction is CSLS-like (Conneau et al., 2018, "Word translation without parallel data"): each
passage's mean cosine over a fixed bank of generic questions in the question's language is its hubness for
that language; the fusion sees the cosine less that hubness (centred on the corpus's mean, so the scale
holds). It is applied only where the corpus has passages in both languages, where the hubs come from the
language gap. On a one-language corpus it changes nothing (tried there, as general hubness correction, it
lost English questions on the tuning pool: README, "Ranking").

The bank is domain-generic and written for this purpose: questions any municipal-case corpus could be
asked, naming no topic of any corpus here.
"""

from __future__ import annotations

import numpy as np

from .language import detect_language

BANK = {
    "en": ["Which council is working with young people?", "Is there a municipality that saves energy?",
           "Who can I contact about the project?", "How many people have taken part so far?",
           "Which municipality works with local businesses?", "What did the project cost and who paid?",
           "Is any council doing something for older residents?", "Which town has a partnership with volunteers?",
           "What results has the municipality seen?", "Does any municipality work with nature and water?",
           "Which council has changed how it buys things?", "Is there a project for schools and children?"],
    "da": ["Hvilken kommune arbejder med unge?", "Er der en kommune, der sparer på energien?",
           "Hvem kan jeg kontakte om projektet?", "Hvor mange har været med indtil nu?",
           "Hvilken kommune samarbejder med lokale virksomheder?", "Hvad kostede projektet, og hvem betalte?",
           "Gør nogen kommune noget for de ældre borgere?", "Hvilken by har et partnerskab med frivillige?",
           "Hvilke resultater har kommunen set?", "Arbejder nogen kommune med natur og vand?",
           "Hvilken kommune har ændret sine indkøb?", "Er der et projekt for skoler og børn?"],
}
MIN_PASSAGES = 2  # passages each language needs before the corpus counts as mixed


def mixed_languages(texts: list[str]) -> bool:
    """Whether at least MIN_PASSAGES of ``texts`` are English and as many are not."""
    english = sum(detect_language(text) == "en" for text in texts)
    return english >= MIN_PASSAGES and len(texts) - english >= MIN_PASSAGES


def hubness(embed_queries, dense_of) -> dict[str, np.ndarray]:
    """Per question language, each passage's mean cosine over the bank, less its mean over the passages.

    ``embed_queries(texts)`` gives the questions' vectors; ``dense_of(vector)`` a passage's best cosine."""
    out = {}
    for language, questions in BANK.items():
        scores = np.stack([dense_of(vector) for vector in embed_queries(questions)]).mean(axis=0)
        out[language] = (scores - scores.mean()).astype(np.float32)
    return out
