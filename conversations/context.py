"""What the wording and reading of an answer depend on besides the question itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from conversations.clubs import ClubCard
from conversations.i18n import Translator
from conversations.studio import Studio
from conversations.wording import FieldWording


@dataclass(frozen=True)
class AskContext:
    """``tr`` speaks the closest shipped catalog; ``locale`` is the prospect's own Babel locale for
    reading and showing dates, numbers and countries (a ``de-AT`` prospect types ``31.12.1990``
    even when no Austrian catalog exists); ``region`` guides phone numbers; ``today`` bounds dates;
    ``min_age`` is the youngest age the studio may take details from; ``studio`` is who receives
    the details; ``wording`` the studio's own words for its additional questions. A bot serving
    a chain also knows the ``clubs`` a prospect can choose from (empty for a single studio), the
    chain's ``brand``, and the ``club`` chosen (its name, shown in the summary).
    """

    tr: Translator
    locale: str
    region: str | None
    today: date
    min_age: int = 16
    studio: Studio = field(default_factory=Studio)
    wording: FieldWording = field(default_factory=FieldWording)
    clubs: tuple[ClubCard, ...] = ()
    brand: str | None = None
    club: str | None = None
