"""Redact Swedish personal identity numbers before text is stored or logged.

Staff sometimes paste a patient's personnummer into a question; it must never reach the
feedback database, an export or a log file. The pattern is deliberately generous (any
plausible date followed by four digits, with "-", "+", a space or nothing between): a
redacted phone number is a cheap mistake, a stored personnummer is not.
"""

from __future__ import annotations

import logging
import re
import unicodedata

REDACTED = "[personnummer borttaget]"

# Month 01-12; day 01-31, or 61-91 for samordningsnummer (day + 60).
_MONTH = r"(?:0[1-9]|1[0-2])"
_DAY = r"(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
# Between the parts: nothing, spaces, or one dash-like mark (any Unicode dash, minus, "+",
# "/", "_", ".") with spaces around it: "19370619 - 4821", "1937-06-19-4821", "45 03 12-1234".
_MARK = r"[-+/_.\u2010-\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63]"
# Spaces and line breaks (a number pasted over two lines), and the invisible characters text
# copied from documents and web pages carries (soft hyphen, zero-width space and joiners,
# word joiner, byte-order mark).
_SPACE = r"[\s\u00ad\u200b-\u200d\u2060\ufeff]"
_SEP = rf"(?:{_SPACE}{{0,3}}{_MARK}{_SPACE}{{0,3}}|{_SPACE}{{1,3}})?"
# The last four digits, also written in pairs ("48 21").
_LAST = rf"\d{{2}}{_SPACE}?\d{{2}}"
_PERSONNUMMER = re.compile(
    rf"(?<![\d])(?:(?:18|19|20)\d{{2}}|\d{{2}}){_SEP}{_MONTH}{_SEP}{_DAY}{_SEP}{_LAST}"
    # not a date range ("2023-01-01 – 2026-12-31"): no further date part after the four digits
    rf"(?![\d]|{_SPACE}{{0,3}}{_MARK}{_SPACE}{{0,3}}\d)"
)


def _fold(text: str) -> str:
    """`text` with full-width and other non-ASCII digits, dashes and spaces folded as NFKC
    does, one character for one, so that match positions stay those of the original."""
    folded = []
    for ch in text:
        digit = None if ch.isascii() else unicodedata.digit(ch, None)
        simple = ch if ch.isascii() else unicodedata.normalize("NFKC", ch)
        folded.append(str(digit) if digit is not None else simple if len(simple) == 1 else ch)
    return "".join(folded)


def redact_personnummer(text: str, replacement: str = REDACTED) -> str:
    """Replace every personnummer-like string in `text`: YYMMDD-XXXX and YYYYMMDDXXXX, with
    any dash, space, "+", "/" or "_" between the parts (or none), samordningsnummer (day +
    60), full-width digits. The one redaction every sink uses (the search uses it with an
    empty replacement: a personnummer says nothing about where the answer stands)."""
    if not text:
        return text
    folded = _fold(text)
    spans = [m.span() for m in _PERSONNUMMER.finditer(folded)]
    for start, end in reversed(spans):
        text = text[:start] + replacement + text[end:]
    return text


def redact_value(value: object) -> object:
    """Redact strings inside nested lists/dicts (citations, log arguments)."""
    if isinstance(value, str):
        return redact_personnummer(value)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_value(item) for item in value)
    return value


class RedactingFilter(logging.Filter):
    """A logging filter that redacts personnummer in the formatted message of each record.

    Install it on handlers (not loggers) so records from every library are covered.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave the record as logging sees it
            return True
        redacted = redact_personnummer(message)
        if redacted != message or record.args:
            record.msg = redacted
            record.args = None
        if record.exc_info and not record.exc_text:
            # Format the traceback now (handlers reuse exc_text) so it is redacted too.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_personnummer(record.exc_text)
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Add a `RedactingFilter` to every handler of `logger` (the root logger by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


# A name written after "patient"/"brukare" (and their forms, and the shorthand "pat"): one to
# three capitalised words. Generous like the personnummer pattern.
NAME_REDACTED = "[namn borttaget]"
_NAME_WORD = r"[A-ZÅÄÖÉÜ][a-zåäöéüß]+(?:-[A-ZÅÄÖÉÜ][a-zåäöéüß]+)?"
_NAMED = re.compile(
    r"(?<![\wåäöÅÄÖ])((?i:patient(?:en|ens|er|erna)?|brukare(?:n|ns|na)?|pat\.?)[,:]?\s+)"
    rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}"
)


def redact_personal(text: str) -> str:
    """Personnummer, and a name following "patient"/"brukare", removed: for stored questions
    (the question log, collections)."""
    if not text:
        return text
    return _NAMED.sub(lambda m: m.group(1) + NAME_REDACTED, redact_personnummer(text))
