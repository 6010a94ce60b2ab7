"""Avtalsassistenten: cited Swedish answers from the VGR health-care agreement.

Pipeline, one package per step: ingest (files → sections) → index (chunks, vectors, BM25)
→ retrieve (hybrid search) → answer (extractive, verified quotes) → service (the one answering
path) → cli / web / eval.
"""

import os

# ONNX Runtime 1.32 reports usage to Microsoft on Linux too (1DS telemetry: a device id under
# ~/.cache/Microsoft, an event store, uploads to events.data.microsoft.com when the network
# allows). Off before any module imports it; an administrator may still set it otherwise.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
