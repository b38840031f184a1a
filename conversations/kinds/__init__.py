"""The kinds of answer, one module each; this registry is the only place that maps a question's
:class:`~conversations.field_plan.AnswerKind` to its module.

A new kind: add its value to ``AnswerKind``, write ``kinds/<kind>.py`` with a :class:`Kind`
subclass (start from the closest existing one), and register it here.
"""

from __future__ import annotations

from collections.abc import Mapping

from conversations.field_plan import AnswerKind, Question
from conversations.kinds.base import Kind
from conversations.kinds.birth_date import BirthDateKind
from conversations.kinds.choice import ChoiceKind
from conversations.kinds.consent import ConsentKind
from conversations.kinds.country import CountryKind
from conversations.kinds.date import DateKind
from conversations.kinds.email import EmailKind
from conversations.kinds.free_text import FreeTextKind
from conversations.kinds.gender import GenderKind
from conversations.kinds.multi_choice import MultiChoiceKind
from conversations.kinds.name import NameKind
from conversations.kinds.number import NumberKind
from conversations.kinds.phone import PhoneKind
from conversations.kinds.postcode_line import PostcodeLineKind
from conversations.kinds.street_line import StreetLineKind
from conversations.kinds.yes_no import YesNoKind

KINDS: Mapping[AnswerKind, Kind] = {
    AnswerKind.NAME: NameKind(),
    AnswerKind.EMAIL: EmailKind(),
    AnswerKind.PHONE: PhoneKind(),
    AnswerKind.GENDER: GenderKind(),
    AnswerKind.BIRTH_DATE: BirthDateKind(),
    AnswerKind.STREET_LINE: StreetLineKind(),
    AnswerKind.POSTCODE_LINE: PostcodeLineKind(),
    AnswerKind.COUNTRY: CountryKind(),
    AnswerKind.BOOLEAN: YesNoKind(),
    AnswerKind.DATE: DateKind(),
    AnswerKind.NUMBER: NumberKind(),
    AnswerKind.TEXT: FreeTextKind(),
    AnswerKind.CHOICE: ChoiceKind(),
    AnswerKind.MULTI_CHOICE: MultiChoiceKind(),
    AnswerKind.CONSENT: ConsentKind(),
}


def kind_of(question: Question) -> Kind:
    return KINDS[question.kind]


__all__ = ["KINDS", "Kind", "kind_of"]
