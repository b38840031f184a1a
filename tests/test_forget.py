"""/forget wins at any moment: the real bot, a real database, every table dumped afterwards.

A prospect sends /forget mid-form, at the summary, and while PerfectGym is answering their lead
(validate, create) or their trial booking. Afterwards no row of any table holds their chat id or
any of their answers, but the one record staff need for the studio's part of the erasure (the
PerfectGym customer number and booking id), and nothing more reaches them or staff's chat
than the erasure request.
"""

from __future__ import annotations

import datetime
import sqlite3
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from bot.storage.schema import TABLES
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Clock, Prospect, bot_environment, load_config, running_bot
from tests.test_studio_identity import studio_information
from tests.test_trial_booking import _env as trial_env
from tests.test_trial_booking import _lead, _offer, _pick, _yoga

STAFF = -100555
STUDIO_EMAIL = "hello@sol.example"
LONDON = ZoneInfo("Europe/London")  # where the studio is ("GB")
# What a forgotten chat's record may hold: ids in PerfectGym, a random token, and dates.
FORGOTTEN_COLUMNS = (
    "chat_id",
    "forgotten_at",
    "customer_number",
    "booking_id",
    "token",
    "manual_entry_at",
)
Row = dict[str, Any]


def _env(tg: FakeTelegram, pg: FakePerfectGym, database_url: str) -> dict[str, str]:
    pg.set_config(load_config("all-inactive"))
    pg.studio = studio_information("Studio Sol London", "GB", email=STUDIO_EMAIL)
    tg.add_group(STAFF, "Studio staff")
    return bot_environment(
        tg, pg, database_url, STAFF_CHAT_ID=str(STAFF), OUTBOX_RETRY_BASE_SECONDS="0.1"
    )


async def _dump(database_url: str) -> dict[str, list[Row]]:
    """Every row of every table, by table."""
    names = [table.name for table in TABLES]
    if database_url.startswith("sqlite:"):
        file = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        file.row_factory = sqlite3.Row
        try:
            return {
                name: [dict(row) for row in file.execute(f"SELECT * FROM {name}")] for name in names
            }
        finally:
            file.close()
    server = await asyncpg.connect(database_url)
    try:
        return {
            name: [dict(row) for row in await server.fetch(f"SELECT * FROM {name}")]
            for name in names
        }
    finally:
        await server.close()


def _mentions(row: Row, chat_id: int, answers: tuple[str, ...]) -> bool:
    for value in row.values():
        if value == chat_id or (isinstance(value, str) and str(chat_id) in value):
            return True
        if isinstance(value, str) and any(
            answer.casefold() in value.casefold() for answer in answers
        ):
            return True
    return False


async def _only_the_record_is_left(
    database_url: str, chat_id: int, answers: tuple[str, ...]
) -> Row | None:
    """The forgotten record of ``chat_id`` (None if there is none); fails if any other row
    holds the chat id or an answer."""
    tables = await _dump(database_url)
    kept = [
        (name, row)
        for name, rows in tables.items()
        for row in rows
        if _mentions(row, chat_id, answers)
    ]
    assert [name for name, _ in kept if name != "forgotten_chats"] == [], kept
    records = [row for name, row in kept if name == "forgotten_chats"]
    assert len(records) <= 1
    if not records:
        return None
    [record] = records
    assert tuple(record) == FORGOTTEN_COLUMNS
    assert not any(answer in str(record.values()) for answer in answers)
    return record


