"""The front desk's threads (issue 25): a prospect talks to a person in the studio's staff chat,
through the real bot over loopback.

In a forum staff group each prospect gets a topic; in a group without topics a header message,
which staff reply to. Every kind of message is copied both ways in order, stored before its
update is confirmed, retried through Telegram's 5xx and 429, relayed once across a restart;
a blocked prospect is reported, /close ends a thread and the prospect's next message reopens
it, /forget erases it, deletes the bot's copies and closes the topic under a neutral name.
Nothing from another group, or from a private chat dressed up as staff, reaches a prospect. A question the studio's data cannot answer
(/prices without the offers scope) opens the thread with a note, and staff answer it there.
"""

from __future__ import annotations

import asyncio
import datetime
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.funnel.counts import median_of, wait_minutes
from bot.standin.sample_studio import sample_information
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
from tests.harness import Clock, Prospect, bot_environment, load_config, running_bot

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
    english = prospect.language_code == "en"
    summary = await prospect.introduce(
        name,
        "Tester",
        f"{name.lower()}@example.com",
        start=f"/start {campaign}",
        welcome=("questions are needed" if english else "Fragen sind Pflicht",),
        then=("Please check your details" if english else "Bitte prüfe",),
    )
    await prospect.press(summary, "Yes, send it" if english else "Ja, abschicken")
    await prospect.expect_eventually("Thank you" if english else "Danke")
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
        ack = await pat.expect("The studio has your message")
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
        assert copy.copy_of is not None
        assert copy.copy_of[0] == 41001

        await tg.staff_writes(STAFF, "Of course, bring them along!", user_id=SAM, topic=topic)
        answer = await _prospect_gets(tg, 41001)
        assert (answer.method, answer.text) == ("copyMessage", "Of course, bring them along!")
        assert answer.copy_of is not None
        assert answer.copy_of[0] == STAFF
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
            "✉️ The studio has your message and will answer you here in this chat."
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


# --- a group without topics: a header, and replies to it -----------------------------------------


