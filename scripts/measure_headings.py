"""Measure the section tree of one document against its printed headings.

    python scripts/measure_headings.py DOCUMENT.(txt|pdf) HEADINGS.txt

HEADINGS.txt lists every printed heading, one a line, with its number as printed. The
document is read through the normal corpus loader in a temporary corpus without a manifest
entry. Prints the share of printed headings found as sections (number and title), the share
of sections that are no printed heading (spurious), sections without a page, and what was
missed.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

from assistant.ingest.structure import load_corpus


def key(text: str) -> str:
    """A heading compared without case, spacing, a number's trailing dot or dash kinds."""
    text = re.sub(r"[\u2010-\u2015]", "-", " ".join(text.split())).casefold()
    return re.sub(r"^(\d+(?:\.\d+)*)\.(?=\s)", r"\1", text).strip(" .:")


def measure(document: Path, headings: Path) -> dict:
    printed = [key(x) for x in headings.read_text(encoding="utf-8").splitlines() if x.strip()]
    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(document, Path(folder) / document.name)
        documents, sections = load_corpus(Path(folder))
    labels = [key(f"{s.section} {s.title}" if s.section else s.title) for s in sections[1:]]
    missed = [h for h in printed if h not in set(labels)]
    spurious = [label for label in labels if label not in set(printed)]
    return {
        "id": documents[0].id, "document": documents[0].title, "kind": documents[0].kind,
        "valid": (documents[0].valid_from, documents[0].valid_to),
        "printed": len(printed), "sections": len(labels),
        "found": 1 - len(missed) / max(len(printed), 1),
        "spurious": len(spurious) / max(len(labels), 1),
        "without_page": sum(s.page_start is None for s in sections),
        "missed": missed, "spurious_titles": spurious,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("document", type=Path)
    parser.add_argument("headings", type=Path)
    args = parser.parse_args(argv)
    result = measure(args.document, args.headings)
    print(f"{args.document.name}: {result['document']!r} ({result['kind']}, giltig "
          f"{result['valid'][0]} – {result['valid'][1]})")
    print(f"  printed headings {result['printed']}, sections {result['sections']}, "
          f"found {result['found']:.1%}, spurious {result['spurious']:.1%}, "
          f"sections without page {result['without_page']}")
    for title in result["missed"]:
        print(f"  missed:   {title}")
    for title in result["spurious_titles"]:
        print(f"  spurious: {title}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
