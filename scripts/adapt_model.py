"""Experiment (not part of set-up): fine-tune the embedding model on question sets.

Each answerable first-turn question with a key fact is paired with the sentence of the
current index that holds that fact, under its heading path (as the index embeds it), and
the model is trained with in-batch negatives (a contrastive loss over the batch's pairs,
`query: ` / `passage: ` prompts as always). The folder written is a sentence-transformers
model that `AVTAL_MODEL_DIR=<out> AVTAL_EMBEDDING=torch` uses (build an index with it first).

    .venv/bin/python scripts/adapt_model.py --out /tmp/adapted eval/questions.yaml …

Measured in docs/answer-quality.md (session 12): trained on ten sets, nine others gained in
section hit@1 and hit@3; the seven fixture documents did not, and their facts fell. So the
shipped model stays the converted one; this script is here to reproduce that.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

from assistant.config import Settings
from assistant.eval.questions import load_questions
from assistant.index import store
from assistant.index.convert_model import MARKER
from assistant.ingest.clean import collapse


def training_pairs(sets: list[Path], settings: Settings) -> list[tuple[str, str]]:
    """(question, headed sentence holding its first key fact) for first-turn questions."""
    index = store.open_index(settings)
    by_id = {section.id: section for section in index.sections}
    sentences = [(collapse(s.text).lower(), s) for s in index.sentences]
    pairs = []
    for path in sets:
        for question in load_questions(path):
            if question.history or not question.key_facts:
                continue
            fact = collapse(question.key_facts[0]).lower()
            found = next((s for text, s in sentences if fact in text), None)
            if found is not None:
                pairs.append((question.question,
                              f"{by_id[found.section_id].heading_path}\n{found.text}"))
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="+", type=Path, help="question sets to train on")
    parser.add_argument("--out", type=Path, required=True, help="folder for the model")
    parser.add_argument("--lr", type=float, default=1e-5)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    settings = Settings()
    pairs = training_pairs(args.sets, settings)
    print(f"{len(pairs)} pairs")
    random.seed(0)
    torch.manual_seed(0)
    model = SentenceTransformer(str(settings.model_dir), device="cpu")
    model.max_seq_length = 160
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr)
    model.train()

    def embed(texts: list[str]) -> torch.Tensor:
        return model(model.tokenize(texts))["sentence_embedding"]

    for epoch in range(args.epochs):
        random.shuffle(pairs)
        for start in range(0, len(pairs), args.batch):
            batch = pairs[start:start + args.batch]
            if len(batch) < 4:
                continue
            questions = embed([f"query: {q}" for q, _ in batch])
            passages = embed([f"passage: {p}" for _, p in batch])
            loss = torch.nn.functional.cross_entropy(
                questions @ passages.T * 20, torch.arange(len(batch)))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        print(f"epoch {epoch + 1}: last batch loss {loss.item():.3f}")
    model.eval()
    model.save(str(args.out))
    # The set-up's marker: without it the embedder would convert the base model over it.
    shutil.copy(settings.model_dir / MARKER, args.out / MARKER)
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
