"""Avtalsassistenten: cited Swedish answers from the VGR health-care agreement.

Pipeline, one package per step: ingest (files → sections) → index (chunks, vectors, BM25)
→ retrieve (hybrid search) → answer (extractive, verified quotes) → service (the one answering
path) → cli / web / eval.
"""
