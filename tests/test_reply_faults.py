"""Telegram failing half way: a reply it does not take is sent again once it is back, restart or
not, and an answer only ever goes to the question the prospect saw (issue 22)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.perfectgym.adapter import plan_from_config
from bot.perfectgym.models import LeadConfig
from bot.storage import open_storage
from bot.telegram.resend import decode, encode, retry_delay
from conversations import flow
from conversations.callbacks import CLUB, EDIT
from conversations.callbacks import encode as encode_button
from conversations.clubs import ClubCard
from conversations.context import AskContext
from conversations.events import ButtonPress, Command, CommandName, TextInput
from conversations.i18n import Translator
from conversations.replies import Button, Reply
from conversations.state import SEEN_CLUB, SEEN_SUMMARY, ConversationState, Phase
from tests.chain_fixtures import fake_chain
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Clock, Prospect, bot_environment, free_port, load_config, running_bot

# What a prospect reads: Telegram answers these with 502 during the hiccup.
SENDS = ("sendMessage", "editMessageText", "editMessageReplyMarkup")
HOUR = 3600.0
# Opening hours for /hours and its button: every day, all day.
ALWAYS_OPEN: dict[str, Any] = {
    "studioId": 7,
    "name": "Studio Sol Mitte",
    "countryCode": "DE",
    "city": "Berlin",
    "publicOpeningHours": [
        {
            "dayOfWeekFrom": "MONDAY",
            "dayOfWeekTo": "SUNDAY",
            "timeFrom": "00:00:00",
            "timeTo": "23:59:00",
        }
    ],
}


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


async def _lost(tg: FakeTelegram, clock: Clock, send: Callable[[], Awaitable[None]]) -> None:
    """``send`` something the bot answers while Telegram fails, and wait until the kept answer
    was tried again and refused too; then the bot's clock goes an hour back, so that it is not
    due again before the test moves the clock on: the prospect acts first, however busy the
    machine."""
    before = tg.method_calls("sendmessage")
    await send()
    await _until(lambda: tg.method_calls("sendmessage") >= before + 2)
    clock.forward(-HOUR)


async def _anything_kept(database_url: str) -> bool:
    """Whether a reply is still kept to be sent again."""
    storage = await open_storage(database_url)
    try:
        return await storage.any_replies()
    finally:
        await storage.close()


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


@pytest.mark.parametrize("ask", ["command", "button"])
async def test_after_the_hours_the_name_answers_the_question_they_showed_again(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, ask: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    pg.studio = ALWAYS_OPEN
    clock = Clock()
    async with running_bot(bot_environment(tg, pg, database_url), clock=clock):
        maxi = Prospect(tg, chat_id=22105)
        await maxi.send("/start")
        welcome = await maxi.expect("first name")
        tg.fail(*SENDS)
        await _lost(tg, clock, lambda: maxi.send("Max"))  # the last-name question is lost
        tg.recover()
        if ask == "command":
            await maxi.send("/hours")
        else:
            await maxi.press(welcome, "🕒 Hours")  # the welcome kept its buttons: no settle
        await maxi.expect("Opening hours of Studio Sol Mitte")
        await maxi.expect("last name")  # on their screen now: the lost one is obsolete
        assert not await _anything_kept(database_url)
        await maxi.answer("Mustermann", "e-mail")
        clock.forward(HOUR + 60)  # the lost question, had it been kept, would be due now
        summary = await maxi.answer("max@example.com", "Please check your details")
        assert "First name: Max\n" in (summary.text or "")
        assert "Last name: Mustermann\n" in (summary.text or "")
        await maxi.press(summary, "Yes, send it")
        await maxi.expect_eventually("Thank you, Max")
    assert _lead_names(pg) == [("Max", "Mustermann", "max@example.com")]
    assert pg.calls["create"] == 1
    assert sum("last name" in text for text in _texts(tg, 22105)) == 1


async def test_back_to_my_details_shows_the_question_their_next_words_answer(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    staff = -100221
    tg.add_group(staff, "Studio staff", forum=True)
    clock = Clock()
    env = bot_environment(tg, pg, database_url, STAFF_CHAT_ID=str(staff))
    async with running_bot(env, clock=clock):
        ann = Prospect(tg, chat_id=22109)
        await ann.send("/start")
        await ann.expect("first name")
        tg.fail(*SENDS)
        await _lost(tg, clock, lambda: ann.send("Ann"))  # the last-name question is lost
        tg.recover()
        await ann.send("/ask")
        ask = await ann.expect("Write your question here")
        await ann.press(ask, "Back to my details")
        await ann.expect("last name")
        assert not await _anything_kept(database_url)
        await ann.answer("Tester", "e-mail")
        clock.forward(HOUR + 60)
        summary = await ann.answer("ann@example.com", "Please check your details")
        await ann.press(summary, "Yes, send it")
        await ann.expect_eventually("Thank you, Ann")
    assert _lead_names(pg) == [("Ann", "Tester", "ann@example.com")]
    assert pg.calls["create"] == 1
    assert sum("last name" in text for text in _texts(tg, 22109)) == 1


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_a_club_typed_again_while_its_reply_was_lost_chooses_the_club_again(
    tg: FakeTelegram, database_url: str, tmp_path: Path, mode: str
) -> None:
    port = free_port()
    hook = {
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/hook",
        "PORT": str(port),
        "WEBHOOK_SECRET": "s3cret-s3cret",
        "WEBHOOK_LISTEN_HOST": "127.0.0.1",
    }
    clock = Clock()
    env = hook if mode == "webhook" else {}
    async with (
        fake_chain(tg, database_url, tmp_path, env=env) as chain,
        running_bot(chain.env, clock=clock),
    ):
        ida = Prospect(tg, chat_id=22106)
        await ida.send("/start")
        await ida.expect("Which club")
        await ida.expect("Send my location")
        tg.fail(*SENDS)
        await _not_taken(tg, lambda: ida.send("Mitte"))  # the choice's reply is lost
        # Seeing the club question still, they type the club again: a choice, not a name.
        await _not_taken(tg, lambda: ida.send("Mitte"))
        tg.recover()
        clock.forward(60)  # the kept reply is due again
        await ida.expect("Great, Studio Sol Mitte")
        await ida.expect("This is Studio Sol Mitte", "first name")
        await ida.answer("Ida", "last name")
        await ida.answer("Mustermann", "e-mail")
        summary = await ida.answer("ida@example.com", "Please check your details")
        assert "First name: Ida\n" in (summary.text or "")
        await ida.press(summary, "Yes, send it")
        await ida.expect_eventually("Thank you, Ida")
        mitte = chain.tenants["mitte"]
        await _until(lambda: mitte.calls["create"] == 1)
    assert _lead_names(mitte) == [("Ida", "Mustermann", "ida@example.com")]
    assert chain.created()["camden"] == chain.created()["manchester"] == []
    # The first reply, made obsolete by the second choice, was dropped: one welcome.
    assert sum("This is Studio Sol Mitte" in text for text in _texts(tg, 22106)) == 1


async def test_a_club_chosen_after_club_is_never_a_name_the_prospect_typed_before(
    tg: FakeTelegram, database_url: str, tmp_path: Path
) -> None:
    clock = Clock()
    async with (
        fake_chain(tg, database_url, tmp_path) as chain,
        running_bot(chain.env, clock=clock),
    ):
        pat = Prospect(tg, chat_id=22107)
        await pat.send("/start camden")
        await pat.expect("first name")
        tg.fail(*SENDS)
        await _lost(tg, clock, lambda: pat.send("Pat"))  # the last-name question is lost
        tg.recover()
        await pat.send("/club")
        await pat.expect("Which club")
        await pat.expect("Send my location")
        assert not await _anything_kept(database_url)
        await pat.send("Manchester")  # the club, not the first name
        await pat.expect("Great, Studio Sol Manchester")
        await pat.expect("last name")
        await pat.answer("Jones", "e-mail")
        clock.forward(HOUR + 60)
        summary = await pat.answer("pat@example.com", "Please check your details")
        await pat.press(summary, "Yes, send it")
        await pat.expect_eventually("Thank you, Pat")
        manchester = chain.tenants["manchester"]
        await _until(lambda: manchester.calls["create"] == 1)
    assert _lead_names(manchester) == [("Pat", "Jones", "pat@example.com")]
    assert chain.created()["camden"] == []


async def test_an_e_mail_asked_again_while_telegram_failed_is_not_asked_once_answered(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    config = load_config("all-inactive")
    config["telephoneMode"] = "MANDATORY"
    pg.set_config(config)
    clock = Clock()
    async with running_bot(bot_environment(tg, pg, database_url), clock=clock):
        max_ = Prospect(tg, chat_id=22108)
        await max_.introduce("Max", "Power", then=["e-mail"])
        tg.fail(*SENDS)
        await _lost(tg, clock, lambda: max_.send("max@"))  # "not valid, e-mail?" is lost
        tg.recover()
        await max_.answer("max@example.com", "phone number")  # typed right this time
        assert not await _anything_kept(database_url)
        clock.forward(HOUR + 60)  # the lost one, had it been kept, would be due now
        await max_.answer("+44 7911 123456", "Thanks!")  # the phone keyboard taken away
        summary = await max_.expect("Please check your details")
        await max_.press(summary, "Yes, send it")
        await max_.expect_eventually("Thank you, Max")
    assert _lead_names(pg) == [("Max", "Power", "max@example.com")]
    assert pg.created[0]["leadCustomer"]["telephone"] == "+447911123456"
    assert pg.calls["create"] == 1
    assert not any("valid e-mail" in text for text in _texts(tg, 22108))


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


def _where(state: ConversationState) -> tuple[Phase, str | None]:
    """The phase, and what is recorded as seen (read here, so no assignment narrows it)."""
    return state.phase, state.seen


CLUBS = (ClubCard("camden", "Studio Sol Camden", "London"), ClubCard("mitte", "Studio Sol Mitte"))


def test_text_sent_while_the_club_chosen_was_lost_chooses_a_club_again() -> None:
    state, ctx = _state()
    ctx = replace(ctx, clubs=CLUBS)
    state.studio = "mitte"
    state.seen = SEEN_CLUB  # the welcome and first question never reached them
    outcome = flow.handle(state, TextInput("Mitte"), ctx)
    assert outcome.club == "mitte"
    assert state.answers == {}
    assert _where(state) == (Phase.CHOOSING, None)


def test_while_the_club_is_asked_no_question_seen_before_is_answered() -> None:
    state, ctx = _state()
    ctx = replace(ctx, clubs=CLUBS)
    first = state.plan.keys[0]
    flow.handle(state, Command(CommandName.BACK), ctx)  # anything, to be at the first question
    state.phase = Phase.CHOOSING  # /club, whose question never reached them
    state.seen = first
    outcome = flow.handle(state, TextInput("Camden"), ctx)
    assert outcome.club == "camden"
    assert first not in state.answers
    assert _where(state) == (Phase.CHOOSING, None)


def test_text_sent_while_a_correction_was_lost_is_read_at_the_summary() -> None:
    state, ctx = _state()
    for answer in ("Max", "Power", "max@example.com"):
        flow.handle(state, TextInput(answer), ctx)
    assert _where(state) == (Phase.REVIEW, None)
    flow.handle(state, ButtonPress(encode_button(state.token, EDIT, 0)), ctx)
    assert _where(state) == (Phase.ASKING, None)
    assert state.editing
    state.seen = SEEN_SUMMARY  # the question to correct never reached them
    outcome = flow.handle(state, TextInput("Maxi"), ctx)
    assert state.answers[state.plan.keys[0]] == "Max"
    assert _where(state) == (Phase.REVIEW, None)
    assert not state.editing
    assert outcome.replies[-1].summary


def test_the_club_question_is_what_a_repeat_shows_while_choosing() -> None:
    state, ctx = _state()
    ctx = replace(ctx, clubs=CLUBS)
    assert state.showing == state.plan.keys[0]
    for answer in ("Max", "Power", "max@example.com"):
        flow.handle(state, TextInput(answer), ctx)
    assert state.showing == SEEN_SUMMARY
    flow.handle(state, ButtonPress(encode_button(state.token, CLUB)), ctx)  # "Another club"
    assert state.showing == SEEN_CLUB
    state.seen = SEEN_SUMMARY
    assert state.on_screen == SEEN_SUMMARY
    repeated = flow.repeat(state, ctx)
    assert repeated.repeats
    assert "Which of our clubs" in repeated.replies[0].text
    assert state.phase is Phase.CHOOSING


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
