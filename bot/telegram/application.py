"""Telegram wiring: python-telegram-bot handlers that translate updates into intake events.

Small and explicit, in the style of python-telegram-bot's examples: each handler turns one kind
of update into a call on :class:`bot.intake.service.Intake` and sends the replies back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Collection, Coroutine, Sequence
from dataclasses import replace
from typing import Any, Protocol

from telegram import (
    Bot,
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Location,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram import Venue as TelegramVenue
from telegram._utils.types import JSONDict
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.frontdesk.desk import FrontDesk
from bot.frontdesk.staff_side import StaffSide
from bot.intake.commands import menu
from bot.intake.erasure_requests import CONFIRM_PREFIX, ErasureRequests
from bot.intake.routing import ButtonPresses, Commands, Typed
from bot.intake.sender import Sent as Sent
from bot.intake.service import Chat, Intake
from bot.logging_setup import chat_ref
from bot.marketing.report import chart_png
from bot.marketing.staff_report import ReportScopes, days_asked, usage
from bot.settings import Settings
from bot.storage.chat_messages import ChatMessageRecords, ChatMessages
from bot.storage.replies import PendingReplies, ReplyKind
from bot.telegram.resend import encode, is_transient
from bot.telegram.unstored import UnstoredUpdates, storage_failure
from bot.telegram.updates import PerChatUpdateProcessor
from conversations.events import (
    ContactShared,
    Event,
    LocationShared,
    TextInput,
    UnsupportedInput,
)
from conversations.i18n import Translator, available_locales, negotiate
from conversations.replies import Outcome, Reply, Settle

log = logging.getLogger(__name__)

MAX_TEXT_LENGTH = 4096
AnyApplication = Application[Any, Any, Any, Any, Any, Any]
ReplyMarkup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


def _markup(reply: Reply) -> ReplyMarkup | None:
    if reply.buttons:
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(b.text, callback_data=b.data) for b in row]
                for row in reply.buttons
            ]
        )
    if reply.contact_button:
        rows = [[KeyboardButton(reply.contact_button, request_contact=True)]]
        rows += [[KeyboardButton(text)] for text in reply.keyboard_texts]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    if reply.location_button:
        return _location_keyboard(reply.location_button)
    if reply.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


def _location_keyboard(label: str) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(label, request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def _fit(text: str) -> str:
    return text if len(text) <= MAX_TEXT_LENGTH else text[: MAX_TEXT_LENGTH - 1] + "…"


class SenderRecords(ChatMessageRecords, PendingReplies, Protocol):
    """What the sender stores: the messages it may still edit, and replies to send again."""


class TelegramSender:
    """Delivers an outcome to a chat, keeping old buttons from lingering.

    Telegram tells a sent message's id only after sending, so the ids of the message whose
    buttons are live and of the last summary are stored after the replies went out
    (``Storage.save_messages``); the next update settles or updates those messages by id.
    What Telegram does not take for a passing reason (``resend.is_transient``) is kept in the
    store and sent again by :class:`~bot.telegram.resend.Resender`.
    """

    def __init__(
        self, bot: Bot, storage: SenderRecords, clock: Callable[[], float] = time.time
    ) -> None:
        self._bot = bot
        self._storage = storage
        self._clock = clock
        self._background: set[asyncio.Task[None]] = set()
        # Told whenever a reply is kept, so the resender looks for it (set by the runtime).
        self.on_kept: Callable[[], None] | None = None

    async def send(
        self, chat_id: int, replies: Sequence[Reply], *, about: int | None = None
    ) -> None:
        await self.deliver(chat_id, Outcome(replies=tuple(replies)), about=about)

    def typing_soon(self, chat_id: int) -> None:
        task = asyncio.create_task(self._typing(chat_id))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _typing(self, chat_id: int) -> None:
        """Only a courtesy: nothing is kept or retried, and nothing it raises goes unseen."""
        try:
            await self._bot.send_chat_action(chat_id, ChatAction.TYPING)
        except TelegramError:
            pass
        except Exception:
            log.warning("showing typing… failed", exc_info=True)

    async def deliver(
        self,
        chat_id: int,
        outcome: Outcome,
        *,
        not_after: float | None = None,
        about: int | None = None,
    ) -> Sent:
        """An outcome of the bot's own (a thank-you, a reminder, a staff notice): the delivery
        policy in one place. Kept and sent later when Telegram does not take it now; refused
        for good (a 400) is logged and told, never raised, so one chat's refusal stops no other
        message. A group upgraded to a supergroup is followed to its new id."""
        try:
            return await self.reply(
                chat_id, outcome, kind=ReplyKind.NOTICE, not_after=not_after, about=about
            )
        except ChatMigrated as moved:
            # Only a group moves, and its id is no one's personal data: the operator needs it.
            log.warning(
                "chat %s is now chat %s (a group upgraded to a supergroup): change the setting "
                "that names it",
                chat_id,
                moved.new_chat_id,
            )
            try:
                return await self.reply(
                    moved.new_chat_id,
                    outcome,
                    kind=ReplyKind.NOTICE,
                    not_after=not_after,
                    about=about,
                )
            except TelegramError as error:
                return _refused(moved.new_chat_id, error)
        except TelegramError as error:
            return _refused(chat_id, error)

    async def send_kept(self, chat_id: int, replies: tuple[Reply, ...]) -> bool:
        """A kept reply, tried again; a passing failure is raised to the resender."""
        return await self.reply(chat_id, Outcome(replies=replies), kind=None) is not Sent.BLOCKED

    async def reply(
        self,
        chat_id: int,
        outcome: Outcome,
        query: CallbackQuery | None = None,
        kind: ReplyKind | None = ReplyKind.ANSWER,
        not_after: float | None = None,
        about: int | None = None,
    ) -> Sent:
        """Send ``outcome``. Replies Telegram does not take for a passing reason are kept as
        ``kind`` until ``not_after`` (None: the error is raised instead)."""
        pressed = (
            query.message if query is not None and isinstance(query.message, Message) else None
        )
        # What the prospect waits for goes first; reading which message to tidy, and tidying
        # it, come after, unless a reply replaces the summary in place.
        tracked: ChatMessages | None = None
        if any(reply.in_place for reply in outcome.replies):
            tracked = await self._storage.load_messages(chat_id)
        in_place = tracked.summary if tracked is not None else None
        now = ChatMessages()
        sent_count = 0
        try:
            for reply in outcome.replies:
                sent = await self._send_one(chat_id, reply, pressed, in_place)
                sent_count += 1
                if reply.buttons:
                    now = replace(now, buttons=sent)
                if reply.summary:
                    now = replace(now, summary=sent)
            # A reply that took the pressed message's place (a city's clubs in place of the
            # cities) is what the prospect answers next: the settle must not strip its buttons.
            replaced = pressed is not None and any(reply.replace for reply in outcome.replies)
            if outcome.settle is not None and not replaced:
                if tracked is None and pressed is None:
                    tracked = await self._storage.load_messages(chat_id)
                buttons = tracked.buttons if tracked is not None else None
                await self._settle(chat_id, outcome.settle, pressed, buttons, in_place)
        except Forbidden:
            log.info("a prospect blocked the bot; reply not delivered")
            return Sent.BLOCKED
        except TelegramError as error:
            if kind is None or not is_transient(error):
                raise
            if sent_count == len(outcome.replies):  # only the old buttons stayed: no matter
                log.info("chat %s: old buttons not taken off (%s)", chat_ref(chat_id), error)
            else:
                await self._keep(
                    chat_id, outcome.replies[sent_count:], kind, error, not_after, about
                )
                if now != ChatMessages():
                    await self._storage.save_messages(chat_id, now, self._clock())
                return Sent.KEPT
        if outcome.settle is not None or now != ChatMessages():
            await self._storage.save_messages(chat_id, now, self._clock())
        return Sent.DELIVERED

    async def _keep(
        self,
        chat_id: int,
        replies: Sequence[Reply],
        kind: ReplyKind,
        error: TelegramError,
        not_after: float | None,
        about: int | None,
    ) -> None:
        log.warning(
            "chat %s: Telegram did not take a reply (%s: %s); kept to send again",
            chat_ref(chat_id),
            type(error).__name__,
            error,
        )
        await self._storage.hold_reply(
            chat_id, kind, encode(replies), self._clock(), not_after=not_after, about=about
        )
        if self.on_kept is not None:
            self.on_kept()

    async def _settle(
        self,
        chat_id: int,
        settle: Settle,
        pressed: Message | None,
        tracked: int | None,
        in_place: int | None,
    ) -> None:
        """Take the buttons off the message just dealt with; a pressed one also shows the answer."""
        target = pressed.message_id if pressed is not None else tracked
        if target is None or target == in_place:
            return  # nothing to settle, or it is about to become the summary again
        with contextlib.suppress(BadRequest):  # gone, too old, or already without buttons
            if settle.shown and pressed is not None and pressed.text:
                await self._bot.edit_message_text(
                    _fit(f"{pressed.text}\n\n{settle.shown}"), chat_id, target, reply_markup=None
                )
            else:
                await self._bot.edit_message_reply_markup(chat_id, target, reply_markup=None)

    async def _send_one(
        self, chat_id: int, reply: Reply, pressed: Message | None, in_place: int | None
    ) -> int:
        """The message's id: an edit where the reply asks for one and Telegram allows it."""
        markup = _markup(reply)
        inline = markup if isinstance(markup, InlineKeyboardMarkup) else None
        target = pressed.message_id if reply.replace and pressed is not None else None
        if reply.in_place and in_place is not None:
            target = in_place
        if target is not None:
            try:
                await self._bot.edit_message_text(
                    _fit(reply.text), chat_id, target, reply_markup=inline
                )
                return target
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    return target
                # too old to edit, or deleted: send it anew
        if reply.venue is not None:
            # As a Venue object: the separate arguments refuse a latitude or longitude of 0.
            where = reply.venue
            venue = TelegramVenue(
                Location(longitude=where.longitude, latitude=where.latitude),
                title=where.title,
                address=where.address,
            )
            sent = await self._bot.send_venue(chat_id, venue=venue, reply_markup=markup)
            return sent.message_id
        message = await self._bot.send_message(chat_id, _fit(reply.text), reply_markup=markup)
        if reply.buttons and reply.location_button:
            await self._send_location_keyboard(chat_id, reply.location_button)
        return message.message_id

    async def _send_location_keyboard(self, chat_id: int, label: str) -> None:
        """A message has one keyboard: beside inline buttons, the share-location one comes just
        after, labelled by its button. Only a convenience (typing works as well), so a failure
        other than a block leaves the question, already sent, as it is."""
        try:
            await self._bot.send_message(chat_id, label, reply_markup=_location_keyboard(label))
        except Forbidden:
            raise
        except TelegramError as error:
            log.info("chat %s: share-location keyboard not sent (%s)", chat_ref(chat_id), error)


