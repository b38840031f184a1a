"""One prospect's conversation as it is stored: everything needed to continue after a restart."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from conversations import migrations
from conversations.field_plan import Answer, FieldPlan, Slot

# How many of a conversation's latest Telegram update ids are kept to recognise a redelivery.
RECENT_UPDATES = 16


# What ``seen`` holds when the screen the prospect still sees is not one of the form's questions
# (no question key starts with "#"): the club question, and the summary.
SEEN_CLUB = "#club"
SEEN_SUMMARY = "#summary"


class Phase(StrEnum):
    CHOOSING = "choosing"  # which club: a chain's first question, or /club later
    ASKING = "asking"
    REVIEW = "review"
    SUBMITTED = "submitted"


@dataclass
class ConversationState:
    """``queue`` holds the keys still to ask, in order; its head is the current question.

    ``contact_keyboard`` is set while the share-contact keyboard, hidden by the prospect's app
    after use, still waits for a message that can remove it. ``profile`` is the name on the
    prospect's Telegram profile, offered as a one-tap answer; ``joint_name`` is set while one
    question asks for the whole name. ``suggestions`` and ``partial`` belong to the current
    question (one-tap fixes on offer; the part of a two-part answer already given).
    ``recent_updates`` are the ids of the updates applied last, in ascending order.
    ``reached`` are the questions asked so far and ``reviewed`` whether the summary was shown:
    the studio's funnel counts each once per conversation, however often the prospect goes back.
    ``studio`` is the club the details go to (None: the bot serves one studio, or none is
    chosen yet); ``resume`` is the phase to go back to when the prospect changes the club half
    way and the new club asks nothing new.
    ``seen`` is set while a reply to the prospect has not reached them (Telegram did not take
    it, and it is kept to be sent again): it is what they still see and answer, a question's
    key, :data:`SEEN_CLUB` or :data:`SEEN_SUMMARY`; the current one's own (:attr:`showing`)
    when that reply only asked the same again. Their next update makes the kept reply obsolete.
    """

    chat_id: int
    locale: str
    language: str | None
    campaign: str | None
    plan: FieldPlan
    answers: dict[str, Answer] = field(default_factory=dict)
    queue: list[str] = field(default_factory=list)
    phase: Phase = Phase.ASKING
    token: int = 0
    picks: list[int] = field(default_factory=list)
    editing: bool = False
    contact_keyboard: bool = False
    recent_updates: tuple[int, ...] = ()
    profile: tuple[str | None, str | None] = (None, None)
    joint_name: bool = False
    suggestions: list[str] = field(default_factory=list)
    partial: Answer = None
    reached: tuple[str, ...] = ()
    reviewed: bool = False
    seen: str | None = None
    studio: str | None = None
    resume: Phase | None = None

    def address_country(self, fallback: str | None) -> str | None:
        """The country of the address as answered, else ``fallback`` (the prospect's region):
        it decides how the address lines are read and shown."""
        for question in self.plan.questions:
            if question.slot is Slot.COUNTRY:
                answer = self.answers.get(question.key)
                return answer if isinstance(answer, str) else fallback
        return fallback

    def has_applied(self, update_id: int) -> bool:
        """Telegram redelivers an update whose processing a crash cut short: apply it once.

        Anything older than the oldest id kept counts as applied too (a redelivery from before
        this conversation began). Not a high-water mark: two instances may apply one chat's
        updates out of order when they arrive at both at once, and the older one is no replay.
        """
        recent = self.recent_updates
        return bool(recent) and (update_id in recent or update_id < recent[0])

    def mark_applied(self, update_id: int) -> None:
        self.recent_updates = tuple(sorted({*self.recent_updates, update_id}))[-RECENT_UPDATES:]

    def reach(self) -> tuple[tuple[str, ...], bool]:
        """What this conversation reached for the first time since the last call: the current
        question, and whether the summary is shown now."""
        new: tuple[str, ...] = ()
        current = self.current
        if current is not None and current not in self.reached:
            new = (current,)
            self.reached = (*self.reached, current)
        first_review = self.phase is Phase.REVIEW and not self.reviewed
        self.reviewed = self.reviewed or first_review
        return new, first_review

    @property
    def current(self) -> str | None:
        return self.queue[0] if self.phase is Phase.ASKING and self.queue else None

    @property
    def showing(self) -> str | None:
        """What the prospect sees once the last reply reached them, as ``seen`` names it;
        None once the details are sent (nothing is answered any more)."""
        if self.phase is Phase.CHOOSING:
            return SEEN_CLUB
        if self.phase is Phase.REVIEW:
            return SEEN_SUMMARY
        return self.current

    @property
    def on_screen(self) -> str | None:
        """What the prospect sees now: ``seen`` while a reply is kept, else :attr:`showing`."""
        return self.seen or self.showing

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "chat_id": self.chat_id,
            "locale": self.locale,
            "language": self.language,
            "campaign": self.campaign,
            "plan": self.plan.text,
            "answers": self.answers,
            "queue": self.queue,
            "phase": self.phase.value,
            "token": self.token,
            "picks": self.picks,
            "editing": self.editing,
            "contact_keyboard": self.contact_keyboard,
            "recent_updates": list(self.recent_updates),
            "profile": list(self.profile),
            "joint_name": self.joint_name,
            "suggestions": self.suggestions,
            "partial": self.partial,
            "reached": list(self.reached),
            "reviewed": self.reviewed,
            # Optional: written only when set (``migrations.OPTIONAL``).
            "studio": self.studio,
            "resume": None if self.resume is None else self.resume.value,
            "seen": self.seen,
        }
        return json.dumps(migrations.stored(data), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ConversationState:
        """``text`` as any release stored it: an older format is brought up to date first;
        a later release's is refused (:class:`~conversations.migrations.NewerFormat`)."""
        data = migrations.upgrade(json.loads(text))
        first, last = data["profile"]
        return cls(
            chat_id=int(data["chat_id"]),
            locale=data["locale"],
            language=data["language"],
            campaign=data["campaign"],
            plan=FieldPlan.from_text(data["plan"]),
            answers=dict(data["answers"]),
            queue=list(data["queue"]),
            phase=Phase(data["phase"]),
            token=int(data["token"]),
            picks=[int(i) for i in data["picks"]],
            editing=bool(data["editing"]),
            contact_keyboard=bool(data["contact_keyboard"]),
            recent_updates=tuple(int(i) for i in data["recent_updates"]),
            profile=(first, last),
            joint_name=bool(data["joint_name"]),
            suggestions=[str(s) for s in data["suggestions"]],
            partial=data["partial"],
            reached=tuple(str(key) for key in data["reached"]),
            reviewed=bool(data["reviewed"]),
            seen=data["seen"],
            studio=data["studio"],
            resume=Phase(data["resume"]) if data["resume"] else None,
        )
