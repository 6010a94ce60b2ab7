"""What a question itself says about where its answer stands.

Staff often name the place ("enligt del A", "i färdplanen") or ask how things were before
("jämfört med förra avtalet"). Near-identical sentences appear in several parts (Del A's
Värdegrund and an överenskommelse's own list), so such a cue decides between them. Cues
are read from general Swedish phrasing, never from particular questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.retrieve.spelling import WORD

PART = re.compile(r"\bdel\s+([abc])\b", re.IGNORECASE)
STRATEGY = re.compile(r"\bfärdplan", re.IGNORECASE)
# The previous agreement, or what changed: the cover memo and the context documents say it.
HISTORY = re.compile(
    r"\b(?:förra|gamla|tidigare|föregående|förut|innan)\s+(?:avtal|överenskommels)\w*|"
    r"\b(?:ändrades|ändrats|ändrat|förändrats|förändrades|nyheter(?:na)?|skillnad\w*)\b|"
    r"\bvad\s+(?:är|var|blir)\s+nytt\b|"
    r"\bjämfört\s+med\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Cues:
    part: str | None = None  # "A", "B" or "C" when the question names a part
    strategy: bool = False  # the question names the Färdplan
    history: bool = False  # the question asks about the previous agreement or changes


def read_cues(question: str) -> Cues:
    parts = {m.group(1).upper() for m in PART.finditer(question)}
    return Cues(
        part=parts.pop() if len(parts) == 1 else None,
        strategy=bool(STRATEGY.search(question)),
        history=bool(HISTORY.search(question)),
    )


def in_english(question: str) -> bool:
    """Mostly English words: the documents are Swedish, so the answer asks for Swedish."""
    from wordfreq import zipf_frequency

    words = [w.lower() for w in WORD.findall(question)]
    english = sum(zipf_frequency(w, "en") > zipf_frequency(w, "sv") + 1 for w in words)
    return len(words) >= 3 and english / len(words) > 0.5
