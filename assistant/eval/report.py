"""Write an evaluation run as report.md and report.html (same content) with PNG plots.

The report is built once as a list of blocks (headings, paragraphs, tables, images) and
rendered twice: Markdown links the PNG files beside it, HTML embeds them as data URIs so the
file can be mailed on its own (no CDN, no external asset).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from assistant.eval.metrics import K_VALUES, NO_GOLD, RECALL_KS
from assistant.eval.runner import Run

if TYPE_CHECKING:  # matplotlib is imported where a plot is drawn: it costs seconds at start
    from matplotlib.figure import Figure

CURVE_KS = range(1, 6)
_PLOTS = {
    "hit_at_k.png": "Andel rätt källa bland de k första källhänvisningarna",
    "latency.png": "Svarstider",
    "per_part.png": "hit@1 per del",
    "risk_coverage.png": "Risk och täckning: andel fel bland de svar assistenten är säkrast på",
}
TURN_LABELS = {"first": "Första frågan", "follow_up": "Följdfråga", "topic_switch": "Byte av ämne"}


@dataclass(frozen=True)
class Block:
    """One piece of the report: kind is h1, h2, p, table or img."""

    kind: str
    text: str = ""
    headers: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %".replace(".", ",")


def interval(ci: Sequence[float] | None) -> str:
    """ "(77–87)": a 95 % interval in percent."""
    if not ci:
        return ""
    return f" ({ci[0] * 100:.0f}–{ci[1] * 100:.0f})"


def ms(value: float | None) -> str:
    if value is None:
        return "–"
    return (f"{value:.1f}" if value < 10 else f"{value:.0f}").replace(".", ",") + " ms"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Block:
    return Block("table", headers=tuple(headers), rows=tuple(tuple(r) for r in rows))


def headline(result: Run, baseline: Run | None) -> list[Block]:
    runs = [result] + ([baseline] if baseline else [])
    rows = [
        *[(f"hit@{k}", f"hit{k}", pct) for k in K_VALUES],
        ("MRR", "mrr", lambda v: "–" if v is None else f"{v:.3f}".replace(".", ",")),
        ("Nyckelfakta i svaret", "facts", pct),
        ("Nyckelfakta i den första meningen (kort svar)", "short_facts", pct),
        ("Avböjer frågor utanför avtalet", "oos_abstain", pct),
        ("Avböjer felaktigt (besvarbara frågor)", "false_abstain", pct),
        *[(f"Sökningens recall@{k} (före svaret)", f"recall{k}", pct) for k in RECALL_KS],
        ("Citeringar som pekar på ett guldavsnitt", "citation_precision", pct),
        ("Citat som inte finns ordagrant", "unverified_quotes", str),
        ("Guldkällor som inte hittas i avsnittsträdet", "unresolved_gold", str),
        ("Svarstid, median", "latency_p50_ms", ms),
        ("Svarstid, 95:e percentil", "latency_p95_ms", ms),
        ("Antal frågor", "n", str),
    ]

    def cell(result: Run, key: str, fmt) -> str:
        value = result.metrics.get(key)
        text = fmt(value)
        if fmt is pct and value is not None:
            text += interval(result.metrics.get("ci", {}).get(key))
        return text

    table = _table(
        ["Mått (95 % intervall)"] + [r.name for r in runs],
        [[label] + [cell(r, key, fmt) for r in runs] for label, key, fmt in rows
         if any(r.metrics.get(key) is not None for r in runs) or key == "n"],
    )
    blocks = [Block("h2", "Sammanfattning"), table]
    if baseline:
        ours, theirs = result.metrics.get("hit1"), baseline.metrics.get("hit1")
        if ours is not None and theirs is not None:
            diff = (ours - theirs) * 100
            verb = "slår baslinjen med" if diff >= 0 else "ligger under baslinjen med"
            amount = f"{abs(diff):.1f}".replace(".", ",")
            blocks.append(Block("p", f"Assistenten {verb} {amount} procentenheter på hit@1."))
        blocks.append(
            Block(
                "p",
                "Baslinjen är LangChains standardrecept: RecursiveCharacterTextSplitter "
                "(1000 tecken, 200 överlapp) över de råa korpusfilerna, samma e5-vektorer i "
                "Chroma, de fem närmaste bitarna som källhänvisningar och den första som svar; "
                "den avböjer aldrig. Dess citat är råa textbitar (med sidbrytningar och "
                "avstavningar, ofta över avsnittsgränser), därför verifieras de sällan.",
            )
        )
    return blocks


def breakdown(title: str, key: str, result: Run, baseline: Run | None) -> list[Block]:
    groups = result.metrics.get(key, {})
    if not groups:
        return []
    headers = ["Grupp", "n", "hit@1", "hit@3", "MRR", "Nyckelfakta", "Avböjer fel", "Avböjer OOS"]
    if baseline:
        headers += ["Baslinje hit@1", "Baslinje hit@3"]
    rows = []
    for label, m in groups.items():
        mrr = "–" if m["mrr"] is None else f"{m['mrr']:.3f}".replace(".", ",")
        row = [
            label,
            str(m["n"]),
            pct(m["hit1"]),
            pct(m["hit3"]),
            mrr,
            pct(m["facts"]),
            pct(m["false_abstain"]),
            pct(m["oos_abstain"]),
        ]
        if baseline:
            other = baseline.metrics.get(key, {}).get(label, {})
            row += [pct(other.get("hit1")), pct(other.get("hit3"))]
        rows.append(row)
    return [Block("h2", title), _table(headers, rows)]


def turns(result: Run) -> list[Block]:
    """First turns, follow-ups and topic switches, and the set asked in chat order."""
    blocks: list[Block] = []
    groups = result.metrics.get("by_turn", {})
    if len(groups) > 1:
        rows = [
            (TURN_LABELS.get(label, label), str(m["n"]), pct(m["hit1"]) + interval(
                m["ci"].get("hit1")), pct(m["hit3"]) + interval(m["ci"].get("hit3")),
             pct(m["oos_abstain"]), pct(m["false_abstain"]))
            for label, m in groups.items()
        ]
        blocks += [
            Block("h2", "Per samtalsläge"),
            _table(["Läge", "n", "hit@1", "hit@3", "Avböjer OOS", "Avböjer fel"], rows),
        ]
    chat = result.metrics.get("chat_order")
    if chat:
        rows = [
            (key, pct(v["alone"]), pct(v["chat"]),
             "–" if v["difference"] is None else f"{v['difference'] * 100:+.1f}".replace(".", ","))
            for key, v in chat.items()
        ]
        blocks += [
            Block("h2", "Hela frågefilen i samtalsordning"),
            Block("p", "Varje fråga ställd efter alla filens tidigare frågor i samma samtal, "
                       "jämfört med samma fråga ställd ensam (skillnad i procentenheter)."),
            _table(["Mått", "Ensam", "I samtalsordning", "Skillnad"], rows),
        ]
    return blocks


def misses(result: Run) -> list[Block]:
    """Every failure a person should look at, with what was cited instead."""
    blocks: list[Block] = []
    wrong = [v for v in result.verdicts if v.answerable and not v.hit(1)]
    if wrong:
        rows = [
            (
                v.id,
                v.type,
                v.question,
                "; ".join(v.gold),
                "(avböjde) " * v.abstained + ("; ".join(v.cited[:3]) or "–"),
                "–" if v.rank is None else str(v.rank),
            )
            for v in wrong
        ]
        blocks += [
            Block("h2", f"Missar: rätt källa inte först ({len(wrong)})"),
            _table(["Id", "Typ", "Fråga", "Guld", "Citerade i stället", "Rang"], rows),
        ]
    answered = [v for v in result.verdicts if not v.answerable and not v.abstained]
    if answered:
        rows = [(v.id, v.type, v.question, "; ".join(v.cited[:3]) or "–") for v in answered]
        blocks += [
            Block("h2", f"Besvarade trots att svar saknas i dokumenten ({len(answered)})"),
            _table(["Id", "Typ", "Fråga", "Citerade"], rows),
        ]
    facts = [v for v in result.verdicts if v.facts_ok is False]
    if facts:
        rows = [(v.id, v.question, "; ".join(v.facts_missing or [])) for v in facts]
        blocks += [
            Block("h2", f"Nyckelfakta saknas i svaret ({len(facts)})"),
            _table(["Id", "Fråga", "Saknade nyckelfakta"], rows),
        ]
    quotes = [(v, u) for v in result.verdicts for u in v.unverified]
    if quotes:
        rows = [(v.id, u["label"], u["reason"], u["quote"][:200]) for v, u in quotes]
        blocks += [
            Block("h2", f"Citat som inte kunde verifieras ({len(quotes)})"),
            _table(["Id", "Källhänvisning", "Problem", "Citat"], rows),
        ]
    unresolved = [v for v in result.verdicts if v.unresolved_gold]
    if unresolved:
        rows = [(v.id, "; ".join(v.unresolved_gold)) for v in unresolved]
        blocks += [
            Block("h2", "Guldkällor som inte finns i avsnittsträdet"),
            _table(["Id", "Guld"], rows),
        ]
    return blocks


def _figure(**kwargs) -> Figure:
    from matplotlib.figure import Figure

    return Figure(**kwargs)


def _save(figure: Figure, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(figure)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def plot_hit_at_k(runs: Sequence[Run], path: Path) -> None:
    figure = _figure(figsize=(6, 4))
    axes = figure.add_subplot()
    for result in runs:
        answerable = [v for v in result.verdicts if v.answerable]
        if not answerable:
            continue
        shares = [sum(v.hit(k) for v in answerable) / len(answerable) for k in CURVE_KS]
        axes.plot(list(CURVE_KS), shares, marker="o", label=result.name)
    axes.set(xlabel="k (antal källhänvisningar)", ylabel="hit@k", ylim=(0, 1.02))
    axes.set_xticks(list(CURVE_KS))
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    _save(figure, path)


def plot_latency(runs: Sequence[Run], path: Path) -> None:
    figure = _figure(figsize=(6, 4))
    axes = figure.add_subplot()
    # Log-spaced bins: the systems differ by orders of magnitude, and tails matter.
    values = [max(v.latency_ms, 0.1) for result in runs for v in result.verdicts]
    bins = np.geomspace(min(values), max(values) * 1.01, 30) if values else 10
    for result in runs:
        latencies = [max(v.latency_ms, 0.1) for v in result.verdicts]
        axes.hist(latencies, bins=bins, alpha=0.6, label=result.name)
    axes.set_xscale("log")
    axes.set(xlabel="svarstid (ms, logaritmisk skala)", ylabel="antal frågor")
    axes.legend()
    _save(figure, path)


def plot_per_part(runs: Sequence[Run], path: Path) -> None:
    labels = [k for k, m in runs[0].metrics.get("by_part", {}).items() if k != NO_GOLD]
    figure = _figure(figsize=(8, 4))
    axes = figure.add_subplot()
    width = 0.8 / max(len(runs), 1)
    for index, result in enumerate(runs):
        groups = result.metrics.get("by_part", {})
        values = [groups.get(label, {}).get("hit1") or 0.0 for label in labels]
        positions = [i + index * width for i in range(len(labels))]
        axes.bar(positions, values, width=width, label=result.name)
    axes.set_xticks(
        [i + width * (len(runs) - 1) / 2 for i in range(len(labels))],
        labels,
        rotation=15,
    )
    axes.set(ylabel="hit@1", ylim=(0, 1.2), yticks=[0, 0.2, 0.4, 0.6, 0.8, 1.0])
    axes.legend(loc="upper right", ncols=2)
    _save(figure, path)


def plot_risk_coverage(runs: Sequence[Run], path: Path) -> None:
    figure = _figure(figsize=(6, 4))
    axes = figure.add_subplot()
    for result in runs:
        points = result.metrics.get("risk_coverage") or []
        if points:
            axes.plot([c for c, _ in points], [r for _, r in points], label=result.name)
    axes.set(xlabel="täckning (andel frågor som besvaras)", ylabel="risk (andel fel svar)",
             xlim=(0, 1.0), ylim=(0, 1.0))
    axes.grid(alpha=0.3)
    if any(r.metrics.get("risk_coverage") for r in runs):
        axes.legend(loc="upper left")
    _save(figure, path)


def build(result: Run, baseline: Run | None, about: Sequence[str]) -> list[Block]:
    blocks = [Block("h1", "Utvärdering av Avtalsassistenten")]
    blocks += [Block("p", line) for line in about]
    blocks += headline(result, baseline)
    blocks += [Block("img", name, headers=(alt,)) for name, alt in _PLOTS.items()]
    blocks += turns(result)
    blocks += breakdown("Per frågetyp", "by_type", result, baseline)
    blocks += breakdown("Per del", "by_part", result, baseline)
    blocks += breakdown("Per överenskommelse (Del C)", "by_agreement", result, baseline)
    blocks += misses(result)
    blocks.append(
        Block(
            "p",
            "hit@k: rätt avsnitt (eller ett underavsnitt till det) bland de k första "
            "källhänvisningarna; för multi-frågor ska alla guldavsnitt finnas bland de "
            "max(k, antal guld) första. Avböjda svar räknas som missar. Citeringar som "
            "pekar på ett guldavsnitt: andelen av alla källhänvisningar i besvarade frågor; "
            "ett närliggande \"se även\"-avsnitt som inte är guld räknas emot. Sökningens "
            "recall@k: ett guldavsnitt bland de k avsnitt sökningen rangordnar först, innan "
            "assistenten väljer citat. Intervallen är 95 % Wilson-intervall. Risk och täckning: "
            "svaren ordnade efter assistentens egen sannolikhet att dokumenten svarar; ett "
            "avböjt svar bedöms efter sökningens första avsnitt.",
        )
    )
    return blocks


def _md_cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def to_markdown(blocks: Sequence[Block]) -> str:
    out: list[str] = []
    for block in blocks:
        if block.kind == "h1":
            out.append(f"# {block.text}")
        elif block.kind == "h2":
            out.append(f"## {block.text}")
        elif block.kind == "p":
            out.append(block.text)
        elif block.kind == "img":
            out.append(f"![{block.headers[0]}]({block.text})")
        elif block.kind == "table":
            out.append("| " + " | ".join(_md_cell(h) for h in block.headers) + " |")
            out.append("|" + "---|" * len(block.headers))
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
        out.append("")
    return "\n".join(out)


_CSS = (
    "body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;"
    "color:#1b1b1b}table{border-collapse:collapse;margin:1rem 0;font-size:.9rem}"
    "th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#f0f3f6}img{max-width:100%;margin:.5rem 1rem .5rem 0}"
)


def to_html(blocks: Sequence[Block], image_dir: Path) -> str:
    out = [
        '<!DOCTYPE html><html lang="sv"><head><meta charset="utf-8">',
        "<title>Utvärdering av Avtalsassistenten</title>",
        f"<style>{_CSS}</style></head><body>",
    ]
    for block in blocks:
        text = html.escape(block.text)
        if block.kind in ("h1", "h2"):
            out.append(f"<{block.kind}>{text}</{block.kind}>")
        elif block.kind == "p":
            out.append(f"<p>{text}</p>")
        elif block.kind == "img":
            data = base64.b64encode((image_dir / block.text).read_bytes()).decode("ascii")
            alt = html.escape(block.headers[0])
            out.append(f'<img src="data:image/png;base64,{data}" alt="{alt}" title="{alt}">')
        elif block.kind == "table":
            head = "".join(f"<th>{html.escape(h)}</th>" for h in block.headers)
            body = "".join(
                "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                for row in block.rows
            )
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out)


def write_report(
    result: Run, baseline: Run | None, out_dir: Path, about: Sequence[str] = ()
) -> None:
    """report.md, report.html and the three PNG plots in out_dir."""
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = [result] + ([baseline] if baseline else [])
    plot_hit_at_k(runs, out_dir / "hit_at_k.png")
    plot_latency(runs, out_dir / "latency.png")
    plot_per_part(runs, out_dir / "per_part.png")
    plot_risk_coverage(runs, out_dir / "risk_coverage.png")
    blocks = build(result, baseline, about)
    (out_dir / "report.md").write_text(to_markdown(blocks), encoding="utf-8")
    (out_dir / "report.html").write_text(to_html(blocks, out_dir), encoding="utf-8")
