"""Who the prospect is talking to: the studio that receives the details.

Named in the welcome, in /help and in every consent question's note on withdrawal. Every part
may be unknown (no studio information from PerfectGym and none in the environment); the texts
then speak of "the studio".
"""

from __future__ import annotations

from dataclasses import dataclass

from conversations.i18n import Translator


@dataclass(frozen=True)
class Studio:
    name: str | None = None
    email: str | None = None
    phone: str | None = None

    def withdrawal(self, tr: Translator) -> str:
        """How a consent is taken back, with the studio's own address when it has one."""
        if self.email:
            return tr.gettext(
                "You can withdraw this consent at any time: just write to {email}."
            ).format(email=self.email)
        if self.phone:
            return tr.gettext(
                "You can withdraw this consent at any time: just call {phone}."
            ).format(phone=self.phone)
        return tr.gettext("You can withdraw this consent at any time: just tell the studio.")

    def recipient(self, tr: Translator) -> str:
        """Who receives the details, for /help."""
        if self.name:
            return tr.gettext(
                "Your details go to {studio} only, which uses them to get in touch with you "
                "about a trial session."
            ).format(studio=self.name)
        return tr.gettext(
            "Your details go to the studio only, which uses them to get in touch with you "
            "about a trial session."
        )

    def greeting(self, tr: Translator) -> str:
        if self.name:
            return tr.gettext(
                "Hi! 👋 This is {studio}. So that we can get in touch with you about a trial "
                "session, I have a few questions for you."
            ).format(studio=self.name)
        return tr.gettext(
            "Hi! 👋 So that the studio can get in touch with you about a trial session, I have "
            "a few questions for you."
        )
