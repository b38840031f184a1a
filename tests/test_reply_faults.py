"""Telegram failing half way: a reply it does not take is sent again once it is back, restart or
not, and an answer only ever goes to the question the prospect saw (issue 22)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import date

import pytest

from bot.perfectgym.adapter import plan_from_config
from bot.perfectgym.models import LeadConfig
from bot.telegram.resend import decode, encode, retry_delay
from conversations import flow
from conversations.context import AskContext
from conversations.events import TextInput
from conversations.i18n import Translator
from conversations.replies import Button, Reply
from conversations.state import ConversationState, Phase
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Clock, Prospect, bot_environment, free_port, load_config, running_bot

# What a prospect reads: Telegram answers these with 502 during the hiccup.
SENDS = ("sendMessage", "editMessageText", "editMessageReplyMarkup")


async def _until(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def _environment(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, mode: str
) -> dict[str, str]:
    if mode == "polling":
        return bot_environment(tg, pg, database_url)
    port = free_port()
    return bot_environment(
        tg,
        pg,
        database_url,
        WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram/hook",
        PORT=str(port),
        WEBHOOK_SECRET="s3cret-s3cret",
        WEBHOOK_LISTEN_HOST="127.0.0.1",
    )


async def _not_taken(tg: FakeTelegram, send: Callable[[], object]) -> None:
    """``send`` something the bot answers, and wait for its answer to be refused."""
    before = tg.method_calls("sendmessage")
    result = send()
    if asyncio.iscoroutine(result):
        await result
    await _until(lambda: tg.method_calls("sendmessage") > before)


def _lead_names(pg: FakePerfectGym) -> list[tuple[str, str, str]]:
    return [
        (
            lead["leadCustomer"]["firstname"],
            lead["leadCustomer"]["lastname"],
            lead["leadCustomer"]["email"],
        )
        for lead in pg.created
    ]


def _texts(tg: FakeTelegram, chat_id: int) -> list[str]:
    """The messages the prospect received (edits of them left out)."""
    return [m.text or "" for m in tg.messages_to(chat_id) if m.method == "sendMessage"]


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_name_typed_again_while_telegram_fails_answers_the_question_seen(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, mode: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    clock = Clock()
    async with running_bot(_environment(tg, pg, database_url, mode), clock=clock):
        maxi = Prospect(tg, chat_id=22101)
        await maxi.send("/start")
        await maxi.expect("first name")
        tg.fail(*SENDS)
        await _not_taken(tg, lambda: maxi.send("Max"))  # the last-name question is lost
        # Seeing the first-name question still, they type their name again.
        await _not_taken(tg, lambda: maxi.send("Maxi"))
        tg.recover()
        clock.forward(60)  # the kept reply is due again
        await maxi.expect("last name")
        await maxi.answer("Mustermann", "e-mail")
        summary = await maxi.answer("maxi@example.com", "Please check your details")
        assert "First name: Maxi\n" in (summary.text or "")
        assert "Last name: Mustermann\n" in (summary.text or "")
        await maxi.press(summary, "Yes, send it")
        await maxi.expect_eventually("Thank you, Maxi")
    assert _lead_names(pg) == [("Maxi", "Mustermann", "maxi@example.com")]
    assert pg.calls["create"] == 1
    # The reply made obsolete by the second answer was dropped, not sent late.
    assert sum("last name" in text for text in _texts(tg, 22101)) == 1


async def test_a_prospect_who_confirmed_while_telegram_failed_is_thanked_once_it_is_back(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    pg.set_config(load_config("all-inactive"))
    clock = Clock()
    async with running_bot(bot_environment(tg, pg, database_url), clock=clock):
        ada = Prospect(tg, chat_id=22102)
        summary = await ada.introduce("Ada", "Lovelace", "ada@example.com")
        tg.fail(*SENDS)
        await ada.press(summary, "Yes, send it")
        await _until(lambda: len(pg.created) == 1)
        # The thank-you is not taken, and kept ("Sending…" under the summary is only lost).
        await _until(lambda: "kept to send again" in caplog.text)
        tg.recover()
        clock.forward(60)
        await ada.expect_eventually("Thank you, Ada", "will contact you soon")
    assert _lead_names(pg) == [("Ada", "Lovelace", "ada@example.com")]
    assert pg.calls["create"] == 1
    assert sum("Thank you, Ada" in text for text in _texts(tg, 22102)) == 1


async def test_a_reply_telegram_did_not_take_is_sent_after_a_restart(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    env = bot_environment(tg, pg, database_url)
    maxi = Prospect(tg, chat_id=22103)
    async with running_bot(env):
        await maxi.send("/start")
        await maxi.expect("first name")
        tg.fail(*SENDS)
        await _not_taken(tg, lambda: maxi.send("Max"))
    tg.recover()
    async with running_bot(env):  # nothing typed: the new process sends what was kept
        await maxi.expect("last name")
        await maxi.answer("Power", "e-mail")
        summary = await maxi.answer("max@example.com", "Please check your details")
        await maxi.press(summary, "Yes, send it")
        await maxi.expect_eventually("Thank you, Max")
    assert _lead_names(pg) == [("Max", "Power", "max@example.com")]


async def test_answers_sent_while_get_updates_fails_are_applied_once_it_is_back(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        eva = Prospect(tg, chat_id=22104)
        await eva.send("/start")
        await eva.expect("first name")
        polls = tg.method_calls("getupdates")
        tg.fail("getUpdates")
        await _until(lambda: tg.method_calls("getupdates") >= polls + 2)  # refused, twice
        await eva.send("Eva")  # waits at Telegram meanwhile
        tg.recover()
        await eva.expect("last name")
        await eva.answer("Lindqvist", "e-mail")
        summary = await eva.answer("eva@example.com", "Please check your details")
        await eva.press(summary, "Yes, send it")
        await eva.expect_eventually("Thank you, Eva")
    assert _lead_names(pg) == [("Eva", "Lindqvist", "eva@example.com")]


# --- the pieces, without the bot --------------------------------------------------------------


def _state() -> tuple[ConversationState, AskContext]:
    config = LeadConfig.model_validate(load_config("all-inactive"))
    state = ConversationState(7, "en", "en", None, plan_from_config(config))
    ctx = AskContext(Translator("en"), "en_GB", "GB", date(2026, 12, 7))
    flow.begin(state, ctx, lambda required, optional: "Hello")
    return state, ctx


def test_text_sent_while_the_next_question_was_lost_answers_the_one_seen() -> None:
    state, ctx = _state()
    first, last = state.plan.keys[0], state.plan.keys[1]
    flow.handle(state, TextInput("Max"), ctx)
    assert state.current == last
    state.seen = first  # the last-name question never reached them
    flow.handle(state, TextInput("Maxi"), ctx)
    assert state.answers[first] == "Maxi"
    assert last not in state.answers
    assert state.current == last
    assert state.seen is None
    assert state.phase is Phase.ASKING


def test_the_question_seen_is_kept_across_a_restart_and_is_absent_when_unset() -> None:
    state, _ = _state()
    assert '"seen"' not in state.to_json()  # the usual case stores what the release before did
    state.seen = state.plan.keys[0]
    assert ConversationState.from_json(state.to_json()).seen == state.plan.keys[0]


def test_kept_replies_read_back_as_they_were_sent() -> None:
    replies = (
        Reply("Pick one", buttons=((Button("A ✅", "7:a"), Button("B", "7:b")),), summary=True),
        Reply("Your phone?", contact_button="📱 Share", keyboard_texts=("Skip",)),
        Reply("Thanks!", remove_keyboard=True),
    )
    assert decode(encode(replies)) == replies


def test_retries_back_off_to_a_ceiling() -> None:
    delays = [retry_delay(attempts) for attempts in range(12)]
    assert delays[0] == 1.0
    assert delays == sorted(delays)
    assert max(delays) == 30.0
