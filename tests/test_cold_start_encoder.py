"""The question encoder's weights kept beside its graph (issue 11, part 7): ONNX Runtime maps
them instead of parsing the whole graph file; the same vectors, and a folder made by an
earlier version is moved to that form in place."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.config import settings
from assistant.index import convert_model
from assistant.index.convert_model import (
    QUERY_ENCODER,
    QUERY_MARKER,
    QUERY_WEIGHTS,
    ensure_query_model,
    query_folder,
    query_marker,
)
from assistant.index.embed import QueryEncoder

QUESTIONS = ["query: Vem står för kostnaden när en boende behöver förbrukningsartiklar?",
             "query: Hur länge gäller överenskommelsen om läkemedel?",
             "query: HSL 26 § – vad gäller i särskilt boende? ÅÄÖ ☃ e\u0301"]


@pytest.fixture(scope="module")
def made_folder() -> Path:
    """The project's question-side files as set-up makes them now."""
    model_dir = settings().model_dir
    if query_marker(model_dir) is None:
        pytest.skip("set-up has not made the question-side files")
    return ensure_query_model(model_dir)


def _one_file_copy(made: Path, model_dir: Path) -> Path:
    """A model folder whose question files hold a one-file encoder, as earlier versions made
    them (the other files linked, the ONNX export's marker copied so the marker matches)."""
    import onnx

    model_dir.mkdir()
    for path in made.parent.iterdir():  # the converted model and its ONNX export, linked
        if path.name != made.name and not path.name.endswith(".lock"):
            (model_dir / path.name).symlink_to(path)
    folder = query_folder(model_dir)
    folder.mkdir()
    for path in made.iterdir():
        if path.name not in (QUERY_ENCODER, QUERY_WEIGHTS, QUERY_MARKER):
            (folder / path.name).symlink_to(path)
    shutil.copy(made / QUERY_MARKER, folder / QUERY_MARKER)
    onnx.save(onnx.load(str(made / QUERY_ENCODER)), str(folder / QUERY_ENCODER))
    return folder


@pytest.mark.slow
def test_set_up_keeps_the_weights_beside_a_small_graph(made_folder: Path) -> None:
    assert (made_folder / QUERY_WEIGHTS).stat().st_size > 50_000_000
    assert (made_folder / QUERY_ENCODER).stat().st_size < 2_000_000


@pytest.mark.slow
def test_an_earlier_one_file_encoder_is_moved_apart_with_the_same_vectors(
        made_folder: Path, tmp_path: Path) -> None:
    folder = _one_file_copy(made_folder, tmp_path / "model")
    assert not (folder / QUERY_WEIGHTS).exists()
    assert (folder / QUERY_ENCODER).stat().st_size > 50_000_000
    assert query_marker(tmp_path / "model") is not None  # still a valid folder, as it was
    before = QueryEncoder(folder).encode(QUESTIONS)

    assert ensure_query_model(tmp_path / "model") == folder.resolve()
    assert (folder / QUERY_WEIGHTS).is_file()
    assert (folder / QUERY_ENCODER).stat().st_size < 2_000_000
    assert not [p for p in folder.iterdir() if p.name.startswith(".apart-")]
    after = QueryEncoder(folder).encode(QUESTIONS)
    assert np.array_equal(before, after)  # the same bytes: the same vectors, bit for bit
    assert np.array_equal(after, QueryEncoder(made_folder).encode(QUESTIONS))


@pytest.mark.slow
def test_a_move_that_would_change_vectors_leaves_the_folder_as_it_was(
        made_folder: Path, tmp_path: Path, monkeypatch) -> None:
    folder = _one_file_copy(made_folder, tmp_path / "model")
    size = (folder / QUERY_ENCODER).stat().st_size
    real = convert_model._weights_apart

    def damaged(encoder: Path, out: Path) -> None:
        import onnx
        from onnx import numpy_helper

        real(encoder, out)
        model = onnx.load(str(out / QUERY_ENCODER))
        tensor = max(model.graph.initializer, key=lambda t: np.prod(t.dims))
        values = numpy_helper.to_array(tensor) * 1.001
        tensor.CopyFrom(numpy_helper.from_array(values, tensor.name))
        onnx.save_model(model, str(out / QUERY_ENCODER), save_as_external_data=True,
                        all_tensors_to_one_file=True, location=QUERY_WEIGHTS,
                        size_threshold=1024)

    monkeypatch.setattr(convert_model, "_weights_apart", damaged)
    with pytest.raises(RuntimeError, match="other vectors"):
        ensure_query_model(tmp_path / "model")
    assert not (folder / QUERY_WEIGHTS).exists()
    assert (folder / QUERY_ENCODER).stat().st_size == size
