"""A missing tool skips a test on a developer's machine and fails it in CI (``tests/required.py``)."""

from __future__ import annotations

import pytest

from tests.required import require_tool


def test_a_missing_tool_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no no-such-tool-1 or no-such-tool-2 on PATH"):
        require_tool("no-such-tool-1", "no-such-tool-2")


def test_a_missing_tool_skips_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no no-such-tool on PATH"):
        require_tool("no-such-tool")


def test_a_present_tool_is_found_by_any_of_its_names() -> None:
    assert require_tool("no-such-tool", "sh").endswith("/sh")
