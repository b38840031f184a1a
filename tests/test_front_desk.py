"""The front desk (issue 25): a prospect talks to a person in the studio's staff chat, through
the real bot over loopback.

In a forum staff group each prospect gets a topic; in a group without topics a header message,
which staff reply to. Every kind of message is copied both ways in order, stored before its
update is confirmed, retried through Telegram's 5xx and 429, relayed once across a restart;
a blocked prospect is reported, /close ends a thread and the prospect's next message reopens
it, /forget erases it and closes the topic. Nothing from another group, or from a private
chat dressed up as staff, reaches a prospect.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import (
    FakeTelegram,
    SentMessage,
    contact_content,
    document_content,
    location_content,
    photo_content,
    text_content,
    voice_content,
)
from tests.harness import Prospect, bot_environment, load_config, running_bot

STAFF = -100777
FAST = {
    "OUTBOX_RETRY_BASE_SECONDS": "0.1",
    "PERFECTGYM_TIMEOUT_SECONDS": "1",
    "STAFF_CHAT_ID": str(STAFF),
}
SAM = 5001  # a staff member


def _env(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, *, forum: bool = True, **extra: str
) -> dict[str, str]:
    pg.set_config(load_config("all-inactive"))
    tg.add_group(STAFF, "Studio staff", forum=forum)
    return bot_environment(tg, pg, database_url, **FAST, **extra)


async def _lead_sent(
    tg: FakeTelegram, chat_id: int, *, name: str = "Pat", campaign: str = "spring", **kw: Any
) -> Prospect:
    """A prospect whose lead was created (the staff chat's notice read)."""
    prospect = Prospect(tg, chat_id=chat_id, first_name=name, **kw)
    summary = await prospect.introduce(
        name, "Tester", f"{name.lower()}@example.com", start=f"/start {campaign}"
    )
    await prospect.press(summary, "Yes, send it")
    await prospect.expect_eventually("Thank you" if prospect.language_code == "en" else "Danke")
    await tg.next_message(STAFF)  # the new lead's notice
    return prospect


async def _staff_sees(tg: FakeTelegram, count: int = 1) -> list[SentMessage]:
    """The staff chat's next ``count`` messages (copies and the bot's own)."""
    return [await tg.next_message(STAFF) for _ in range(count)]


async def _prospect_gets(tg: FakeTelegram, chat_id: int) -> SentMessage:
    """The prospect's next message, passing over edits that only take buttons away."""
    while True:
        message = await tg.next_message(chat_id)
        if message.method != "editMessageReplyMarkup":
            return message


def _only_topic(tg: FakeTelegram) -> int:
    topics = tg.topics[STAFF]
    assert len(topics) == 1, topics
    return next(iter(topics))


# --- a forum staff group: one topic per prospect --------------------------------------------------


async def test_after_the_lead_a_message_opens_a_topic_and_staff_answer_there(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    async with running_bot(_env(tg, pg, database_url)):
        pat = await _lead_sent(tg, 41001)
        await pat.send("Can I bring a friend to the trial?")
        ack = await pat.expect("Your message is with the studio's team")
        assert ack.buttons() == []  # nothing of the form waits
        summary, copy = await _staff_sees(tg, 2)
        topic = _only_topic(tg)
        assert tg.topic_state(STAFF, topic).name == "Pat · spring"
        assert (summary.method, summary.thread_id) == ("sendMessage", topic)
        assert summary.text == "New lead from Telegram: PerfectGym customer number 1-1."
        assert (copy.method, copy.thread_id, copy.text) == (
            "copyMessage",
            topic,
            "Can I bring a friend to the trial?",
        )
        assert copy.copy_of is not None and copy.copy_of[0] == 41001  # copied from Pat's chat

        await tg.staff_writes(STAFF, "Of course, bring them along!", user_id=SAM, topic=topic)
        answer = await _prospect_gets(tg, 41001)
        assert (answer.method, answer.text) == ("copyMessage", "Of course, bring them along!")
        assert answer.copy_of is not None and answer.copy_of[0] == STAFF
    assert tg.errors == []


async def test_every_kind_of_message_is_copied_both_ways_in_order(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    kinds = [
        text_content("first"),
        photo_content("shoes", caption="these ok?"),
        voice_content("question"),
        location_content(52.52, 13.405),
        contact_content("+4915112345678", "Pat"),
        document_content("plan.pdf"),
        text_content("last"),
    ]
    async with running_bot(_env(tg, pg, database_url)):
        await _lead_sent(tg, 41002)
        for content in kinds:
            await tg.send_content(41002, content)
        copies = [m for m in await _staff_sees(tg, 1 + len(kinds)) if m.method == "copyMessage"]
        assert [m.text for m in copies] == [
            "first",
            "[photo photo-shoes-800] these ok?",
            "[voice voice-question]",
            "[location 52.52,13.405]",
            "[contact +4915112345678]",
            "[document plan.pdf]",
            "last",
        ]
        topic = _only_topic(tg)
        for content in [*kinds[1:-1], text_content("see you!")]:
            await tg.staff_writes(STAFF, content, user_id=SAM, topic=topic)
        received = [await _prospect_gets(tg, 41002) for _ in range(len(kinds) - 1)]
        # Only the first message of a thread is acknowledged.
        assert [m.text for m in received if m.method != "copyMessage"] == [
            "✉️ Your message is with the studio's team. They will answer you here in this chat."
        ]
        received = [m for m in received if m.method == "copyMessage"]
        received.append(await _prospect_gets(tg, 41002))
        assert [m.text for m in received] == [
            "[photo photo-shoes-800] these ok?",
            "[voice voice-question]",
            "[location 52.52,13.405]",
            "[contact +4915112345678]",
            "[document plan.pdf]",
            "see you!",
        ]
    assert tg.errors == []