def _sent(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [m.text or "" for m in tg.drain(chat_id) if m.method == "sendMessage"]


async def test_forget_mid_form_leaves_nothing_and_names_the_studio(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str
) -> None:
    async with running_bot(_env(tg, pg, database_url_all_backends)):
        mia = Prospect(tg, chat_id=23001)
        await mia.introduce("Mirabella", "Quist")
        reply = await mia.answer("/forget", "has been deleted")
        assert f"to have them deleted too, write to {STUDIO_EMAIL}." in (reply.text or "")
    assert _sent(tg, STAFF) == []  # nothing reached PerfectGym: nothing for staff to erase
    record = await _only_the_record_is_left(
        database_url_all_backends, 23001, ("Mirabella", "Quist")
    )
    assert record is not None
    assert (record["customer_number"], record["booking_id"]) == (None, None)


async def test_forget_at_the_summary_sends_nothing(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    async with running_bot(_env(tg, pg, database_url)):
        sam = Prospect(tg, chat_id=23002)
        await sam.introduce("Samwise", "Gardner", "samwise@example.com")
        await sam.answer("/forget", "has been deleted")
    assert pg.calls["validate"] == 0
    assert pg.created == []
    await _only_the_record_is_left(database_url, 23002, ("Samwise", "Gardner", "samwise@"))


async def test_forget_while_validate_is_in_flight_creates_nothing(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str
) -> None:
    async with running_bot(_env(tg, pg, database_url_all_backends)):
        val = Prospect(tg, chat_id=23003)
        summary = await val.introduce("Valentina", "Vex", "valentina@example.com")
        validate = pg.hold_next("validate")  # only it: a refresh meanwhile is answered
        await val.press(summary, "Yes, send it")
        await validate.arrived.wait()
        await val.answer("/forget", "has been deleted")
        validate.released.set()
    # Stopping the bot waited for the attempt under way: it ended without a create.
    assert pg.calls["validate"] == 1
    assert pg.calls["create"] == 0
    assert pg.created == []
    assert not any("Thank you" in text for text in _sent(tg, 23003))
    assert _sent(tg, STAFF) == []
    await _only_the_record_is_left(
        database_url_all_backends, 23003, ("Valentina", "Vex", "valentina@")
    )


async def test_forget_while_create_is_in_flight_leaves_staff_only_the_customer_number(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str
) -> None:
    async with running_bot(_env(tg, pg, database_url_all_backends)):
        quin = Prospect(tg, chat_id=23004)
        summary = await quin.introduce("Quirinella", "Quast", "quirinella@example.com")
        create = pg.hold_next("create")
        await quin.press(summary, "Yes, send it")
        await create.arrived.wait()
        await quin.answer("/forget", "has been deleted", STUDIO_EMAIL)
        create.released.set()
        staff = await tg.next_message(STAFF)
    assert len(pg.created) == 1  # the create in flight was let finish, once
    assert staff.text == (
        "Erasure requested: a prospect asked the bot to delete their data. Please delete it "
        "in PerfectGym too (customer number 1-1, trial booking -)."
    )
    assert _sent(tg, STAFF) == []  # no notice with the name, e-mail or phone
    sent = _sent(tg, 23004)
    assert not any("Thank you" in text or "trial" in text for text in sent), sent
    record = await _only_the_record_is_left(
        database_url_all_backends, 23004, ("Quirinella", "Quast", "quirinella@")
    )
    assert record is not None
    assert (record["customer_number"], record["booking_id"]) == ("1-1", None)


async def test_forget_after_the_lead_tells_staff_at_once(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    async with running_bot(_env(tg, pg, database_url)):
        di = Prospect(tg, chat_id=23005)
        await di.confirm_lead("Dionysia", "Dorn", "dionysia@example.com")
        await di.expect("Thank you, Dionysia")
        assert "New lead from Telegram" in (await tg.next_message(STAFF)).text  # type: ignore[operator]
        await di.answer("/forget", "has been deleted")
        staff = await tg.next_message(STAFF)
    assert "customer number 1-1, trial booking -" in (staff.text or "")
    assert "Dionysia" not in (staff.text or "")
    record = await _only_the_record_is_left(database_url, 23005, ("Dionysia", "Dorn", "dionysia@"))
    assert record is not None
    assert record["customer_number"] == "1-1"


async def test_forget_while_a_booking_is_in_flight_leaves_staff_the_booking_id(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str, noon: Clock
) -> None:
    env = trial_env(tg, pg, database_url_all_backends)
    async with running_bot(env, clock=noon):
        lena, invitation = await _lead(tg, 23006)
        # The trial tests' staff chat: the new lead's notice, sent after the thank-you.
        await tg.next_message(-1001234500077)
        tg.drain(-1001234500077)
        days = await _offer(lena, invitation, "Yoga")
        book = pg.hold_next("class_book")
        await _pick(lena, days, _yoga(pg)[0].start)
        await book.arrived.wait()
        await lena.answer("/forget", "has been deleted")
        at_once = await tg.next_message(-1001234500077)
        book.released.set()
        staff = await tg.next_message(-1001234500077)
    assert "(customer number 1-1, trial booking -)" in (at_once.text or "")
    [booking] = pg.trials.bookings
    assert staff.text == (
        "Erasure requested: a prospect asked the bot to delete their data. Please delete it "
        f"in PerfectGym too (customer number 1-1, trial booking {booking})."
    )
    sent = _sent(tg, 23006)
    assert not any("Booked" in text for text in sent), sent
    record = await _only_the_record_is_left(
        database_url_all_backends, 23006, ("Lena", "Lang", "lena23006@")
    )
    assert record is not None
    assert (record["customer_number"], record["booking_id"]) == ("1-1", booking)


async def test_forget_after_a_lead_posted_for_manual_entry_names_the_day_it_was_posted(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str, noon: Clock
) -> None:
    """PerfectGym refused the lead, so staff got the person's details to enter by hand: the
    studio holds them, and /forget days later tells staff so, naming the day (London's, the
    studio's) it was posted, with nothing personal kept for it."""
    pg.fail_next("create", 400)
    async with running_bot(_env(tg, pg, database_url_all_backends), clock=noon):
        al = Prospect(tg, chat_id=23010)
        await al.confirm_lead("Alarica", "Ambler", "alarica@example.com")
        await al.expect("Studio Sol London will follow up")
        details = await tg.next_message(STAFF)
        noon.forward(3 * 24 * 3600.0)
        reply = await al.answer("/forget", "has been deleted")
        staff = await tg.next_message(STAFF)
    assert pg.calls["create"] == 1
    assert pg.created == []
    assert (details.text or "").startswith(
        "A lead from Telegram could not be delivered to PerfectGym and needs manual entry: "
        "Alarica Ambler <alarica@example.com>."
    )
    assert f"to have them deleted too, write to {STUDIO_EMAIL}." in (reply.text or "")
    posted = (noon.moment() - datetime.timedelta(days=3)).astimezone(LONDON).date()
    assert staff.text == (
        "Erasure requested: a prospect asked the bot to delete their data. Their lead was "
        f"posted here for manual entry on {posted.day} {posted:%B} {posted.year}: please "
        "delete it wherever it was entered."
    )
    assert [label for label, _ in staff.buttons()] == ["✅ Erased in PerfectGym"]
    assert _sent(tg, STAFF) == []
    record = await _only_the_record_is_left(
        database_url_all_backends, 23010, ("Alarica", "Ambler", "alarica@")
    )
    assert record is not None
    assert (record["customer_number"], record["booking_id"]) == (None, None)
    assert record["manual_entry_at"] is not None
    when = datetime.datetime.fromtimestamp(record["manual_entry_at"], LONDON)
    assert when.date() == posted


async def test_staff_confirm_the_erasure_in_their_chat_only(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str
) -> None:
    env = _env(tg, pg, database_url_all_backends)
    async with running_bot(env):
        eva = Prospect(tg, chat_id=23007)
        await eva.confirm_lead("Evangelina", "Eck", "evangelina@example.com")
        await eva.expect("Thank you, Evangelina")
        assert "New lead from Telegram" in (await tg.next_message(STAFF)).text  # type: ignore[operator]
        await eva.answer("/forget", "has been deleted")
        notice = await tg.next_message(STAFF)
        [(label, data)] = notice.buttons()
        assert label == "✅ Erased in PerfectGym"
        assert "23007" not in data
        assert len(data.encode()) <= 64
        # The same data pressed in the prospect's chat, and a forged token in the staff chat.
        await tg.press(23007, data, message_id=eva_last(tg), check=False)
        await tg.press(STAFF, "erased:forged", message_id=notice.message_id, check=False)
    # Stopping the bot waited for both presses: neither confirmed anything (the prospect's
    # press is a stale button to the dialogue, which may begin anew; the record stays).
    assert await _forgotten(database_url_all_backends) == [23007]
    assert notice.message_id in tg.with_buttons(STAFF)
    assert _sent(tg, STAFF) == []
    async with running_bot(env):
        await tg.press(STAFF, data, message_id=notice.message_id)
        confirmed = await tg.next_message(STAFF)
    assert (confirmed.method, confirmed.message_id) == ("editMessageText", notice.message_id)
    assert confirmed.text == "✅ Erasure confirmed."
    assert tg.with_buttons(STAFF) == []
    assert await _forgotten(database_url_all_backends) == []


async def _forgotten(database_url: str) -> list[int]:
    return [int(row["chat_id"]) for row in (await _dump(database_url))["forgotten_chats"]]


def eva_last(tg: FakeTelegram) -> int:
    """The prospect's last message from the bot, where a forged press can come from."""
    return tg.messages_to(23007)[-1].message_id


async def test_forget_while_a_reminder_is_being_sent(
    tg: FakeTelegram, pg: FakePerfectGym, database_url_all_backends: str
) -> None:
    """The reminder's send is held at Telegram while /forget is answered: the reminder was on
    its way and is delivered, and nothing else reaches the prospect after the erasure."""
    env = _env(tg, pg, database_url_all_backends) | {
        "REMINDER_AFTER_HOURS": "20",
        "SWEEP_SECONDS": "0.05",
    }
    clock = Clock()
    clock.to_berlin(14)
    async with running_bot(env, clock=clock):
        rosa = Prospect(tg, chat_id=23008)
        await rosa.send("/start")
        await rosa.expect("first name")
        await rosa.answer("Rosamunde", "last name")
        reminder = tg.hold_next(23008)
        clock.forward(22 * 3600)  # noon the next day, 22 hours after her answer
        await reminder.arrived.wait()
        done = await rosa.answer("/forget", "has been deleted")
        reminder.released.set()
        held = await rosa.expect("Hello again from Studio Sol London")
        clock.forward(48 * 3600)  # later sweeps find nothing of hers
        await tg.wait_idle(23008)
    sent = [m for m in tg.messages_to(23008) if m.method == "sendMessage"]
    assert sent[sent.index(done) + 1 :] == [held]
    await _only_the_record_is_left(database_url_all_backends, 23008, ("Rosamunde",))


async def test_forget_while_a_refused_leads_notice_goes_out_keeps_the_details_from_staff(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    """PerfectGym refused the lead, and /forget comes while the prospect's notice is still on
    its way (Telegram slow): staff are told of the erasure, and the details to enter by hand,
    which would have followed the prospect's notice, never do."""
    async with running_bot(_env(tg, pg, database_url)):
        bo = Prospect(tg, chat_id=23011)
        summary = await bo.introduce("Bodil", "Brandt", "bodil@example.com")
        pg.fail_next("create", 400)
        create = pg.hold_next("create")
        await bo.press(summary, "Yes, send it")
        await create.arrived.wait()
        notice = tg.hold_next(23011)
        create.released.set()
        await notice.arrived.wait()
        await bo.answer("/forget", "has been deleted")
        staff = await tg.next_message(STAFF)
        notice.released.set()
        await tg.wait_idle(STAFF, quiet=0.3)
    assert pg.calls["create"] == 1
    assert pg.created == []
    assert (staff.text or "").startswith("Erasure requested: a prospect asked the bot to delete")
    assert not any("Bodil" in text or "bodil@" in text for text in _sent(tg, STAFF))
    await _only_the_record_is_left(database_url, 23011, ("Bodil", "Brandt", "bodil@"))
