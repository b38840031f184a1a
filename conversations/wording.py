"""The studio's own words for its additional questions, in one prospect's language.

PerfectGym configures each additional field with one label and one text per option, in whatever
language the studio typed them. The studio may translate both; what is stored and sent stays the
configured option, only what the prospect reads changes. The studio may also say whether a date
field asks for a day to come (``future``); unmarked, the label decides.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conversations.field_plan import Question
from conversations.relative_dates import label_asks_forward


@dataclass(frozen=True)
class FieldWording:
    labels: dict[int, str] = field(default_factory=dict)
    options: dict[tuple[int, str], str] = field(default_factory=dict)
    future: dict[int, bool] = field(default_factory=dict)

    def label(self, question: Question) -> str:
        if question.field_id is not None and question.field_id in self.labels:
            return self.labels[question.field_id]
        return question.label or question.key

    def option(self, question: Question, option: str) -> str:
        if question.field_id is None:
            return option
        return self.options.get((question.field_id, option), option)

    def asks_forward(self, question: Question) -> bool:
        """Whether an additional date field asks for a day to come (a preferred or trial date):
        as the studio marked it, else as its configured or translated label reads."""
        if question.field_id is None:
            return False
        if question.field_id in self.future:
            return self.future[question.field_id]
        return label_asks_forward([question.label or "", self.label(question)])
