"""Playing many prospects at once through the fake Bot API, timing each of the bot's answers.

Reply latency of one update: from the moment the update is queued in the fake (``send_text``,
``send_contact`` and ``press`` append it synchronously, so ``perf_counter()`` just before the call
is that moment) to the fake's ``sent_at`` of the first message the bot sends in answer, which is
``perf_counter()`` when the fake received that ``sendMessage``/``editMessageText`` request. Edits
that only settle an answered question (its buttons taken away) are not an answer and are passed
over, except for the confirmation, whose first reaction is exactly such an edit ("sending…"). Both
clocks are the benchmark process's own. A prospect answers as soon as the bot's last expected
message for a step has arrived or, with ``think``, after a pause like a person typing: between
half and one and a half times ``think``, and a crowd's first messages spread over ``think``
seconds, so that prospects do not answer in lockstep.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.conversation import FIRST_NAME, LAST_NAME, Kind, Step
from tests.fake_telegram import FakeTelegram, SentMessage, is_settle

LANGUAGE = "en"


@dataclass(frozen=True)
class Sample:
    step: int
    kind: Kind
    seconds: float


@dataclass
class ProspectResult:
    samples: list[Sample] = field(default_factory=list)
    failure: str | None = None


@dataclass(frozen=True)
class CrowdResult:
    prospects: int
    completed: int
    wall: float
    samples: list[Sample]
    failures: list[str]
    waits: list[float]  # per finished prospect: the sum of its reply latencies, in seconds


async def _act(tg: FakeTelegram, chat_id: int, step: Step, last: SentMessage | None) -> None:
    if step.kind in (Kind.START, Kind.TEXT):
        await tg.send_text(chat_id, step.value, language_code=LANGUAGE, first_name=FIRST_NAME)
    elif step.kind is Kind.CONTACT:
        await tg.send_contact(chat_id, step.value, language_code=LANGUAGE)
    else:
        if last is None:
            raise AssertionError("a button press needs a message to press it on")
        await tg.press(
            chat_id,
            last.button_data(step.value),
            message_id=last.message_id,
            language_code=LANGUAGE,
        )


def _shows(message: SentMessage, fragment: str) -> bool:
    labels = [label for label, _ in message.buttons()]
    return any(fragment in text for text in [message.text or "", *labels])


async def converse(
    tg: FakeTelegram,
    chat_id: int,
    steps: Sequence[Step],
    deadline: float,
    think: float = 0.0,
    *,
    stagger: bool = False,
) -> ProspectResult:
    """One prospect through ``steps``; stops at the first wrong answer or at ``deadline``."""
    loop = asyncio.get_running_loop()
    rng = random.Random(chat_id)
    result = ProspectResult()
    tg.set_last_name(chat_id, LAST_NAME)
    last: SentMessage | None = None
    for index, step in enumerate(steps):
        if think and (index or stagger):
            await asyncio.sleep(think * (rng.uniform(0.5, 1.5) if index else rng.random()))
        try:
            queued = time.perf_counter()
            await _act(tg, chat_id, step, last)
            first: SentMessage | None = None
            replies: list[SentMessage] = []
            while len(replies) < step.replies:
                message = await tg.next_message(chat_id, timeout=max(0.0, deadline - loop.time()))
                if first is None and message.sent_at >= queued:  # not the last step's settle
                    first = message
                if not is_settle(message):
                    replies.append(message)
        except AssertionError as error:
            result.failure = f"step {index + 1} ({step.kind}): {str(error).splitlines()[0]}"
            return result
        reaction = first if step.kind is Kind.CONFIRM and first is not None else replies[0]
        result.samples.append(Sample(index, step.kind, reaction.sent_at - queued))
        # The next press goes to the last message with buttons: the club question is followed
        # by the message carrying its share-location keyboard.
        last = next((m for m in reversed(replies) if m.buttons()), replies[-1])
        if not any(_shows(message, step.expect) for message in replies):
            result.failure = (
                f"step {index + 1} ({step.kind}): expected {step.expect!r}, "
                f"got {(last.text or '')[:80]!r}"
            )
            return result
    return result


async def crowd(
    tg: FakeTelegram,
    chat_ids: Sequence[int],
    script: Callable[[int], Sequence[Step]],
    time_limit: float,
    think: float = 0.0,
) -> CrowdResult:
    """All prospects at once; each gives up at ``time_limit`` seconds from now."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + time_limit
    started = time.perf_counter()
    results = await asyncio.gather(
        *(
            converse(tg, chat_id, script(chat_id), deadline, think, stagger=len(chat_ids) > 1)
            for chat_id in chat_ids
        )
    )
    wall = time.perf_counter() - started
    return CrowdResult(
        prospects=len(chat_ids),
        completed=sum(1 for r in results if r.failure is None),
        wall=wall,
        samples=[sample for r in results for sample in r.samples],
        failures=[
            f"chat {c}: {r.failure}" for c, r in zip(chat_ids, results, strict=True) if r.failure
        ],
        waits=[sum(s.seconds for s in r.samples) for r in results if r.failure is None],
    )
