"""Free text (an additional TEXT field), cleaned of control characters."""

from __future__ import annotations

from conversations.context import AskContext
from conversations.field_plan import Answer, Question
from conversations.kinds.base import Kind, View
from conversations.text import clean_text


class FreeTextKind(Kind):
    def read_text(self, question: Question, text: str, ctx: AskContext, view: View) -> Answer:
        return clean_text(text)
