"""Hypothesis against the dialogue: whatever a prospect sends, at any question, nothing escapes
and the prospect always hears something back (an answer, a re-ask or a button notice)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.chain.build import single_chain
from bot.funnel.counts import Funnel
from bot.intake.outbox import Outbox, RetryPolicy
from bot.intake.sender import Sent
from bot.intake.service import Chat, Intake
from bot.intake.store import ConversationStore
from bot.perfectgym.adapter import plan_from_config
from bot.perfectgym.client import PerfectGymClient
from bot.perfectgym.models import LeadConfig
from bot.storage.sqlite import SqliteStorage
from conversations import flow
from conversations.context import AskContext
from conversations.events import (
    ButtonPress,
    Command,
    CommandName,
    ContactShared,
    Event,
    TextInput,
    UnsupportedInput,
)
from conversations.i18n import Translator
from conversations.replies import Outcome, Reply
from conversations.state import ConversationState
from tests.fuzzing import examples
from tests.harness import load_config

CONFIG = LeadConfig.model_validate(load_config("everything"))
PLAN = plan_from_config(CONFIG)
LOCALES = ["en", "de", "pl", "es", "it", "fr", "nl", "pt", "uk", "tr", "ru"]

hostile_text = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=4000, max_size=4096),
    st.text(alphabet="0123456789.,/- \u200f\u202e\x00\t\n+", max_size=60),
    st.sampled_from(
        [
            "",
            " ",
            "/start",
            "Skip",
            "1",
            "0",
            "-1",
            "9" * 5000,
            "31.02.2000",
            "😀",
            "\u202eevil",
            "ja",
            "Yes",
            "Done",
            "a@b",
            "+49",
            "DE",
        ]
    ),
)
button_data = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda t, a, i: f"{t}|{a}|{i}",
        st.integers(-1, 40),
        st.sampled_from(
            ["ok", "skip", "done", "y", "n", "o", "e", "c", "b", "k", "g", "r", "s", "zz"]
        ),
        st.one_of(st.integers(-5, 50).map(str), st.text(max_size=4)),
    ),
)
events = st.one_of(
    hostile_text.map(TextInput),
    button_data.map(ButtonPress),
    hostile_text.map(ContactShared),
    st.sampled_from(["Sticker", "PhotoSize", "Voice", "Location"]).map(UnsupportedInput),
    st.sampled_from(list(CommandName)).map(Command),
)


def _state_at(position: int, locale: str) -> tuple[ConversationState, AskContext]:
    state = ConversationState(
        chat_id=1,
        locale=locale,
        language=locale,
        campaign=None,
        plan=PLAN,
        profile=("Anna", "Schmidt") if position % 2 else (None, None),
    )
    ctx = AskContext(Translator(locale), locale, "DE", date(2026, 11, 27))
    flow.begin(state, ctx, lambda required, optional: "hi")
    state.queue = state.queue[position:]
    return state, ctx


@settings(max_examples=examples(400), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    position=st.integers(0, len(PLAN.questions)),
    locale=st.sampled_from(LOCALES),
    sequence=st.lists(events, min_size=1, max_size=4),
)
def test_any_event_at_any_question_gets_an_answer(
    position: int, locale: str, sequence: list[Event]
) -> None:
    state, ctx = _state_at(position, locale)
    for event in sequence:
        outcome = flow.handle(state, event, ctx)
        assert outcome.replies or outcome.notice or outcome.submit or outcome.restart
        for reply in outcome.replies:
            assert reply.text.strip()
            for row in reply.buttons:
                for button in row:
                    assert 1 <= len(button.data.encode()) <= 64
        if outcome.submit:
            break


class _Nobody:
    """A sender that drops what it is given: here only the intake's own answers matter."""

    async def send(
        self, chat_id: int, replies: Sequence[Reply], *, about: int | None = None
    ) -> None:
        pass

    async def deliver(
        self,
        chat_id: int,
        outcome: Outcome,
        *,
        not_after: float | None = None,
        about: int | None = None,
    ) -> Sent:
        return Sent.DELIVERED

    def typing_soon(self, chat_id: int) -> None:
        pass


async def _talk(sequence: list[Event], language: str | None) -> None:
    storage = SqliteStorage.open("sqlite://:memory:")
    client = PerfectGymClient("http://127.0.0.1:9", "fuzz-key", timeout=0.5)
    outbox = Outbox(storage, client, policy=RetryPolicy())
    # The config as PerfectGym last gave it: the client finds nobody there and falls back to it.
    await storage.save_config(CONFIG.model_dump_json(by_alias=True), 0.0)
    intake = Intake(
        ConversationStore(storage, single_chain(client, storage, config_ttl=60)),
        storage,
        outbox,
        _Nobody(),
        default_locale="en",
        funnel=Funnel(storage, lambda: None),
    )
    chat = Chat(77, language)
    try:
        await intake.start(chat, None)
        for event in sequence:
            await intake.handle(chat, event)
        stored = await storage.load_conversation(77)
        if stored is not None:
            ConversationState.from_json(stored)  # what was stored reads back
    finally:
        await outbox.stop(grace=0)
        await client.aclose()
        await storage.close()


@settings(max_examples=examples(150), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sequence=st.lists(events, min_size=1, max_size=8),
    language=st.one_of(
        st.none(),
        st.sampled_from(["de-AT", "pt-br", "zh-hans", "xx", "en-GB"]),
        st.text(max_size=12),
    ),
)
def test_the_intake_service_survives_any_sequence(
    sequence: list[Event], language: str | None
) -> None:
    asyncio.run(_talk(sequence, language))
