"""Persistence for trainers' data: Q&A collections and the question log.

One SQLAlchemy Core schema (`db.py`) runs on SQLite by default (`data/avtal.db`) and on
PostgreSQL when `AVTAL_DATABASE_URL` points there. Every text is redacted
(assistant/privacy.py) before it is written.
"""
