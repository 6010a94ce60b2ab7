"""Red team: a build that cannot write says why in Swedish (was "OSError; kör med -v")."""

from __future__ import annotations

import argparse
import dataclasses
import errno

import pytest

from assistant.config import settings
from assistant.errors import UserError


@pytest.mark.parametrize("code, said", [(errno.EROFS, "skrivskyddad"),
                                        (errno.EACCES, "skrivskyddad"),
                                        (errno.ENOSPC, "full")])
def test_a_build_that_cannot_write_names_the_folder_and_why(tmp_path, monkeypatch, code, said):
    from assistant import commands
    from assistant.index import store

    config = dataclasses.replace(settings(), index_dir=tmp_path / "index",
                                 corpus_dir=tmp_path / "corpus")
    monkeypatch.setattr(commands, "settings", lambda: config)
    monkeypatch.setattr(store, "is_current", lambda _config: False)

    def cannot_write(*_args, **_kwargs):
        raise OSError(code, "simulerat fel", str(config.index_dir / "builds"))

    monkeypatch.setattr(store, "build", cannot_write)
    with pytest.raises(UserError) as raised:
        commands.run_index(argparse.Namespace(rebuild=False))
    assert said in str(raised.value) and str(config.index_dir) in str(raised.value)
