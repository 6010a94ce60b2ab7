"""HTTP API (FastAPI) served beside the web chat."""
