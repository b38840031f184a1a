"""A whole conversation at DEBUG: the logs carry no token, no API key and no personal data."""

from __future__ import annotations

import json
from pathlib import Path

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import API_KEY, BotProcess, Prospect, bot_environment

FIRST, LAST = "Zebulon", "Quixwright"
EMAIL = "zebulon.quixwright@example.org"
PHONE_DIGITS = "4915123456789"
STREET, CITY, ZIP = "Xylophonweg", "Quedlinburg", "06484"
INJURY = "Sprained-Ankle-Secret"


async def test_debug_logs_hold_no_secrets_and_no_personal_data(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str, tmp_path: Path
) -> None:
    log_path = tmp_path / "bot.log"
    env = bot_environment(tg, pg, database_url, LOG_LEVEL="DEBUG", OUTBOX_RETRY_BASE_SECONDS="0.1")
    pg.fail_next("validate", 500)  # one failure on the way, so error paths log too
    async with BotProcess(env, tg, log_path):
        zeb = Prospect(tg, chat_id=14001, language_code="de")
        await zeb.introduce(FIRST, LAST, EMAIL, welcome=["16"], count=16, then=["4/16"])
        await zeb.share_contact(PHONE_DIGITS)
        gender = await zeb.next()
        await zeb.press(gender, gender.buttons()[2][0])
        await zeb.next()
        for answer in ("31.12.1990", "Deutschland", f"{STREET} 7", f"{ZIP} {CITY}"):
            await zeb.send(answer)
            await zeb.next()
        heard = tg.messages_to(14001)[-1]
        assert "10/16" in (heard.text or "")
        await zeb.press(heard, "Friends")
        goals = await zeb.next()
        await zeb.press(goals, "Überspringen")  # skip
        await zeb.expect("12/16")
        for answer in ("1.6.2027", "2", INJURY):
            await zeb.send(answer)
            await zeb.next()
        student = tg.messages_to(14001)[-1]
        assert "15/16" in (student.text or "")
        await zeb.press(student, student.buttons()[0][0])
        consent = await zeb.next()
        await zeb.press(consent, consent.buttons()[0][0])
        summary = await zeb.next()
        await zeb.press(summary, summary.buttons()[0][0])
        await zeb.expect_eventually("Zebulon", "🎉")
        await tg.send_sticker(14001, language_code="de")
        await zeb.next()
        await zeb.send("/forget")
        await zeb.next()
    text = log_path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) > 5, text
    for line in lines:
        entry = json.loads(line)  # structured: one JSON object per line
        assert {"ts", "level", "logger", "event"} <= entry.keys()
    assert any('"level": "debug"' in line for line in lines)
    assert len(pg.created) == 1
    secret = tg.token.split(":", 1)[1]
    forbidden = [
        tg.token,
        secret,
        API_KEY,
        FIRST,
        LAST,
        EMAIL,
        "zebulon",
        PHONE_DIGITS,
        "1990-12-31",
        "31.12.1990",
        STREET,
        CITY,
        ZIP,
        INJURY,
    ]
    leaks = [word for word in forbidden if word.lower() in text.lower()]
    assert leaks == [], f"leaked into the logs: {leaks}\n{text}"
