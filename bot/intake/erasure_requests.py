"""The studio's part of /forget: what the bot erased, the studio may still hold in PerfectGym.

Staff are told "erasure requested" with the only two things that find the person there, the
customer number and the trial booking id, and nothing else about them; for a lead that could
not be delivered and was posted to them with the person's details for entry by hand, the day
it was posted. Those are all the bot keeps of a forgotten chat (``ForgottenChats``), until
staff confirm or ``RETENTION_DAYS`` pass.
A lead or booking that PerfectGym was still answering when /forget came adds its number when
the answer arrives, and staff are told again with it. Under the notice a button lets staff
confirm they erased the person; its data names the record by a random token, not the chat id.
In a chain the staff of the club the chat belonged to hear of it (and the chain's staff, as of
every club's): the club its created lead went to (whose PerfectGym holds the customer number),
else its trial booking's, else its conversation's; a chat none of these name is the chain's
staff's to handle.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Awaitable, Callable

from bot.intake.staff import StaffChats
from bot.logging_setup import chat_ref
from bot.storage.erasure import ErasedChat
from bot.storage.forgotten import ForgottenChat, ForgottenChats
from bot.storage.threads import Thread
from conversations.dates import format_date
from conversations.i18n import Translator
from conversations.replies import Button

log = logging.getLogger(__name__)

# Callback data of the staff's confirming button: the prefix and the record's token (16
# characters), well within Telegram's 64 bytes.
CONFIRM_PREFIX = "erased:"


def confirming_data(forgotten: ForgottenChat) -> str:
    return CONFIRM_PREFIX + forgotten.token


def confirmed_token(data: str) -> str | None:
    """The token a confirming button carries; None for any other data."""
    token = data.removeprefix(CONFIRM_PREFIX)
    return token if token != data and token else None


class ErasureRequests:
    def __init__(
        self,
        storage: ForgottenChats,
        staff: StaffChats | None,
        *,
        staff_locale: str,
        booking_id_of: Callable[[str], int | None] = lambda booking: None,
        booking_studio_of: Callable[[str], str | None] = lambda booking: None,
        day_of: Callable[[str | None, float], datetime.date] = (
            lambda studio, at: datetime.datetime.fromtimestamp(at).date()
        ),
    ) -> None:
        """``staff``: where staff hear of erasures (None: nowhere). The two ``booking_``
        callables read a stored trial booking (the feature that stored it knows its format);
        ``day_of`` is a moment's day where the studio is."""
        self._booking_id_of = booking_id_of
        self._day_of = day_of
        self._booking_studio_of = booking_studio_of
        self._storage = storage
        self._staff = staff
        self._staff_locale = staff_locale
        # The front desk's part: a thread with staff is closed in the staff chat, and they are
        # told there (set by the composition when there is a front desk).
        # With the bot's messages of the thread in the staff chat, to delete.
        self.on_thread_forgotten: Callable[[Thread, tuple[int, ...]], Awaitable[None]] | None = None

    async def forgotten(self, erased: ErasedChat, studio: str | None = None) -> str | None:
        """/forget erased the chat: its trial booking's id (read by the feature that stored it)
        goes with the customer number into the record, and the club's staff are told; a thread
        the prospect had with staff is closed and staff told in it. ``studio``: the club of the
        chat's conversation, when it had one. Returns the club that holds the person (the
        prospect is told whom to ask)."""
        if erased.thread is not None and self.on_thread_forgotten is not None:
            await self.on_thread_forgotten(erased.thread, erased.staff_messages)
        booking_id = self._booking_id_of(erased.booking) if erased.booking else None
        # Whose PerfectGym holds the person: the created lead's club, else the booking's;
        # only a chat with neither is its conversation's club's to hear of.
        booked_at = self._booking_studio_of(erased.booking) if erased.booking else None
        studio = erased.studio or booked_at or studio
        forgotten = erased.forgotten
        if booking_id is not None:
            forgotten = (
                await self._storage.note_erasure(forgotten.chat_id, booking_id=booking_id)
                or forgotten
            )
        await self.requested(forgotten, studio)
        return studio

    async def requested(self, forgotten: ForgottenChat, studio: str | None = None) -> None:
        """Tell staff of ``studio`` (None: the single studio's, or in a chain, the chain's
        staff), if the studio holds anything the bot knows how to point to."""
        numbered = forgotten.customer_number is not None or forgotten.booking_id is not None
        if not numbered and forgotten.manual_entry_at is None:
            return  # nothing reached PerfectGym or staff through the bot
        log.info("chat %s: erasure requested from the studio", chat_ref(forgotten.chat_id))
        if self._staff is None:
            return
        tr = Translator(self._staff_locale)
        parts = []
        if numbered:
            parts.append(
                tr.gettext(
                    "Erasure requested: a prospect asked the bot to delete their data. Please "
                    "delete it in PerfectGym too (customer number {customer}, trial booking "
                    "{booking})."
                ).format(
                    customer=forgotten.customer_number or "-",
                    booking="-" if forgotten.booking_id is None else forgotten.booking_id,
                )
            )
        if forgotten.manual_entry_at is not None:
            day = self._day_of(studio, forgotten.manual_entry_at)
            parts.append(
                tr.gettext(
                    "Erasure requested: a prospect asked the bot to delete their data. Their "
                    "lead was posted here for manual entry on {date}: please delete it wherever "
                    "it was entered."
                ).format(date=format_date(day, tr.written_in))
            )
        text = "\n\n".join(parts)
        buttons = ((Button(tr.gettext("✅ Erased in PerfectGym"), confirming_data(forgotten)),),)
        if studio is None:
            await self._staff.tell_chain(text, buttons=buttons)
        else:
            await self._staff.tell(studio, text, buttons=buttons)

    async def confirm(self, data: str) -> bool:
        """Staff pressed the confirming button: the record goes. False, and nothing changes, for
        data that is not a token still kept (pressed twice, expired, or forged)."""
        token = confirmed_token(data)
        if token is None or not await self._storage.confirm_erasure(token):
            return False
        log.info("an erasure was confirmed by staff")
        return True

    def confirmed_text(self) -> str:
        """What the notice says once confirmed: no numbers left in the staff chat."""
        return Translator(self._staff_locale).gettext("✅ Erasure confirmed.")

    async def answered(
        self,
        chat_id: int,
        *,
        studio: str | None,
        customer_number: str | None = None,
        booking_id: int | None = None,
    ) -> None:
        """PerfectGym (``studio``'s) answered a forgotten chat's lead or booking: kept for
        staff, who are told."""
        if customer_number is None and booking_id is None:
            return
        forgotten = await self._storage.note_erasure(
            chat_id, customer_number=customer_number, booking_id=booking_id
        )
        if forgotten is not None:
            await self.requested(forgotten, studio)
