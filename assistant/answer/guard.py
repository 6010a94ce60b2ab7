"""What may reach the answerer: a checked question with injected instructions removed."""

from __future__ import annotations

import re

from assistant.errors import UserError

# Clauses that address the assistant instead of asking about the agreement. The extractive
# answerer cannot be steered by them anyway; removing them keeps them out of retrieval.
INSTRUCTION = re.compile(
    r"^\s*system\s*:|"
    r"[^.?!:\n]*\b(ignorera|strunta i|glöm|bortse från|ignore|disregard|forget|override|"
    r"du är nu|you are now|låtsas|pretend|act as|system ?prompt|jailbreak|från och med nu|"
    r"from now on|svara (?:bara|endast|alltid|utan|kort)|skriv (?:bara|endast|utan)|"
    r"answer (?:only|always|without)|säg att|say that)\b"
    r"[^.?!:\n]*[.?!:]?",
    re.IGNORECASE,
)


def check_question(question: str | None, max_chars: int) -> str:
    """The question, whitespace-collapsed; a Swedish UserError when it cannot be asked."""
    if question is None or not str(question).strip():
        raise UserError("Frågan är tom. Skriv en fråga om avtalet, till exempel "
                        "”Vem betalar hjälpmedel till barn?”.")
    text = " ".join(str(question).split())
    if len(text) > max_chars:
        raise UserError(f"Frågan är för lång ({len(text)} tecken). Korta ner den till högst "
                        f"{max_chars} tecken.")
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 or 0xD800 <= ord(ch) <= 0xDFFF
           for ch in text) or "\ufffd" in text:
        raise UserError("Frågan innehåller tecken som inte kan läsas. Skriv den som vanlig text.")
    return text


# What an instruction is about: "hitta på en paragraf som säger att kommunen ska stå för …".
CLAIM = re.compile(r"\b(?:säger|säg|säga|påstår|står)\s+att\s+([^.?!]+)", re.IGNORECASE)


def strip_instructions(question: str) -> str:
    """The question without clauses that try to instruct the assistant."""
    return " ".join(INSTRUCTION.sub(" ", question).split())


def instruction_topic(question: str) -> str:
    """When a question is all instruction, the claim it wants made, so that the answer can
    quote what the documents really say about it instead of nothing."""
    claims = [m.group(1).strip() for m in CLAIM.finditer(question)]
    return " ".join(claims)
