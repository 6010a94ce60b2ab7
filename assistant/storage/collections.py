"""Named Q&A collections: a trainer's "Spara" on an answer keeps question, answer and
citations (personnummer and patient names redacted) for handouts and evaluation runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from assistant.config import Settings
from assistant.config import settings as default_settings
from assistant.errors import UserError
from assistant.ingest.clean import collapse
from assistant.privacy import redact_personal, redact_value
from assistant.storage import db

MAX_NAME = 200


@dataclass(frozen=True)
class SavedAnswer:
    id: int
    collection: str
    created_at: datetime
    question: str
    answer: str
    short_answer: str | None
    citations: list[dict]
    key_facts: list[str]
    note: str
    abstained: bool


@dataclass(frozen=True)
class CollectionInfo:
    name: str
    created_at: datetime
    items: int


def clean_name(name: str) -> str:
    text = redact_personal(collapse(name or ""))
    if not text:
        raise UserError("samlingen behöver ett namn.")
    if len(text) > MAX_NAME:
        raise UserError(f"samlingens namn får vara högst {MAX_NAME} tecken.")
    return text


def save_answer(collection: str, question: str, answer_dict: dict, *,
                key_facts: list[str] | None = None, note: str = "",
                settings: Settings | None = None) -> int:
    """Put one answer (the contract dict of `Answer.to_dict()`) into the named collection,
    creating it when new; returns the item id. `key_facts` are the facts a trainer marked
    (verbatim from the cited sections)."""
    engine = db.engine(settings or default_settings())
    name = clean_name(collection)
    now = db.utcnow()
    row = {
        "created_at": now,
        "question": redact_personal(collapse(question)),
        "answer": redact_personal(answer_dict.get("answer") or ""),
        "short_answer": redact_personal(answer_dict.get("short_answer") or "") or None,
        "citations": redact_value(list(answer_dict.get("citations") or [])),
        "key_facts": [redact_personal(collapse(f)) for f in key_facts or [] if collapse(f)],
        "note": redact_personal(note.strip()),
    }
    with engine.begin() as connection:
        collection_id = _collection_id(connection, name, now)
        result = connection.execute(
            sa.insert(db.collection_items).values(collection_id=collection_id, **row))
        return int(result.inserted_primary_key[0])


def _collection_id(connection, name: str, now: datetime) -> int:
    table = db.collections
    found = connection.execute(sa.select(table.c.id).where(table.c.name == name)).scalar()
    if found is not None:
        return int(found)
    result = connection.execute(sa.insert(table).values(name=name, created_at=now))
    return int(result.inserted_primary_key[0])


def list_collections(settings: Settings | None = None) -> list[CollectionInfo]:
    engine = db.engine(settings or default_settings())
    c, i = db.collections, db.collection_items
    query = (sa.select(c.c.name, c.c.created_at, sa.func.count(i.c.id))
             .select_from(c.outerjoin(i, i.c.collection_id == c.c.id))
             .group_by(c.c.id, c.c.name, c.c.created_at).order_by(c.c.name))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [CollectionInfo(name, db.as_utc(created), int(count)) for name, created, count in rows]


def collection_items(name: str, settings: Settings | None = None) -> list[SavedAnswer]:
    """The items of a collection, oldest first; UserError when no such collection exists."""
    engine = db.engine(settings or default_settings())
    c, i = db.collections, db.collection_items
    wanted = collapse(name)
    with engine.connect() as connection:
        exists = connection.execute(sa.select(c.c.id).where(c.c.name == wanted)).scalar()
        if exists is None:
            raise UserError(f"det finns ingen samling som heter ”{wanted}”.")
        rows = connection.execute(
            sa.select(i).where(i.c.collection_id == exists).order_by(i.c.id)).mappings().all()
    return [_item(wanted, row) for row in rows]


def has_collection(name: str, settings: Settings | None = None) -> bool:
    engine = db.engine(settings or default_settings())
    c = db.collections
    with engine.connect() as connection:
        return connection.execute(
            sa.select(c.c.id).where(c.c.name == collapse(name))).scalar() is not None


def remove_item(item_id: int, settings: Settings | None = None) -> bool:
    engine = db.engine(settings or default_settings())
    with engine.begin() as connection:
        result = connection.execute(
            sa.delete(db.collection_items).where(db.collection_items.c.id == item_id))
    return result.rowcount == 1


def _item(name: str, row) -> SavedAnswer:
    citations = list(row["citations"] or [])
    return SavedAnswer(
        id=int(row["id"]), collection=name, created_at=db.as_utc(row["created_at"]),
        question=row["question"], answer=row["answer"], short_answer=row["short_answer"],
        citations=citations, key_facts=list(row["key_facts"] or []), note=row["note"] or "",
        abstained=not citations,
    )
