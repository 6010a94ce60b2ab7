"""The agreement's own name is left out of the question that chooses sections."""

from __future__ import annotations

from assistant.retrieve.focus import without_agreement_name


def test_the_agreement_name_is_said_as_avtalet():
    assert without_agreement_name("Vem skrev under HoS-avtalet?") == "Vem skrev under avtalet?"
    assert without_agreement_name("När gäller hälso- och sjukvårdsavtalet") == "När gäller avtalet"
    assert without_agreement_name("Hälso och sjukvårdsavtal") == "avtalet"
    unchanged = "Vad gäller hos vårdcentralen?"
    assert without_agreement_name(unchanged) == unchanged
