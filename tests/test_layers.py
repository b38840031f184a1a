"""The architecture's promises that a refactoring could quietly break.

The dialogue knows no vendor and no Telegram: it must load without them. And conversations that
an earlier release stored mid-way must still load and finish with the same lead.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from bot.perfectgym.adapter import lead_request
from conversations import callbacks, flow
from conversations.context import AskContext
from conversations.drafting import draft_of
from conversations.events import ButtonPress, TextInput
from conversations.i18n import Translator
from conversations.state import ConversationState, Phase

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.e2e
def test_the_dialogue_loads_without_vendor_telegram_or_pydantic() -> None:
    probe = (
        "import pkgutil, importlib, sys, conversations, conversations.flow\n"
        "for m in pkgutil.walk_packages(conversations.__path__, 'conversations.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    assert "conversations.flow" in loaded
    for forbidden in ("httpx", "telegram", "pydantic", "bot"):
        assert forbidden not in loaded, f"conversations/ imports {forbidden}"
    assert not [name for name in loaded if name.startswith("bot.")]


def _context() -> AskContext:
    return AskContext(Translator("de"), "de_AT", "AT", date(2026, 12, 1))


def _stored(name: str) -> ConversationState:
    return ConversationState.from_json((DATA / name).read_text())


def _expected_lead() -> object:
    return json.loads((DATA / "lead-review-2026-12.json").read_text())


def _lead_json(state: ConversationState) -> object:
    return json.loads(
        lead_request(draft_of(state)).model_dump_json(by_alias=True, exclude_none=True)
    )


def test_a_conversation_stored_in_review_by_the_2026_12_release_gives_the_same_lead() -> None:
    state = _stored("state-review-2026-12.json")
    assert state.phase is Phase.REVIEW
    assert _lead_json(state) == _expected_lead()


def test_a_conversation_stored_mid_way_by_the_2026_12_release_continues() -> None:
    state = _stored("state-asking-2026-12.json")
    ctx = _context()
    assert state.current == "extra.7002"
    assert state.picks == [0, 2]
    assert state.recent_updates == (27,)
    shown = flow.repeat(state, ctx).replies[0]
    assert "✅ Lose weight" in [b.text for row in shown.buttons for b in row]

    def press(name: str) -> None:
        flow.handle(state, ButtonPress(callbacks.encode(state.token, name)), ctx)

    press(callbacks.DONE)
    for text in ("1.6.2027", "3", "Knie links"):
        flow.handle(state, TextInput(text), ctx)
    press(callbacks.YES)
    press(callbacks.NO)
    assert state.phase is Phase.REVIEW
    assert _lead_json(state) == _expected_lead()
