"""Hostile text through the real Application: every message gets a reply, nothing breaks."""

from __future__ import annotations

import random

from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram, is_settle
from tests.harness import Prospect, bot_environment, running_bot

PIECES = [
    "😀",
    "\u202e",
    "\u200f",
    "\x00",
    "\t",
    "\n",
    "ß",
    "İ",
    "ﷺ",
    "\U0001d518",
    "\ufeff",
    "%s",
    "{name}",
    "<b>",
    "&amp;",
    "'; DROP TABLE conversations;--",
    "../../etc/passwd",
    "9" * 30,
    "-1",
    "1e9",
    "NaN",
    "31.02.2000",
    "0000-00-00",
    "@",
    "+",
    "0049",
]


def _hostile(rng: random.Random) -> str:
    size = rng.choice([1, 3, 20, 200, 4096])
    text = "".join(
        rng.choice(PIECES) if rng.random() < 0.3 else chr(rng.randrange(32, 0x2FFF))
        for _ in range(size)
    )[:4096]
    return text if text.strip() else "?"


async def test_a_sweep_of_hostile_messages_at_every_question(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    rng = random.Random(20261127)
    async with running_bot(bot_environment(tg, pg, database_url)):
        for chat_id in range(16001, 16019):  # one chat per question of the everything config
            p = Prospect(tg, chat_id=chat_id, language_code=rng.choice(["en", "de", "uk", "tr"]))
            await p.send("/start")
            await p.expect()
            for good in ("Ann", "Lee", "ann@example.com")[: chat_id - 16001]:
                await p.send(good)
                await p.next()
            for _ in range(5):
                before = len(tg.messages_to(chat_id))
                await p.send(_hostile(rng))
                new = [await tg.next_message(chat_id)]
                await tg.wait_idle(chat_id, quiet=0.05)
                new += [
                    await tg.next_message(chat_id)
                    for _ in range(len(tg.messages_to(chat_id)) - before - 1)
                ]
                # An answer or a re-ask, never silence (settles only take old buttons away).
                assert any((m.text or "").strip() and not is_settle(m) for m in new)
    assert tg.errors == []
