"""`scripts/tune.py --choose hit3`: the folds choose by a right section among the first three."""

from __future__ import annotations

from assistant.eval.metrics import Verdict


def _verdict(number: int, rank: int | None) -> Verdict:
    return Verdict(id=f"v{number}", question="Vem betalar ledsagning?", type="responsibility",
                   answerable=True, abstained=False, rank=rank, gold=["B.2"], cited=["B.2"],
                   facts_missing=None)


def test_folds_choosing_by_the_top_three_prefer_more_answers_in_it(capsys):
    # One variant puts the right section first half the time and nowhere else; the other
    # puts it second every time: by hit@1 the first wins, by the top three the second.
    from scripts.tune import correct, cross_validate, in_top3

    verdicts = {"(current)": [_verdict(i, 1 if i % 2 else None) for i in range(10)],
                "cued_weight=0.5": [_verdict(i, 2) for i in range(10)]}
    cross_validate(verdicts, 5, correct)
    assert "chosen per fold: " + "; ".join(["(current)"] * 5) in capsys.readouterr().out
    cross_validate(verdicts, 5, in_top3)
    assert "chosen per fold: " + "; ".join(["cued_weight=0.5"] * 5) in capsys.readouterr().out
    declined = Verdict(id="x", question="Vad kostar en parkering?", type="out_of_scope",
                       answerable=False, abstained=True, rank=None, gold=[], cited=[],
                       facts_missing=None)
    assert in_top3(declined) == 1.0
