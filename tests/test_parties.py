"""A party named in a question does not draw the section named after it (Settings.party_weight).

"Vi och vc bråkar om …" names the vårdcentral as the other party; the answer lies in the
section on disputes, not in "Vårdcentralens särskilda ansvar". The parties are read from the
corpus's own headings ("Kommunens ansvar"); a question naming one is ranked by its embedding
mixed with that of its words without the party. Fake embedder, no model.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from assistant.config import Settings
from assistant.retrieve.conversation import mixed
from assistant.retrieve.hybrid import HybridSearch
from assistant.service import Assistant
from tests.fakes import HashEmbedder, decision_file, memory_index, section

SECTIONS = [
    section("kommun", "Kommunen ansvarar för hemsjukvård och såromläggning i hemmet. Kommunen "
            "utser en sjuksköterska för varje enhet.", title="Kommunens ansvar"),
    section("vc", "Vårdcentralen ansvarar för läkarinsatser och hembesök hos patienter i "
            "hemsjukvården. Vårdcentralen utser en fast läkare.",
            title="Vårdcentralens särskilda ansvar"),
    section("bar", "Bårhuset tar emot den avlidne inom ett dygn.", title="b. Bårhusens ansvar"),
    section("tvist", "Är parterna oense om vem som ska utföra en insats löses det först "
            "lokalt och sedan i delregional vårdsamverkan.", title="Oenighet om tolkning"),
]


@pytest.fixture(scope="module")
def embed() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture(scope="module")
def config(tmp_path_factory) -> Settings:
    folder = tmp_path_factory.mktemp("parties")
    return dataclasses.replace(Settings(), index_dir=folder / "index", data_dir=folder / "data",
                               decision_file=decision_file(folder, decline_below=0.0),
                               domain_vocabulary=False, llm_url=None, chroma_url=None)


@pytest.fixture(scope="module")
def index(embed):
    return memory_index(SECTIONS, embed)


def test_the_parties_are_read_from_the_headings_that_say_what_a_party_must_do(index, config):
    search = HybridSearch(index, config)
    assert search.parties == {"kommun", "vardcentral", "barhus"}  # not "oenighet"


def test_a_party_is_left_out_as_typed_inflected_or_abbreviated(index, config):
    search = HybridSearch(index, config)
    assert search.without_parties("Vi och vc är oense med kommunen, vart vänder vi oss?") == (
        "Vi och är oense med vart vänder vi oss?")
    assert search.without_parties("Vem lägger om såren?") == "Vem lägger om såren?"


def test_a_question_naming_a_party_is_ranked_also_by_its_words_without_it(index, config, embed):
    question = "Vi och vårdcentralen är oense om hembesöken. Vart vänder vi oss?"
    off = Assistant(index, dataclasses.replace(config, party_weight=0.0), embed_query=embed)
    on = Assistant(index, dataclasses.replace(config, party_weight=0.5), embed_query=embed)
    full = off.query(question).ranking_vector
    neutral = embed(on.search.without_parties(on.search.expand(question, dense=True)))
    assert np.allclose(on.query(question).ranking_vector, mixed(full, neutral, 0.5), atol=1e-6)
    assert on.query(question).vector == pytest.approx(full)  # declining reads it as asked
    plain = "Vem lägger om såren i hemmet?"
    assert np.allclose(on.query(plain).ranking_vector, off.query(plain).ranking_vector)
