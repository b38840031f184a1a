"""A mistyped mailbox domain gets a one-tap fix; a correct or unknown one never does."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conversations.email_typos import suggest_fix


@pytest.mark.parametrize(
    ("typed", "fixed"),
    [
        ("anna@gmial.com", "anna@gmail.com"),
        ("anna@gmail.con", "anna@gmail.com"),
        ("anna@gamil.com", "anna@gmail.com"),
        ("anna@gnail.com", "anna@gmail.com"),
        ("anna@hotmial.com", "anna@hotmail.com"),
        ("anna@outlok.com", "anna@outlook.com"),
        ("anna@yaho.de", "anna@yahoo.de"),
        ("anna@gmx.nett", "anna@gmx.net"),
        ("anna@web.dee", "anna@web.de"),
        ("anna@wp.pll", "anna@wp.pl"),
        ("Anna.Maria@GMIAL.com", "Anna.Maria@gmail.com"),
    ],
)
def test_a_mistyped_domain_gets_its_fix(typed: str, fixed: str) -> None:
    assert suggest_fix(typed) == fixed


@pytest.mark.parametrize(
    "address",
    [
        "anna@gmail.com",
        "anna@o2.pl",
        "anna@t-online.de",
        "anna@icloud.com",
        "anna@yandex.ru",
        "anna@mail.ru",
        "anna@ukr.net",
        "anna@mail.com",
        "anna@studio-sol.at",
        "anna@uni-wien.ac.at",
        "anna@example.com",
    ],
)
def test_a_known_or_unknown_domain_is_left_alone(address: str) -> None:
    assert suggest_fix(address) is None


@given(st.text(max_size=80))
def test_any_text_gets_an_answer(text: str) -> None:
    result = suggest_fix(text)
    assert result is None or "@" in result