async def test_without_topics_a_header_carries_the_thread_and_staff_reply_to_it(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    async with running_bot(_env(tg, pg, database_url, forum=False)):
        await _lead_sent(tg, 41101, name="Pat", campaign="spring")
        await _lead_sent(tg, 41102, name="Kim", campaign="")
        notice = tg.messages_to(STAFF)[0]
        await tg.send_content(41101, text_content("Pat's question"))
        await tg.send_content(41102, photo_content("kim"))
        seen = await _staff_sees(tg, 6)
        headers = {m.text: m for m in seen if m.text and m.text.startswith("💬")}
        assert set(headers) == {"💬 Pat (campaign spring) asks:", "💬 Kim asks:"}
        pat_header = headers["💬 Pat (campaign spring) asks:"].message_id
        kim_header = headers["💬 Kim asks:"].message_id
        copies = {m.text: m for m in seen if m.method == "copyMessage"}
        assert copies["Pat's question"].reply_to == pat_header
        assert copies["[photo photo-kim-800]"].reply_to == kim_header
        assert tg.method_calls("createForumTopic") == 0

        # A reply to the header, and one to the prospect's copied message, both reach them.
        await tg.staff_writes(STAFF, "to the header", user_id=SAM, reply_to=pat_header)
        await tg.staff_writes(
            STAFF,
            "to Kim's photo",
            user_id=SAM,
            reply_to=copies["[photo photo-kim-800]"].message_id,
        )
        # A message that replies to nothing, or to the lead's notice, stays in the group.
        await tg.staff_writes(STAFF, "team chatter", user_id=SAM)
        await tg.staff_writes(STAFF, "about the notice", user_id=SAM, reply_to=notice.message_id)
        pat = [m for m in [await _prospect_gets(tg, 41101) for _ in range(2)]]
        kim = [m for m in [await _prospect_gets(tg, 41102) for _ in range(2)]]
        assert pat[-1].text == "to the header"
        assert kim[-1].text == "to Kim's photo"
        await tg.wait_idle(41101)
        await tg.wait_idle(41102)
        assert tg.drain(41101) == []
        assert tg.drain(41102) == []
    assert tg.errors == []


# --- /close, and the prospect's next message -----------------------------------------------------


@pytest.mark.parametrize(
    ("language", "closed"),
    [
        ("en", "This conversation has been closed."),
        ("de", "Dieses Gespräch ist beendet."),
    ],
)
async def test_close_ends_the_thread_and_the_next_message_reopens_the_topic(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, language: str, closed: str
) -> None:
    async with running_bot(_env(tg, pg, database_url)):
        pat = await _lead_sent(tg, 41201, language_code=language)
        await pat.send("one question")
        await pat.next()  # the acknowledgement
        await _staff_sees(tg, 2)
        topic = _only_topic(tg)
        await tg.staff_writes(STAFF, "answered!", user_id=SAM, topic=topic)
        assert (await _prospect_gets(tg, 41201)).text == "answered!"
        await tg.staff_writes(STAFF, "/close", user_id=SAM, topic=topic)
        told = await _prospect_gets(tg, 41201)
        assert told.method == "sendMessage"
        assert closed in (told.text or "")
        for _ in range(50):
            if tg.topic_state(STAFF, topic).closed:
                break
            await asyncio.sleep(0.05)
        assert tg.topic_state(STAFF, topic).closed

        await pat.send("one more thing")
        await pat.next()  # acknowledged again: the thread is open again
        (copy,) = await _staff_sees(tg, 1)
        assert (copy.text, copy.thread_id) == ("one more thing", topic)
        assert not tg.topic_state(STAFF, topic).closed
        assert len(tg.topics[STAFF]) == 1  # the same topic
    assert tg.errors == []


# --- what Telegram refuses -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [502, 429])
async def test_a_relay_telegram_refuses_for_now_is_sent_once_it_recovers(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, status: int
) -> None:
    async with running_bot(_env(tg, pg, database_url)):
        pat = await _lead_sent(tg, 41301)
        tg.fail("copyMessage", status=status)
        await pat.send("first")
        await pat.next()
        await tg.send_content(41301, text_content("second"))
        await asyncio.sleep(1.5)  # tried, refused, waiting for the next try
        assert [m.method for m in tg.drain(STAFF)] == ["sendMessage"]  # only the lead's line
        tg.recover()
        copies = await _staff_sees(tg, 2)
        assert [m.text for m in copies] == ["first", "second"]
        await tg.wait_idle(STAFF)
        assert tg.drain(STAFF) == []
    assert tg.errors == []


async def test_a_prospect_who_blocked_the_bot_is_reported_once_and_the_thread_closed(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    async with running_bot(_env(tg, pg, database_url)):
        pat = await _lead_sent(tg, 41401)
        await pat.send("hello?")
        await pat.next()
        await _staff_sees(tg, 2)
        topic = _only_topic(tg)
        tg.blocked.add(41401)
        await tg.staff_writes(STAFF, "hello Pat", user_id=SAM, topic=topic)
        await tg.staff_writes(STAFF, "are you there?", user_id=SAM, topic=topic)
        (note,) = await _staff_sees(tg, 1)
        assert (note.text, note.thread_id) == (
            "Pat has blocked the bot; messages can't reach them.",
            topic,
        )
        await tg.wait_idle(STAFF)
        assert tg.drain(STAFF) == []
        assert 41401 in tg.refused_blocked
    assert tg.errors == []


# --- a restart mid-thread ------------------------------------------------------------------------


async def test_messages_stored_but_not_relayed_are_relayed_once_after_a_restart(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    env = _env(tg, pg, database_url)
    async with running_bot(env):
        pat = await _lead_sent(tg, 41501)
        await pat.send("before")
        await pat.next()
        await _staff_sees(tg, 2)
        topic = _only_topic(tg)
        tg.fail("copyMessage")
        await pat.send("while Telegram is away")
        await tg.staff_writes(STAFF, "staff, meanwhile", user_id=SAM, topic=topic)
        await asyncio.sleep(1.0)
    tg.recover()
    async with running_bot(env):
        (copy,) = await _staff_sees(tg, 1)
        assert (copy.text, copy.thread_id) == ("while Telegram is away", topic)
        assert (await _prospect_gets(tg, 41501)).text == "staff, meanwhile"
        await tg.wait_idle(STAFF)
        await tg.wait_idle(41501)
        assert tg.drain(STAFF) == []
        assert tg.drain(41501) == []
    assert tg.errors == []


# --- /forget -------------------------------------------------------------------------------------


def _rows(database_url: str, table: str, chat_id: int) -> list[Any]:
    with sqlite3.connect(database_url.removeprefix("sqlite:///")) as db:
        return db.execute(f"SELECT * FROM {table} WHERE chat_id = ?", (chat_id,)).fetchall()


async def test_forget_erases_the_thread_closes_the_topic_and_tells_staff(
    tg: FakeTelegram, pg: FakePerfectGym, tmp_path: Path
) -> None:
    database_url = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    async with running_bot(_env(tg, pg, database_url)):
        pat = await _lead_sent(tg, 41601)
        await pat.send("a question")
        await pat.next()
        intro, copy = await _staff_sees(tg, 2)
        topic = _only_topic(tg)
        await pat.send("/forget")
        await pat.expect("Done: everything this bot stored about this chat has been deleted.")
        seen = await _staff_sees(tg, 4)  # two deletions, the note, the erasure request
        deleted = sorted(m.message_id for m in seen if m.method == "deleteMessages")
        assert deleted == sorted([intro.message_id, copy.message_id])
        note = next(m for m in seen if m.thread_id == topic)
        assert note.text == (
            "The prospect asked the bot to delete their data: this conversation is closed and "
            "nothing more of it is stored. Please delete any of their messages still here."
        )
        assert tg.topic_state(STAFF, topic).closed
        assert tg.topic_state(STAFF, topic).name == "Erased"  # no longer "Pat · spring"
        # Staff writing there afterwards reach nobody.
        await tg.staff_writes(STAFF, "still there?", user_id=SAM, topic=topic)
        await tg.wait_idle(41601)
        assert [m for m in tg.drain(41601) if m.method == "copyMessage"] == []
    assert _rows(database_url, "threads", 41601) == []
    assert _rows(database_url, "relays", 41601) == []
    assert tg.errors == []


# --- safety --------------------------------------------------------------------------------------


async def test_nothing_from_another_group_or_a_private_chat_reaches_a_prospect(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    other = -100999
    tg.add_group(other, "Some other group", forum=True)
    async with running_bot(_env(tg, pg, database_url)):
        pat = await _lead_sent(tg, 41701)
        await pat.send("hi")
        await pat.next()
        await _staff_sees(tg, 2)
        topic = _only_topic(tg)
        # Another group's member writes in a topic of the same number, and replies to a message.
        tg.topics[other][topic] = tg.topic_state(STAFF, topic)
        await tg.staff_writes(other, "from elsewhere", user_id=6001, topic=topic)
        # A private chat sends what looks like a staff message, even naming the staff chat.
        await tg.send_update(
            {
                "message": {
                    "message_id": 999,
                    "date": 0,
                    "chat": {"id": 6002, "type": "private", "first_name": "Eve"},
                    "from": {"id": 6002, "is_bot": False, "first_name": "Eve"},
                    "message_thread_id": topic,
                    "is_topic_message": True,
                    "text": f"relay this to {STAFF} and 41701",
                }
            }
        )
        # The prospect writes the staff chat's id: it is copied to staff, nothing more.
        await pat.send(str(STAFF))
        await tg.wait_idle(41701)
        await tg.wait_idle(STAFF)
        assert [m.method for m in tg.drain(41701) if not m.method.startswith("edit")] == []
        assert [m.text for m in tg.drain(STAFF)] == [str(STAFF)]
        assert all(m.chat_id in (41701, STAFF, 6002) for m in tg.sent if m.method == "copyMessage")
        assert not [m for m in tg.sent if m.chat_id == other]
    assert tg.errors == []


# --- /ask mid-form, the way back, the button, the menu ---------------------------------------------


async def test_ask_mid_form_waits_the_form_and_back_to_my_details_asks_again(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    async with running_bot(_env(tg, pg, database_url)):
        ann = Prospect(tg, chat_id=41801, first_name="Ann")
        welcome = await ann.introduce()
        assert ("💬 Ask the studio", "desk:ask") in welcome.buttons()
        await ann.answer("Ann", "last name")
        await ann.send("/ask")
        ask = await ann.expect("Write your question here")
        await ann.send("Is there parking?")  # for staff, not the last name
        (copy,) = await _staff_sees(tg, 1)  # no details yet: nothing before the copy
        assert copy.text == "Is there parking?"
        topic = _only_topic(tg)
        await tg.staff_writes(STAFF, "Yes, behind the building.", user_id=SAM, topic=topic)
        assert (await _prospect_gets(tg, 41801)).text == "Yes, behind the building."
        await ann.press(ask, "Back to my details")
        await ann.expect("last name")
        await ann.answer("Tester", "e-mail")  # the form goes on where it was
        # Staff can still answer; the prospect's next words go to the form.
        await tg.staff_writes(STAFF, "See you!", user_id=SAM, topic=topic)
        assert (await _prospect_gets(tg, 41801)).text == "See you!"
        await ann.answer("ann@example.com", "Please check your details")
    assert tg.errors == []


async def test_the_ask_button_opens_a_thread_and_the_menu_offers_ask(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    async with running_bot(_env(tg, pg, database_url)):
        menus = {
            language: [c["command"] for c in cmds] for (_, language), cmds in tg.commands.items()
        }
        assert all(names[-1] == "ask" for names in menus.values())
        bo = Prospect(tg, chat_id=41802, first_name="Bo", language_code="de")
        welcome = await bo.introduce(welcome=("Fragen sind Pflicht",))
        await bo.press(welcome, "Das Studio fragen")
        back = await bo.expect("Schreib deine Frage hier")
        assert back.buttons() == [("↩️ Zurück zu meinen Angaben", "desk:back")]
        await bo.send("Habt ihr Duschen?")
        (copy,) = await _staff_sees(tg, 1)
        assert copy.text == "Habt ihr Duschen?"
        assert tg.topic_state(STAFF, _only_topic(tg)).name == "Bo"  # no campaign to name
    assert tg.errors == []


async def test_without_a_staff_chat_there_is_no_front_desk(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    async with running_bot(bot_environment(tg, pg, database_url)):
        cy = Prospect(tg, chat_id=41803)
        welcome = await cy.introduce()
        assert all(data != "desk:ask" for _, data in welcome.buttons())
        await cy.answer("/ask", "I don't know that command")


# --- a question the studio's data cannot answer opens the thread ---------------------------------

PERSONALLY = "The studio will answer this personally."
PRICES_NOTE = (
    "❓ The prospect asked about prices; PerfectGym has no membership offers for the studio. "
    "Please answer here."
)


def _button_rows(message: SentMessage) -> list[list[str]]:
    """The message's inline buttons' texts, row by row."""
    rows = (message.reply_markup or {}).get("inline_keyboard") or []
    return [[str(button["text"]) for button in row] for row in rows]


async def test_prices_without_the_offers_scope_open_a_topic_and_staff_answer_there(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.studio = sample_information(datetime.date.today(), name="Studio Sol")
    pg.offers = None  # 403, as for a key without the memberships scope
    async with running_bot(_env(tg, pg, database_url)):
        menus = {
            language: [c["command"] for c in cmds] for (_, language), cmds in tg.commands.items()
        }
        assert all(
            names[:4] == ["start", "where", "hours", "prices"] and names[-1] == "ask"
            for names in menus.values()
        )
        pat = await _lead_sent(tg, 42001, campaign="summer")
        await pat.send("/prices")
        await pat.expect(PERSONALLY)
        summary, note = await _staff_sees(tg, 2)
        topic = _only_topic(tg)
        assert tg.topic_state(STAFF, topic).name == "Pat · summer"
        assert summary.text == "New lead from Telegram: PerfectGym customer number 1-1."
        assert (note.method, note.thread_id, note.text) == ("sendMessage", topic, PRICES_NOTE)

        await tg.staff_writes(STAFF, "Memberships start at 29 € a month.", user_id=SAM, topic=topic)
        answer = await _prospect_gets(tg, 42001)
        assert (answer.method, answer.text) == ("copyMessage", "Memberships start at 29 € a month.")

        await pat.send("/prices")  # asked again within the hour: no second note
        await pat.expect(PERSONALLY)
        await pat.send("And for students?")  # the thread is open: for staff, no second ack
        (copy,) = await _staff_sees(tg, 1)
        assert (copy.method, copy.thread_id, copy.text) == (
            "copyMessage",
            topic,
            "And for students?",
        )
        await tg.wait_idle(STAFF, quiet=0.3)
    staff_texts = [m.text or "" for m in tg.messages_to(STAFF)]
    assert staff_texts.count(PRICES_NOTE) == 1
    assert not any("A prospect asked about prices" in text for text in staff_texts)  # no notice
    assert tg.errors == []


async def test_asked_mid_form_the_note_goes_to_staff_and_the_form_goes_on(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.studio = sample_information(datetime.date.today(), name="Studio Sol")
    pg.offers = None
    async with running_bot(_env(tg, pg, database_url)):
        ann = Prospect(tg, chat_id=42002, first_name="Ann")
        welcome = await ann.introduce()
        assert _button_rows(welcome)[-2:] == [
            ["📍 Where", "🕒 Hours", "💶 Prices"],
            ["💬 Ask the studio"],
        ]
        await ann.press(welcome, "💶 Prices")
        await ann.expect(PERSONALLY)
        await ann.expect("first name")  # the question, again
        (note,) = await _staff_sees(tg, 1)  # no details yet: the note comes first
        topic = _only_topic(tg)
        assert (note.thread_id, note.text) == (topic, PRICES_NOTE)
        await ann.answer("Ann", "last name")  # the form's, not staff's
        await tg.staff_writes(STAFF, "From 29 € a month.", user_id=SAM, topic=topic)
        assert (await _prospect_gets(tg, 42002)).text == "From 29 € a month."
        await ann.answer("Tester", "e-mail")
        summary = await ann.answer("ann@example.com", "Please check your details")
        await ann.press(summary, "Yes, send it")
        thanks = await ann.expect_eventually("Thank you, Ann")
        assert _button_rows(thanks) == [
            ["📍 Where", "🕒 Hours", "💶 Prices"],
            ["💬 Ask the studio"],
        ]
        await tg.wait_idle(STAFF, quiet=0.3)
    copied = [m for m in tg.messages_to(STAFF) if m.method == "copyMessage"]
    assert copied == []  # nothing Ann typed for the form went to staff
    [lead] = pg.created
    assert lead["leadCustomer"]["firstname"] == "Ann"
    assert lead["leadCustomer"]["lastname"] == "Tester"
    assert tg.errors == []


# --- the funnel ----------------------------------------------------------------------------------


async def test_report_counts_threads_opened_answered_and_the_median_first_reply(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    clock = Clock()
    async with running_bot(_env(tg, pg, database_url), clock=clock):
        for chat_id, name, wait in (
            (41901, "Al", 4 * 60),
            (41902, "Bea", 20 * 60),
            (41903, "Cy", None),
        ):
            prospect = await _lead_sent(tg, chat_id, name=name, campaign="spring")
            await prospect.send("a question")
            await prospect.next()
            await _staff_sees(tg, 2)
            if wait is not None:
                topic = max(tg.topics[STAFF])
                clock.forward(wait - 30)  # counted in whole minutes, rounded up
                await tg.staff_writes(STAFF, "an answer", user_id=SAM, topic=topic)
                await _prospect_gets(tg, chat_id)
                await tg.staff_writes(STAFF, "and another", user_id=SAM, topic=topic)
                await _prospect_gets(tg, chat_id)
        await tg.staff_writes(STAFF, "/report", user_id=SAM)
        report = await tg.next_message(STAFF)
    text = report.text or ""
    section = text[text.index("Questions to staff") :].splitlines()
    assert section[0] == "Questions to staff"
    assert section[1].split() == ["campaign", "asked", "answered", "1st", "reply"]
    # Three asked, two answered: after 4 and 20 minutes, so the median is 12.
    assert section[3].split() == ["spring", "3", "2", "12", "mins"]


@pytest.mark.parametrize(
    ("waits", "median"),
    [
        ((), None),
        (((7, 1),), 7.0),
        (((4, 1), (20, 1)), 12.0),
        (((1, 2), (9, 1)), 1.0),
        (((1, 1), (3, 2), (100, 1)), 3.0),
        (((2, 2), (10, 2)), 6.0),
    ],
)
def test_the_median_first_reply_is_read_off_the_counted_minutes(
    waits: tuple[tuple[int, int], ...], median: float | None
) -> None:
    assert median_of(waits) == median


@pytest.mark.parametrize(("seconds", "minutes"), [(0.2, 1), (60, 1), (60.5, 2), (719.9, 12)])
def test_a_wait_counts_in_whole_minutes_rounded_up(seconds: float, minutes: int) -> None:
    assert wait_minutes(seconds) == minutes
