"""What staff ask: a report from the question log and the 👍/👎 feedback, with plots.

Questions per day, the sections answers cite most (first citation of each answered
question), the content gaps (declined and low-confidence questions, grouped), and 👎 with
comments. Plots are PNG files written next to the report (matplotlib, no display needed).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from assistant.config import Settings
from assistant.ingest.clean import collapse
from assistant.storage.questions import LoggedQuestion, logged
from assistant.trainers.printable import Block, Printable, to_html, to_markdown

TOP_SECTIONS = 10
LOW_CONFIDENCE = "låg"


@dataclass
class Insights:
    since: date | None
    questions: list[LoggedQuestion]
    per_day: list[tuple[str, int]]
    sections: list[tuple[str, int]]
    declined: list[tuple[str, int]]
    low_confidence: list[tuple[str, int]]
    thumbs_down: list[tuple[str, str, str]]  # (date, question, comment)


def section_label(row: dict) -> str:
    from assistant.answer.compose import where
    from assistant.types import Citation

    citation = Citation(document=row.get("document") or "", document_title=row.get(
        "document_title") or "", part=row.get("part"), agreement=row.get("agreement"),
        section=row.get("section"), title=row.get("title") or "", page=None, quote="")
    return where(citation)


def _grouped(questions: list[str]) -> list[tuple[str, int]]:
    """Same question (case and spacing aside) counted once, most frequent first."""
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for text in questions:
        key = collapse(text).casefold().rstrip("?!. ")
        counts[key] += 1
        shown.setdefault(key, collapse(text))
    return [(shown[key], n) for key, n in counts.most_common()]


def gather(settings: Settings, since: date | None = None) -> Insights:
    start = datetime.combine(since, time.min, tzinfo=UTC) if since else None
    rows = logged(settings, since=start)
    days = Counter(row.asked_at.date().isoformat() for row in rows)
    sections = Counter(section_label(row.sections[0]) for row in rows
                       if not row.abstained and row.sections)
    return Insights(
        since=since,
        questions=rows,
        per_day=sorted(days.items()),
        sections=sections.most_common(TOP_SECTIONS),
        declined=_grouped([r.question for r in rows if r.abstained]),
        low_confidence=_grouped([r.question for r in rows
                                 if not r.abstained and r.confidence == LOW_CONFIDENCE]),
        thumbs_down=_thumbs_down(settings, since),
    )


def _feedback_rows(settings: Settings) -> list:
    """The 👍/👎 rows from wherever the app stores them (the shared database when one is
    configured, else the local SQLite file; nothing is created)."""
    from assistant.storage.feedback import open_feedback

    return open_feedback(settings, read_only=True).rows()


def _thumbs_down(settings: Settings, since: date | None) -> list[tuple[str, str, str]]:
    out = []
    for row in _feedback_rows(settings):
        day = row.created_at[:10]
        if row.rating == "down" and (since is None or day >= since.isoformat()):
            out.append((day, row.question, row.comment))
    return out


def plots(insights: Insights, folder: Path, stem: str) -> list[Path]:
    """Bar charts: questions per day, most cited sections. Returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    written = []
    if insights.per_day:
        figure, axes = plt.subplots(figsize=(8, 3.2), dpi=110)
        axes.bar([d for d, _ in insights.per_day], [n for _, n in insights.per_day],
                 color="#1b4f72")
        axes.set_title("Frågor per dag")
        axes.set_ylabel("antal frågor")
        axes.tick_params(axis="x", labelrotation=45, labelsize=8)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        figure.tight_layout()
        written.append(_save(figure, folder / f"{stem}-fragor-per-dag.png"))
    if insights.sections:
        labels = [_short(label) for label, _ in reversed(insights.sections)]
        figure, axes = plt.subplots(figsize=(8, 0.45 * len(labels) + 1.2), dpi=110)
        axes.barh(labels, [n for _, n in reversed(insights.sections)], color="#1b4f72")
        axes.set_title("Oftast citerade avsnitt")
        axes.set_xlabel("antal frågor")
        axes.tick_params(axis="y", labelsize=8)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        figure.tight_layout()
        written.append(_save(figure, folder / f"{stem}-avsnitt.png"))
    plt.close("all")
    return written


def _short(text: str, limit: int = 60) -> str:
    """A plot label: the part and the lowest heading ("Del C … Munhälsobedömning")."""
    if len(text) <= limit:
        return text
    pieces = text.split(", ")
    if len(pieces) > 1:
        text = f"{pieces[0]} … {pieces[-1]}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _save(figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path


def report(insights: Insights, images: list[Path] | None = None) -> Printable:
    rows = insights.questions
    declined = sum(1 for r in rows if r.abstained)
    low = sum(1 for r in rows if not r.abstained and r.confidence == LOW_CONFIDENCE)
    period = f"från {insights.since.isoformat()}" if insights.since else "hela loggen"
    about = [f"Period: {period}. {len(rows)} frågor, {declined} avböjda, {low} med låg "
             f"säkerhet, {len(insights.thumbs_down)} 👎."]
    blocks: list[Block] = [Block("heading", "Frågor per dag")]
    blocks += [Block("item", f"{day}: {n}") for day, n in insights.per_day] or [
        Block("text", "Inga frågor loggade.")]
    blocks.append(Block("heading", "Oftast citerade avsnitt"))
    blocks += [Block("item", f"{label}: {n}") for label, n in insights.sections] or [
        Block("text", "Inga besvarade frågor.")]
    blocks.append(Block("heading", "Innehållsluckor: avböjda frågor"))
    blocks += _counted(insights.declined, "Inga avböjda frågor.")
    blocks.append(Block("heading", "Innehållsluckor: svar med låg säkerhet"))
    blocks += _counted(insights.low_confidence, "Inga svar med låg säkerhet.")
    blocks.append(Block("heading", "👎 med kommentarer"))
    blocks += [Block("item", f"{day}: ”{question}”" + (f" – {comment}" if comment else ""))
               for day, question, comment in insights.thumbs_down] or [
        Block("text", "Ingen 👎.")]
    for image in images or []:
        blocks.append(Block("image", image.name, note=image.stem))
    return Printable(title="Vad personalen frågar", about=about, blocks=blocks,
                     footer="Frågeloggen: personnummer och namn efter ”patient”/”brukare” "
                            "tas bort innan något sparas.")


def _counted(items: list[tuple[str, int]], empty: str) -> list[Block]:
    if not items:
        return [Block("text", empty)]
    return [Block("item", f"”{text}”" + (f" ({n} gånger)" if n > 1 else ""))
            for text, n in items]


def write_report(settings: Settings, since: date | None, fmt: str, out: Path | None,
                 stdout) -> list[Path]:
    """The report to `out` (plots beside it) or, without `out`, Markdown/HTML to stdout."""
    insights = gather(settings, since)
    if out is None:
        document = report(insights)
        stdout.write(to_markdown(document) if fmt == "md" else to_html(document))
        return []
    images = plots(insights, out.parent, out.stem)
    document = report(insights, images)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(to_markdown(document) if fmt == "md" else to_html(document), encoding="utf-8")
    return [out, *images]
