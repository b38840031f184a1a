"""The studio's own words for its additional questions, in one prospect's language.

PerfectGym configures each additional field with one label and one text per option, in whatever
language the studio typed them. The studio may translate both; what is stored and sent stays the
configured option, only what the prospect reads changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from conversations.field_plan import Question


@dataclass(frozen=True)
class FieldWording:
    labels: dict[int, str] = field(default_factory=dict)
    options: dict[tuple[int, str], str] = field(default_factory=dict)

    def label(self, question: Question) -> str:
        if question.field_id is not None and question.field_id in self.labels:
            return self.labels[question.field_id]
        return question.label or question.key

    def option(self, question: Question, option: str) -> str:
        if question.field_id is None:
            return option
        return self.options.get((question.field_id, option), option)
