"""The front desk as the rest of the bot sees it: the answers without staff (always) and the
threads with a person (only with a staff group to talk in), behind one row of buttons.

The intake puts :meth:`FrontDesk.rows` under the welcome and the thank-you (through
``bot.intake.desk.DeskButtons``); every ``desk:`` button comes back to :meth:`FrontDesk.press`
(through ``bot.intake.routing.ButtonPresses``, :meth:`FrontDesk.buttons`), which hands it to the
part it belongs to; its commands (/where, /hours, /prices, /ask) are :meth:`FrontDesk.commands`.
"""

from __future__ import annotations

from bot.frontdesk.answers import Answers
from bot.frontdesk.threads import Threads
from bot.intake.routing import Buttons, RunCommand, Typed
from bot.intake.service import Chat
from conversations.front_desk import ASK, BACK, PREFIX, Topic, desk_rows, parse_topic_data
from conversations.i18n import Translator
from conversations.replies import Button, Outcome


class FrontDesk:
    def __init__(self, answers: Answers, threads: Threads | None = None) -> None:
        self.answers = answers
        self.threads = threads

    @property
    def can_ask(self) -> bool:
        """Whether prospects can write to a person (/ask, the button): a staff group exists."""
        return self.threads is not None

    def rows(self, tr: Translator, studio: str | None) -> tuple[tuple[Button, ...], ...]:
        """The buttons under the welcome and the thank-you of a prospect of ``studio``: the
        answers where the club's data gives any, asking a person where there is one to ask."""
        return desk_rows(tr, answers=self.answers.answers_for(studio), ask=self.can_ask)

    def owns(self, data: str) -> bool:
        return data.startswith(PREFIX)

    def buttons(self) -> Buttons:
        """Every ``desk:`` button, for the dispatcher of presses."""
        return Buttons(self.owns, self.press)

    def commands(self) -> dict[str, RunCommand]:
        """/where, /hours and /prices always (the studio answers even without data); /ask
        with a staff group to talk in, where words after it go to staff too."""

        def answer(topic: Topic) -> RunCommand:
            async def run(chat: Chat, typed: Typed) -> Outcome:
                return await self.answers.answer(chat, topic)

            return run

        table = {topic.value: answer(topic) for topic in Topic}
        threads = self.threads
        if threads is not None:

            async def ask(chat: Chat, typed: Typed) -> Outcome:
                return await threads.ask(chat, typed.message_id if typed.args else None)

            table["ask"] = ask
        return table

    async def press(self, chat: Chat, data: str) -> Outcome:
        """A front-desk button. One of a part no longer there (a staff group removed since the
        message was sent) changes nothing; its press is still answered."""
        topic = parse_topic_data(data)
        if topic is not None:
            return await self.answers.answer(chat, topic)
        if self.threads is not None and data == ASK:
            return await self.threads.ask(chat)
        if self.threads is not None and data == BACK:
            return await self.threads.back(chat)
        return Outcome(changed=False)
