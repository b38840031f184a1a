"""The front desk keeps staff's copy minimal, and /forget wins there too (issue 23).

Telegram keeps the staff chat's messages for every present and future member, where /forget
and retention cannot reach: a thread opened at the summary (not yet confirmed) names no
details, one opened after the lead names its customer number; the details only with
``STAFF_NOTICE_DETAILS=full`` once confirmed. /forget takes the prospect's name off the topic
(or the header) and deletes the bot's copies, also when it comes while the topic is being
created; a thread is never opened for a chat forgotten after the handler read it.
"""

from __future__ import annotations

import asyncio
import datetime
from pathlib import Path

import asyncpg
import pytest

from bot.standin.sample_studio import sample_information
from bot.storage import Storage, open_storage
from bot.storage.forgotten import MARK_FORGOTTEN
from bot.storage.postgres import PostgresStorage
from bot.storage.relays import Direction, NewRelay, RelayKind
from bot.storage.threads import Opening
from tests.databases import fresh_database_url
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram, SentMessage
from tests.harness import Prospect, bot_environment, load_config, running_bot

STAFF = -100778
FAST = {
    "OUTBOX_RETRY_BASE_SECONDS": "0.1",
    "PERFECTGYM_TIMEOUT_SECONDS": "1",
    "STAFF_CHAT_ID": str(STAFF),
}
AT_SUMMARY = "The prospect is at the summary of the form and has not sent it yet."
PRICES_NOTE = (
    "❓ The prospect asked about prices; PerfectGym has no membership offers for the studio. "
    "Please answer here."
)
ERASED_NOTE = (
    "The prospect asked the bot to delete their data: this conversation is closed and nothing "
    "more of it is stored. Please delete any of their messages still here."
)


def _env(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, *, forum: bool = True, **extra: str
) -> dict[str, str]:
    pg.set_config(load_config("all-inactive"))
    pg.studio = sample_information(datetime.date.today(), name="Studio Sol")
    pg.offers = None  # 403: /prices hands the question to staff
    tg.add_group(STAFF, "Studio staff", forum=forum)
    return bot_environment(tg, pg, database_url, **FAST, **extra)


async def _at_summary(tg: FakeTelegram, chat_id: int, name: str) -> Prospect:
    prospect = Prospect(tg, chat_id=chat_id, first_name=name)
    await prospect.introduce(name, f"{name}son", f"{name.lower()}@example.com")
    return prospect


def _staff_texts(tg: FakeTelegram) -> list[str]:
    return [m.text or "" for m in tg.messages_to(STAFF)]


def _topic_named(tg: FakeTelegram, name: str) -> int:
    (topic,) = [t for t, state in tg.topics[STAFF].items() if state.name.startswith(name)]
    return topic


async def _until(condition: object, what: str) -> None:
    for _ in range(100):
        if callable(condition) and condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"never: {what}")


