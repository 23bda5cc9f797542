"""A built-in model file, and a governed revision's text, are parsed once and handed out as copies:
an edited file is read again, and a caller changing its model changes nobody else's."""

from __future__ import annotations

import shutil

from shujian import models_library
from shujian.governance.versions import parse_source
from shujian.spec import loader


def test_a_model_file_is_parsed_once_per_version_and_handed_out_as_a_copy(tmp_path, monkeypatch):
    src = models_library.model_path("pension-during-custody")
    shutil.copy(src, tmp_path / src.name)
    monkeypatch.setattr(models_library, "LIBRARY_DIR", tmp_path)
    monkeypatch.setattr(models_library, "_PARSED", {})
    calls = []
    real = models_library.load_model
    monkeypatch.setattr(models_library, "load_model", lambda p: calls.append(p) or real(p))

    first = models_library.get_model("pension-during-custody")
    first.name = "改过的名称"
    first.steps.clear()
    second = models_library.get_model("pension-during-custody")
    assert len(calls) == 1                                   # parsed once
    assert second.name != "改过的名称" and second.steps         # the caller's changes stayed its own
    assert second is not first

    text = (tmp_path / src.name).read_text(encoding="utf-8")
    (tmp_path / src.name).write_text(text.replace(f"name: {second.name}", "name: 新版本的名称", 1), encoding="utf-8")
    third = models_library.get_model("pension-during-custody")
    assert len(calls) == 2 and third.name == "新版本的名称"     # an edited file is read again


def test_a_revision_text_is_parsed_once_and_handed_out_as_a_copy(monkeypatch):
    text = models_library.model_path("drunk-driving-licence").read_text(encoding="utf-8")
    text = text + "\n# 本测试的修订\n"                          # a text no other test parses
    calls = []
    real = loader.load_model
    monkeypatch.setattr("shujian.governance.versions.load_model", lambda t: calls.append(t) or real(t))
    a = parse_source(text)
    a.steps.clear()
    b = parse_source(text)
    assert len(calls) == 1 and b.steps and b is not a
