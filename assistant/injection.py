"""Text addressed to an AI assistant instead of to a reader: "Ignorera tidigare instruktioner
…", "Du är nu …", "System: …". The question guard (answer/guard.py) removes such clauses from
questions; a document's sentence that is one is never quoted (index/chunking.py), so a file
planted in the corpus cannot put an instruction into an answer."""

from __future__ import annotations

import re

# The assistant's own instructions, rules or prompt, as the object of "ignorera", "glöm" …
OWN_RULES = (r"(?:tidigare|föregående|ovanstående|dina|alla|previous|above|prior|your|all)\s+"
             r"(?:\w+\s+)?(?:instruktion\w*|regler\w*|anvisning\w*|prompt\w*|instructions?|"
             r"rules|direktiv\w*)|allt\s+(?:ovan|du\s+vet)")
DROP_VERBS = r"(?:ignorera|strunta\s+i|glöm|bortse\s+från|ignore|disregard|forget)"
# Words only an instruction to a model uses.
MODEL_WORDS = r"\bdu\s+är\s+nu\b|\byou\s+are\s+now\b|\bsystem\s?prompt\w*|\bjailbreak\b"
_ADDRESSED = re.compile(
    r"^\W*(?:system|assistant|assistent)\s*:|"
    rf"\b{DROP_VERBS}\s+(?:{OWN_RULES})|{MODEL_WORDS}",
    re.IGNORECASE,
)


def addresses_assistant(text: str) -> bool:
    """Whether a document's sentence speaks to an AI assistant (and is no content)."""
    return bool(_ADDRESSED.search(text))