async def test_at_the_summary_staff_read_that_and_no_details(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    async with running_bot(_env(tg, pg, database_url)):
        ann = await _at_summary(tg, 43001, "Ann")
        await ann.send("/ask")
        await ann.expect("Write your question here")
        await ann.send("Is there parking?")
        intro, copy = await tg.next_message(STAFF), await tg.next_message(STAFF)
        topic = _topic_named(tg, "Ann")
        assert (intro.text, intro.thread_id) == (AT_SUMMARY, topic)
        assert (copy.text, copy.thread_id) == ("Is there parking?", topic)

        bo = await _at_summary(tg, 43002, "Bo")
        await bo.send("/prices")
        await bo.expect("The studio will answer this personally.")
        intro, note = await tg.next_message(STAFF), await tg.next_message(STAFF)
        topic = _topic_named(tg, "Bo")
        assert [(m.text, m.thread_id) for m in (intro, note)] == [
            (AT_SUMMARY, topic),
            (PRICES_NOTE, topic),
        ]
        await tg.wait_idle(STAFF, quiet=0.3)
    for text in _staff_texts(tg):
        for secret in ("Annson", "ann@example.com", "Boson", "bo@example.com"):
            assert secret not in text
    assert pg.created == []  # nobody confirmed
    assert tg.errors == []


async def test_after_the_lead_a_thread_names_its_state_not_the_details(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    held = pg.hold_next("create")
    async with running_bot(_env(tg, pg, database_url)):
        cy = await _at_summary(tg, 43003, "Cy")
        summary = tg.messages_to(43003)[-1]
        await cy.press(summary, "Yes, send it")
        await cy.send("/ask")  # the lead is on its way: PerfectGym has not answered yet
        await cy.expect("Write your question here")
        intro = await tg.next_message(STAFF)
        assert intro.text == "New lead from Telegram: on its way to PerfectGym."
        assert intro.thread_id == _topic_named(tg, "Cy")
        held.released.set()
        await cy.expect_eventually("Thank you")
        await tg.wait_idle(STAFF, quiet=0.3)
    assert len(pg.created) == 1
    for text in _staff_texts(tg):
        assert "Cyson" not in text
        assert "cy@example.com" not in text
    assert tg.errors == []


async def test_with_full_details_staff_read_them_once_confirmed_never_at_the_summary(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    async with running_bot(_env(tg, pg, database_url, STAFF_NOTICE_DETAILS="full")):
        dee = await _at_summary(tg, 43004, "Dee")
        await dee.send("/ask")
        await dee.expect("Write your question here")
        intro = await tg.next_message(STAFF)
        assert intro.text == AT_SUMMARY

        eve = await _at_summary(tg, 43005, "Eve")
        await eve.press(tg.messages_to(43005)[-1], "Yes, send it")
        await eve.expect_eventually("Thank you")
        notice = await tg.next_message(STAFF)
        assert notice.text == (
            "New lead from Telegram: Eve Eveson <eve@example.com> (customer number 1-1)."
        )
        await eve.send("One more question")
        intro = await tg.next_message(STAFF)
        assert intro.thread_id == _topic_named(tg, "Eve")
        # Staff read the details in the lead's notice above; the bot keeps none of a created
        # lead's (whatever an instance may still remember) to repeat them.
        assert intro.text == "New lead from Telegram: PerfectGym customer number 1-1."
        await tg.wait_idle(STAFF, quiet=0.3)
    assert not any("Deeson" in text or "dee@example.com" in text for text in _staff_texts(tg))
    assert len(pg.created) == 1
    assert tg.errors == []


async def test_forget_while_the_topic_is_created_leaves_no_named_topic_open(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    async with running_bot(_env(tg, pg, database_url)):
        pat = await _at_summary(tg, 43006, "Pat")
        await pat.press(tg.messages_to(43006)[-1], "Yes, send it")
        await pat.expect_eventually("Thank you")
        await tg.next_message(STAFF)  # the lead's notice
        held = tg.hold_next_topic(STAFF)
        await pat.send("a question")
        await pat.expect("has your message")
        await asyncio.wait_for(held.arrived.wait(), 10)
        await pat.send("/forget")
        await pat.expect("Done: everything this bot stored about this chat has been deleted.")
        held.released.set()
        await _until(lambda: any(t.closed for t in tg.topics[STAFF].values()), "topic closed")
        await tg.wait_idle(STAFF, quiet=0.3)
        (topic,) = tg.topics[STAFF].values()
        assert (topic.name, topic.closed) == ("Erased", True)
        assert tg.method_calls("copyMessage") == 0  # the question never reached the topic
    assert not any("Pat" in text for text in _staff_texts(tg))
    assert len(pg.created) == 1
    assert tg.errors == []


async def test_forget_while_a_copy_goes_to_staff_deletes_that_copy_too(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    """A message of the prospect's is being copied into the topic when /forget comes: /forget
    deletes the copies it knows of, and the one that arrives after it is deleted as it does."""
    async with running_bot(_env(tg, pg, database_url)):
        pia = await _at_summary(tg, 43009, "Pia")
        await pia.press(tg.messages_to(43009)[-1], "Yes, send it")
        await pia.expect_eventually("Thank you")
        await tg.next_message(STAFF)  # the lead's notice
        held = tg.hold_next_copy(STAFF)
        await pia.send("my number is +49 151 7654321")
        await pia.expect("has your message")
        await asyncio.wait_for(held.arrived.wait(), 10)
        await pia.send("/forget")
        await pia.expect("Done: everything this bot stored about this chat has been deleted.")
        held.released.set()
        copies = [m for m in tg.messages_to(STAFF) if m.method == "copyMessage"]
        await _until(
            lambda: len([m for m in tg.messages_to(STAFF) if m.method == "copyMessage"]) == 1,
            "the held copy made",
        )
        (copy,) = [m for m in tg.messages_to(STAFF) if m.method == "copyMessage"]
        await _until(
            lambda: any(
                m.method == "deleteMessages" and m.message_id == copy.message_id
                for m in tg.messages_to(STAFF)
            ),
            "the late copy deleted",
        )
        assert copies == []  # it was held until after /forget
    assert len(pg.created) == 1
    assert tg.errors == []


async def test_forget_without_topics_takes_the_name_off_the_header_and_deletes_the_copies(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    async with running_bot(_env(tg, pg, database_url, forum=False)):
        pat = await _at_summary(tg, 43007, "Pat")
        await pat.press(tg.messages_to(43007)[-1], "Yes, send it")
        await pat.expect_eventually("Thank you")
        await tg.next_message(STAFF)  # the lead's notice
        await pat.send("my number is +49 151 1234567")
        await pat.expect("has your message")
        header, intro, copy = [await tg.next_message(STAFF) for _ in range(3)]
        assert header.text == "💬 Pat asks:"
        assert (intro.reply_to, copy.reply_to) == (header.message_id, header.message_id)
        await pat.send("/forget")
        await pat.expect("Done: everything this bot stored about this chat has been deleted.")
        seen: list[SentMessage] = [await tg.next_message(STAFF) for _ in range(4)]
        deleted = sorted(m.message_id for m in seen if m.method == "deleteMessages")
        assert deleted == sorted([intro.message_id, copy.message_id])
        (note,) = [m for m in seen if m.text == ERASED_NOTE]
        assert note.reply_to == header.message_id
        (edited,) = [m for m in seen if m.method == "editMessageText"]
        assert (edited.message_id, edited.text) == (
            header.message_id,
            "💬 A prospect's conversation (erased)",
        )
        await tg.wait_idle(STAFF, quiet=0.3)
    assert tg.errors == []


async def test_a_thread_is_not_opened_for_a_chat_forgotten_since_it_was_read(
    storage: Storage,
) -> None:
    """Two instances: /forget on one while the other handles a question of the same chat."""
    chat = 43100

    def opening(since: float) -> Opening:
        return Opening(None, STAFF, "spring", "Pat", "en", since=since)

    intro = (NewRelay(Direction.TO_STAFF, RelayKind.TEXT, text="intro"),)
    copy = (NewRelay(Direction.TO_STAFF, RelayKind.COPY, chat, 7),)
    await storage.forget_chat(chat, now=1000.0)
    for since in (999.0, 1000.0):  # read before the erasure, or at its very moment
        change = await storage.record_thread(
            chat, 1001.0, opening=opening(since), intro=intro, relays=copy
        )
        assert (change.thread, change.created, change.relayed) == (None, False, 0)
        assert await storage.thread(chat) is None
        assert await storage.claim_relays(2000.0, 2060.0, 10) == []
    # Read after the erasure: the prospect began anew, and their thread opens.
    change = await storage.record_thread(
        chat, 1002.0, opening=opening(1000.5), intro=intro, relays=copy
    )
    assert change.created
    assert change.relayed == 2
    assert change.thread is not None
    assert change.thread.name == "Pat"


@pytest.mark.e2e
async def test_on_postgresql_a_thread_opening_waits_for_a_forget_in_flight(
    tmp_path: Path,
) -> None:
    """Two instances on PostgreSQL: /forget's transaction has begun on one (and has not yet
    committed) when the other, having read the chat before it, opens the chat's thread. The
    opening waits for /forget and then finds the chat forgotten; without the per-chat lock its
    "not forgotten since" check would run before /forget commits, and the thread (and its
    intro for staff) would be written after the erasure deleted the chat's rows."""
    chat = 43200
    async with fresh_database_url("postgres", tmp_path) as url:
        storage = await open_storage(url)
        forgetting = await asyncpg.connect(url)
        try:
            erasure = forgetting.transaction()
            await erasure.start()
            await forgetting.execute(PostgresStorage._ERASING_CHAT, chat)
            opening = asyncio.create_task(
                storage.record_thread(
                    chat,
                    1001.0,
                    opening=Opening(None, STAFF, "spring", "Pat", "en", since=999.0),
                    intro=(NewRelay(Direction.TO_STAFF, RelayKind.TEXT, text="intro"),),
                )
            )
            await _until_waiting_for_a_lock(forgetting)
            assert not opening.done()
            await forgetting.execute(MARK_FORGOTTEN, chat, 1000.0, None, "token", None, None)
            await erasure.commit()
            change = await opening
            assert (change.thread, change.created, change.relayed) == (None, False, 0)
            assert await storage.thread(chat) is None
            assert await storage.claim_relays(2000.0, 2060.0, 10) == []
        finally:
            await forgetting.close()
            await storage.close()


async def _until_waiting_for_a_lock(db: asyncpg.Connection[asyncpg.Record]) -> None:
    """Until another session waits for an advisory lock (what PostgreSQL itself reports)."""
    waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    for _ in range(200):
        if await db.fetchval(waiting):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the thread's opening never waited for /forget's lock")
