"""Shared fixtures: one real index (real model, real Chroma) built once per test session."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from assistant.config import Settings, settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def test_settings(tmp_path_factory) -> Settings:
    """The shipped corpus, with index and data folders of this session's own."""
    base = tmp_path_factory.mktemp("avtal")
    return dataclasses.replace(settings(), index_dir=base / "index", data_dir=base / "data")


@pytest.fixture(scope="session")
def assistant(test_settings):
    from assistant.service import Assistant

    return Assistant.load(test_settings)


@pytest.fixture(scope="session")
def sections(assistant):
    return assistant.sections