def _refused(chat_id: int, error: TelegramError) -> Sent:
    log.warning(
        "chat %s: Telegram refused a message (%s: %s); not sent",
        chat_ref(chat_id),
        type(error).__name__,
        error,
    )
    return Sent.REFUSED


async def _answer(query: CallbackQuery, notice: str | None) -> None:
    # An old query cannot be answered; the replies still go out.
    with contextlib.suppress(TelegramError):
        await query.answer(notice)


class TelegramHandlers:
    def __init__(
        self,
        intake: Intake,
        sender: TelegramSender,
        default_locale: str,
        buttons: ButtonPresses,
        commands: Commands,
        reports: ReportScopes | None = None,
        unstored: UnstoredUpdates | None = None,
        erasures: ErasureRequests | None = None,
        desk: FrontDesk | None = None,
        staff: StaffSide | None = None,
    ) -> None:
        # The front desk's threads with a staff group (a prospect's messages for a person),
        # when there is one; its commands are in ``commands``, its buttons in ``buttons``.
        self._threads = desk.threads if desk is not None else None
        self._staff = staff
        self._erasures = erasures
        self._unstored = unstored or UnstoredUpdates()
        self._intake = intake
        self._buttons = buttons
        self.commands = commands
        self._sender = sender
        self._default_locale = default_locale
        self._reports = reports

    @staticmethod
    def _chat(update: Update) -> Chat | None:
        if update.effective_chat is None:
            return None
        user = update.effective_user
        return Chat(
            update.effective_chat.id,
            user.language_code if user else None,
            update.update_id,
            first_name=user.first_name if user else None,
            last_name=user.last_name if user else None,
        )

    async def _deliver(self, update: Update, outcome: Outcome) -> None:
        """Send the replies; for a pressed button, answer its query alongside, not before.

        The query's answer only ends the button's loading spinner, so it need not cost the
        prospect a round trip of waiting before the next question.
        """
        self._unstored.stored(update.update_id)  # the intake stored it before answering
        chat = self._chat(update)
        if chat is not None and outcome.repeats:
            outcome = await self._intake.shown_again(chat.id, outcome)
        query = update.callback_query
        deliveries: list[Coroutine[Any, Any, object]] = []
        if query is not None:
            deliveries.append(_answer(query, outcome.notice))
        if chat is not None and (outcome.replies or outcome.settle):
            deliveries.append(self._reply(chat, outcome, query))
        await asyncio.gather(*deliveries)

    async def _reply(self, chat: Chat, outcome: Outcome, query: CallbackQuery | None) -> None:
        sent = await self._sender.reply(chat.id, outcome, query)
        if sent is Sent.KEPT and outcome.seen_before is not None:
            # The prospect still sees the question before: their next answer is to that one.
            await self._intake.undelivered(chat.id, outcome.seen_before)

    async def command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A prospect's command from the table the demo answers from too (``Commands``)."""
        chat = self._chat(update)
        message = update.effective_message
        if chat is None or message is None or not message.text:
            return
        name = message.text.split()[0][1:].split("@")[0].lower()
        typed = Typed(" ".join(context.args or ()), message.message_id)
        await self._deliver(update, await self.commands.run(chat, name, typed))

    async def _event(self, update: Update, event: Event) -> None:
        chat = self._chat(update)
        if chat is not None:
            await self._deliver(update, await self._intake.handle(chat, event))

    async def _to_desk(self, update: Update) -> bool:
        """A prospect's message for the studio's staff (their thread is open, or no question
        waits for it): queued for them, and True; False: the form's to answer."""
        chat = self._chat(update)
        message = update.effective_message
        if self._threads is None or chat is None or message is None:
            return False
        outcome = await self._threads.from_prospect(chat, message.message_id)
        if outcome is None:
            return False
        await self._deliver(update, outcome)
        return True

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.text is not None and not await self._to_desk(update):
            await self._event(update, TextInput(message.text))

    async def contact(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.contact is not None and not await self._to_desk(update):
            await self._event(update, ContactShared(message.contact.phone_number))

    async def button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        chat = self._chat(update)
        if query is None or chat is None:
            return
        data = query.data or ""
        # The front desk's buttons too: ``ButtonPresses`` hands them to it.
        await self._deliver(update, await self._buttons.press(chat, data))

    async def unsupported(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if await self._to_desk(update):
            return
        message = update.effective_message
        kind = message.effective_attachment.__class__.__name__ if message else "unknown"
        await self._event(update, UnsupportedInput(kind))

    @staticmethod
    def _staff_place(update: Update) -> tuple[int, int, int | None, int | None] | None:
        """A staff chat's message: the chat, the message, its forum topic and what it replies to."""
        chat, message = update.effective_chat, update.effective_message
        if chat is None or message is None:
            return None
        topic = message.message_thread_id if message.is_topic_message else None
        reply = message.reply_to_message.message_id if message.reply_to_message else None
        return chat.id, message.message_id, topic, reply

    async def staff_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A message in a staff chat: for a prospect if it is in one of their threads."""
        place = self._staff_place(update)
        if self._staff is None or place is None:
            return
        chat_id, message_id, topic, reply = place
        await self._staff.message(chat_id, message_id, topic_id=topic, reply_to=reply)
        self._unstored.stored(update.update_id)

    async def staff_close(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/close in a prospect's thread in a staff chat."""
        place = self._staff_place(update)
        if self._staff is None or place is None:
            return
        chat_id, _, topic, reply = place
        await self._staff.close(chat_id, topic_id=topic, reply_to=reply)
        self._unstored.stored(update.update_id)

    async def _notice(self, update: Update, message: Callable[[Translator], str]) -> None:
        """A short answer outside the conversation, in the sender's language."""
        chat = self._chat(update)
        if chat is not None:
            tr = self._intake.translator_for(chat)
            await self._sender.send(chat.id, [Reply(message(tr))])

    async def unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._notice(update, self._intake.unknown_command_text)

    async def location(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is not None and message.location is not None:
            if await self._to_desk(update):
                return
            where = message.location
            await self._event(update, LocationShared(where.latitude, where.longitude))

    async def report(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/report [days], in staff chats only (``add_handlers`` filters): the funnel per
        campaign as a table, then as a chart; a studio's chat sees its studio, the chain's a
        line per studio first (``ReportScopes``). Staff read the studio's default language."""
        chat = update.effective_chat
        if chat is None or self._reports is None:
            return
        tr = Translator(self._default_locale)
        days = days_asked(context.args or ())
        if days is None:
            await context.bot.send_message(chat.id, usage(tr))
            return
        answer = await self._reports.answer(chat.id, days, tr)
        if answer is None:
            return
        await context.bot.send_message(chat.id, answer.text_html, parse_mode=ParseMode.HTML)
        if answer.chart is not None:
            # Drawing takes a second of CPU: not on the loop that serves the prospects.
            chart = await asyncio.to_thread(
                chart_png, answer.chart, tr, studio_name=answer.studio_name
            )
            await context.bot.send_photo(chat.id, chart, caption=answer.caption)

    async def erasure_confirmed(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Staff's "erased in PerfectGym" button, pressed in the staff chat only (``add_handlers``
        routes no other chat's press here): the record goes and the notice says so."""
        query = update.callback_query
        if query is None or self._erasures is None:
            return
        confirmed = await self._erasures.confirm(query.data or "")
        await _answer(query, None)
        if confirmed and isinstance(query.message, Message):
            with contextlib.suppress(BadRequest):  # too old to edit: the record is gone anyway
                await query.message.edit_text(self._erasures.confirmed_text(), reply_markup=None)

    async def edited(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._notice(
            update,
            lambda tr: tr.gettext(
                "I can't use edited messages. Please send your corrected answer as a new message."
            ),
        )

    async def not_private(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Groups and channels: prospects' details belong in a private chat only."""
        message = update.effective_message
        if message is not None and (message.text or "").startswith("/start"):
            await self._notice(
                update,
                lambda tr: tr.gettext(
                    "Please message me in a private chat so your details stay private."
                ),
            )

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        error = context.error
        failure = storage_failure(error)
        if failure is not None and isinstance(update, Update):
            # Not applied: Telegram is to deliver it again, so the prospect need not retype it.
            log.warning("update not stored, left for Telegram to redeliver: %s", failure.cause)
            self._unstored.note(update.update_id)
            return
        log.error("unhandled %s while processing an update", type(error).__name__, exc_info=error)
        if isinstance(update, Update) and (chat := self._chat(update)) is not None:
            tr = self._intake.translator_for(chat)
            with contextlib.suppress(TelegramError):
                await self._sender.send(
                    chat.id,
                    [
                        Reply(
                            tr.gettext(
                                "Sorry, something went wrong on my side. Please send your answer again."
                            )
                        )
                    ],
                )


class MessageRateLimiter(AIORateLimiter):
    """python-telegram-bot's limiter, with Telegram's 30 messages per second counting messages.

    Edits of messages already sent (a settled question, the summary updated in place) and
    "typing…" are not new messages, so they leave the broadcast budget to the questions people
    wait for; a 429 on them is still honoured and retried like any other.
    """

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        if endpoint.startswith("edit") or endpoint == "sendChatAction":
            # The limiter reads ``chat_id`` only to choose its budget; the request keeps it.
            data = {key: value for key, value in data.items() if key != "chat_id"}
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )


def file_url_for(base_url: str) -> str:
    """Telegram's file endpoint sits next to the Bot API one: ``.../bot`` -> ``.../file/bot``."""
    head, _, tail = base_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}" if head else base_url


def build_application(
    settings: Settings, on_update: Callable[[], None] | None = None
) -> AnyApplication:
    """The application without handlers: the services that handlers call need its bot first."""
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram_api_base_url)
        .base_file_url(file_url_for(settings.telegram_api_base_url))
        .concurrent_updates(PerChatUpdateProcessor(on_update=on_update))
        .rate_limiter(MessageRateLimiter(max_retries=3))
        .connection_pool_size(8)
        .get_updates_connection_pool_size(2)
        .pool_timeout(10.0)
        # Polling has a loop of its own (``bot.telegram.polling``), the webhook its own server.
        .updater(None)
    )
    return builder.build()


async def register_commands(
    bot: Bot,
    default_locale: str,
    *,
    formal: bool = False,
    chain: bool = False,
    answers: bool = True,
    ask: bool = False,
) -> None:
    """The command menu in every catalog language, and in the default one for all others;
    ``answers`` and ``ask``: with the front desk's commands (``menu`` says when)."""
    for locale in (None, *available_locales()):
        tr = Translator(negotiate(locale, default_locale, formal=formal))
        commands = [
            BotCommand(command, text)
            for command, text in menu(tr, chain=chain, answers=answers, ask=ask)
        ]
        try:
            await bot.set_my_commands(
                commands, language_code=locale.split("_")[0] if locale else None
            )
        except TelegramError as exc:
            log.warning("could not register the command menu: %s", type(exc).__name__)
            return


def staff_chats_of(chats: int | Collection[int]) -> frozenset[int]:
    """One staff chat (a single studio's) or several (a chain's and its clubs')."""
    return frozenset((chats,) if isinstance(chats, int) else chats)


class StaffButtonHandler(CallbackQueryHandler[ContextTypes.DEFAULT_TYPE, None]):
    """Presses of a staff button (``pattern``) made in a staff chat; the same data pressed
    anywhere else goes on to the prospects' buttons, which know nothing of it."""

    def __init__(
        self,
        staff_chats: int | Collection[int],
        callback: Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]],
        pattern: str,
    ) -> None:
        super().__init__(callback, pattern=pattern)
        self._staff_chats = staff_chats_of(staff_chats)

    def check_update(self, update: object) -> bool | object | None:
        if not isinstance(update, Update) or update.effective_chat is None:
            return None
        if update.effective_chat.id not in self._staff_chats:
            return None
        return super().check_update(update)


def add_handlers(
    app: AnyApplication,
    handlers: TelegramHandlers,
    staff_chats: int | Collection[int] | None = None,
    desk_chats: Collection[int] = (),
) -> None:
    """Which update goes to which handler, in the order python-telegram-bot tries them.

    ``staff_chats``: the chats that get /report and the staff buttons (a chain's own chat and
    every club's); everywhere else /report is an unknown command. ``desk_chats``: the groups
    whose members answer prospects' threads (the front desk)."""
    private = filters.ChatType.PRIVATE
    if desk_chats:
        staff_groups = filters.Chat(chat_id=sorted(desk_chats)) & ~private
        app.add_handler(CommandHandler("close", handlers.staff_close, filters=staff_groups))
        app.add_handler(
            MessageHandler(
                staff_groups
                & filters.UpdateType.MESSAGE
                & ~filters.COMMAND
                & ~filters.StatusUpdate.ALL
                & ~filters.IS_AUTOMATIC_FORWARD,
                handlers.staff_message,
            )
        )
    chats: Collection[int] = () if staff_chats is None else staff_chats_of(staff_chats)
    if chats:
        staff = filters.Chat(chat_id=list(chats))
        app.add_handler(CommandHandler("report", handlers.report, filters=staff))
        app.add_handler(
            StaffButtonHandler(chats, handlers.erasure_confirmed, pattern=f"^{CONFIRM_PREFIX}")
        )
    # The prospects' commands: the table the demo answers from too.
    for name in handlers.commands.names:
        app.add_handler(CommandHandler(name, handlers.command, filters=private))
    app.add_handler(MessageHandler(private & filters.UpdateType.EDITED_MESSAGE, handlers.edited))
    app.add_handler(MessageHandler(private & filters.CONTACT, handlers.contact))
    app.add_handler(MessageHandler(private & filters.LOCATION, handlers.location))
    app.add_handler(MessageHandler(private & filters.COMMAND, handlers.unknown_command))
    app.add_handler(MessageHandler(private & filters.TEXT, handlers.text))
    app.add_handler(MessageHandler(private & filters.UpdateType.MESSAGE, handlers.unsupported))
    app.add_handler(MessageHandler(~private, handlers.not_private))
    app.add_handler(CallbackQueryHandler(handlers.button))
    app.add_error_handler(handlers.error)
