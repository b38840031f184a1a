"""What the prospect and the studio's staff are told when the outbox has tried a lead.

A lead whose chat was forgotten meanwhile gets nothing of this (no thank-you, no invitation, no
staff notice with details): staff only hear that erasure was requested, with its number.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Protocol

from bot.chain.club import Club, Standing
from bot.intake.desk import DeskButtons
from bot.intake.erasure_requests import ErasureRequests
from bot.intake.outbox import Delivery, DeliveryReport
from bot.intake.sender import Sender
from bot.intake.staff import StaffChats
from bot.intake.store import ConversationStore
from bot.storage.outbox import OutboxRecords
from bot.studio.leads_config import ConfigProblem
from conversations import flow
from conversations.front_desk import with_rows
from conversations.i18n import Translator
from conversations.replies import Outcome, Reply

log = logging.getLogger(__name__)


class Invitation(Protocol):
    """What may follow a created lead's thank-you (the trial booking's offer), so the intake
    needs to know nothing of the features built on it."""

    async def invite(
        self,
        chat_id: int,
        studio: str | None,
        locale: str,
        language: str | None,
        campaign: str | None,
        customer_id: int | None,
    ) -> Reply | None: ...


class DeliveryNotices:
    def __init__(
        self,
        conversations: ConversationStore,
        sender: Sender,
        *,
        leads: OutboxRecords,
        erasure: ErasureRequests,
        staff_locale: str,
        staff_contact_details: bool = False,
        trials: Invitation | None = None,
        desk: DeskButtons | None = None,
    ) -> None:
        self._conversations = conversations
        self._desk = desk  # the front desk: its buttons under the thank-you
        self._staff_contact_details = staff_contact_details
        self._leads = leads
        self._erasure = erasure
        self._trials = trials
        self._sender = sender
        self._staff = StaffChats(conversations.chain, sender)
        self._staff_locale = staff_locale

    async def on_delivered(self, report: DeliveryReport) -> None:
        entry = report.entry
        if report.result is Delivery.FORGOTTEN:
            return
        if report.forgotten or await self._leads.get_lead(entry.id) is None:
            created = report.result is Delivery.CREATED
            await self._erasure.answered(
                entry.chat_id,
                studio=entry.studio,
                customer_number=report.lead_ref if created else None,
            )
            return
        tr = Translator(entry.locale)
        club = self._conversations.club(entry.studio)
        studio = club.studio_for(entry.locale)
        first = report.lead.lead_customer.firstname if report.lead else ""
        replies: list[Reply] = []
        match report.result:
            case Delivery.CREATED:
                replies.append(
                    self._with_desk(
                        Reply(
                            club.texts.thank_you_for(entry.locale, club.profile.name)
                            or studio.fill(
                                tr.gettext(
                                    "Thank you, {name}! 🎉 {studio} has your details and will "
                                    "contact you soon."
                                ),
                                tr,
                                name=first,
                            )
                        ),
                        tr,
                        entry.studio,
                    )
                )
                invitation = await self._invitation(report)
                if invitation is not None:
                    replies.append(invitation)
            case Delivery.DUPLICATE:
                replies.append(
                    Reply(
                        studio.fill(
                            tr.gettext(
                                "It looks like {studio} already has you on file, so I did not "
                                "create a new request. The team there will gladly help if you "
                                "contact them directly."
                            ),
                            tr,
                        )
                    )
                )
            case Delivery.INVALID:
                replies.extend(await self._reopen(report))
            case Delivery.RETRYING if entry.attempts == 0:
                replies.append(
                    Reply(
                        studio.fill(
                            tr.gettext(
                                "Thank you, {name}! We have received your details, and {studio} "
                                "will have them shortly. You don't need to do anything else."
                            ),
                            tr,
                            name=first,
                        )
                    )
                )
            case Delivery.FAILED:
                replies.append(
                    self._with_desk(
                        Reply(
                            studio.fill(
                                tr.gettext(
                                    "Thank you! We have received your details, and {studio} will "
                                    "follow up with you personally."
                                ),
                                tr,
                            )
                        ),
                        tr,
                        entry.studio,
                    )
                )
            case _:
                pass
        if replies:
            # A share-contact keyboard the app hid may still be waiting to be removed (flow.py).
            replies = [
                replace(r, remove_keyboard=r.remove_keyboard or r.can_remove_keyboard)
                for r in replies
            ]
            await self._to_prospect(report, replies)
        # Staff after the prospect: a staff chat Telegram refuses (gone, or upgraded to a
        # supergroup) must not cost the prospect their thank-you (``StaffChats``). Sending that
        # may take seconds (Telegram's limits): a /forget meanwhile has already told staff
        # what they need, and the details must not follow it.
        for_staff = report.result in (Delivery.CREATED, Delivery.FAILED)
        if for_staff and await self._leads.get_lead(entry.id) is not None:
            await self._notify_staff(report)

    async def _invitation(self, report: DeliveryReport) -> Reply | None:
        """The trial booking's offer under the thank-you; a fault opening it (the database)
        costs the offer, never the thank-you: the lead is created, nothing would retry it."""
        if self._trials is None:
            return None
        entry = report.entry
        try:
            return await self._trials.invite(
                entry.chat_id,
                entry.studio,
                entry.locale,
                _language_tag(report),
                report.campaign,
                report.customer_id,
            )
        except Exception:
            log.exception("lead %s: the trial booking's offer could not be opened", entry.id)
            return None

    async def _to_prospect(self, report: DeliveryReport, replies: list[Reply]) -> None:
        """Sent, or kept to send again (``Sender.deliver``); a fault beyond that is logged, and
        staff still hear of the lead."""
        try:
            await self._sender.deliver(report.entry.chat_id, Outcome(replies=tuple(replies)))
        except Exception:
            log.exception("lead %s: the prospect's notice could not be sent", report.entry.id)

    def _with_desk(self, reply: Reply, tr: Translator, studio: str | None) -> Reply:
        """The thank-you with the front desk's buttons under it."""
        return reply if self._desk is None else with_rows(reply, self._desk.rows(tr, studio))

    async def _reopen(self, report: DeliveryReport) -> list[Reply]:
        state = await self._conversations.load(report.entry.chat_id, fresh=True)
        if state is None:
            return []
        ctx = self._conversations.context_of(state)
        outcome = flow.back_to_review(
            state,
            ctx,
            ctx.studio.fill(
                ctx.tr.gettext(
                    "These details could not be accepted. Please check them and correct anything "
                    "that is not right; {studio} will also gladly help you directly."
                ),
                ctx.tr,
            ),
        )
        await self._conversations.reopen(report.entry, state)
        return list(outcome.replies)

    async def on_unsatisfiable_config(
        self, field_ids: tuple[int, ...], studio: str | None = None
    ) -> None:
        """The leads config asks for what no lead can give: the studio must fix it."""
        tr = Translator(self._staff_locale)
        text = tr.gettext(
            "The leads configuration in PerfectGym cannot be met by any lead: the mandatory "
            "additional fields {fields} have an unknown type or a list without values. "
            "Prospects are asked to try again later until this is fixed in PerfectGym."
        ).format(fields=", ".join(map(str, field_ids)))
        await self._to_staff(studio, text)

    async def on_standing(self, club: Club) -> None:
        """A club dropped out of the choice, or came back: once each time, not per prospect."""
        tr = Translator(self._staff_locale)
        if club.standing is Standing.DOWN:
            if club.problem() is ConfigProblem.KEY_REFUSED:
                why = tr.gettext("PerfectGym refuses its API key (check the key and its scopes).")
            else:
                why = tr.gettext("PerfectGym does not answer for it.")
            text = tr.gettext(
                "{studio} is not taking new prospects: {why} Leads it has already taken are held "
                "and sent once PerfectGym accepts them again; the other clubs carry on as usual."
            ).format(studio=club.name, why=why)
        else:
            text = tr.gettext("{studio} is taking new prospects again.").format(studio=club.name)
        await self._to_staff(club.storage_key, text, named=False)

    async def _to_staff(
        self, studio: str | None, text: str, *, named: bool = True, about: int | None = None
    ) -> None:
        await self._staff.tell(studio, text, named=named, about=about)

    async def _notify_staff(self, report: DeliveryReport) -> None:
        """A created lead is named by its customer number alone (unless the studio asked for
        the full text): the staff chat keeps every message for every present and future
        member, where neither /forget nor retention reach. A lead staff must enter by hand
        carries what they need to enter it."""
        if report.lead is None:
            return
        tr = Translator(self._staff_locale)
        customer = report.lead.lead_customer
        who = f"{customer.firstname} {customer.lastname} <{customer.email}>"
        if customer.telephone:
            who += f", {customer.telephone}"
        if report.result is not Delivery.CREATED:
            text = tr.gettext(
                "A lead from Telegram could not be delivered to PerfectGym and needs manual entry: "
                "{who}. Reason: {why}"
            ).format(who=who, why=report.detail or "-")
        elif self._staff_contact_details:
            text = tr.gettext("New lead from Telegram: {who} (customer number {ref}).").format(
                who=who, ref=report.lead_ref or "?"
            )
        elif report.lead_ref is not None:
            text = tr.gettext("New lead from Telegram: PerfectGym customer number {ref}.").format(
                ref=report.lead_ref
            )
        else:
            text = tr.gettext(
                "New lead from Telegram: created in PerfectGym, but its customer number is not "
                "known (PerfectGym's answer was lost); it is among the newest leads there."
            )
        if report.lead.external_identifier:
            text += f" [{report.lead.external_identifier}]"
        if report.dropped_campaign:
            text += " " + tr.gettext(
                "PerfectGym refused the campaign code {campaign}, so the lead was sent without it."
            ).format(campaign=report.dropped_campaign)
        await self._to_staff(report.entry.studio, text, about=report.entry.chat_id)


def _language_tag(report: DeliveryReport) -> str | None:
    """The prospect's Telegram language as the lead carries it (``en-GB``): how they write
    times (18:30 or 6:30 PM) after their conversation is gone."""
    language = report.lead.lead_customer.language if report.lead else None
    if language is None:
        return None
    if language.country_code:
        return f"{language.language_code}-{language.country_code}"
    return language.language_code
