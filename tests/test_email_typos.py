"""A mistyped mailbox domain gets a one-tap fix; a correct or unknown one never does."""

from __future__ import annotations

import pytest
from email_validator import validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from conversations.email_typos import COMMON_TLDS, POPULAR_DOMAINS, suggest_fix
from tests.fuzzing import examples


@pytest.mark.parametrize(
    ("typed", "fixed"),
    [
        # the name of the mailbox
        ("anna@gmial.com", "anna@gmail.com"),
        ("anna@gamil.com", "anna@gmail.com"),
        ("anna@gnail.com", "anna@gmail.com"),
        ("anna@gmai.com", "anna@gmail.com"),
        ("anna@gmaill.com", "anna@gmail.com"),
        ("anna@hotmial.com", "anna@hotmail.com"),
        ("anna@hotmal.com", "anna@hotmail.com"),
        ("anna@outlok.com", "anna@outlook.com"),
        ("anna@otlook.com", "anna@outlook.com"),
        ("anna@yahooo.com", "anna@yahoo.com"),
        ("anna@yaho.de", "anna@yahoo.de"),
        ("anna@iclod.com", "anna@icloud.com"),
        ("anna@protonmial.com", "anna@protonmail.com"),
        ("anna@t-onlin.de", "anna@t-online.de"),
        ("anna@tonline.de", "anna@t-online.de"),
        ("anna@freenett.de", "anna@freenet.de"),
        ("anna@bluwin.ch", "anna@bluewin.ch"),
        ("anna@intreia.pl", "anna@interia.pl"),
        ("anna@libreo.it", "anna@libero.it"),
        ("anna@oragne.fr", "anna@orange.fr"),
        ("anna@yandx.ru", "anna@yandex.ru"),
        ("anna@rambller.ru", "anna@rambler.ru"),
        # the top-level domain
        ("anna@gmail.con", "anna@gmail.com"),
        ("anna@gmail.cmo", "anna@gmail.com"),
        ("anna@gmail.co", "anna@gmail.com"),
        ("anna@gmail.cm", "anna@gmail.com"),
        ("anna@gmx.nett", "anna@gmx.net"),
        ("anna@gmx.ner", "anna@gmx.net"),
        ("anna@web.dee", "anna@web.de"),
        ("anna@wp.pll", "anna@wp.pl"),
        ("anna@wp.pk", "anna@wp.pl"),
        ("anna@onet.pll", "anna@onet.pl"),
        ("anna@mail.ri", "anna@mail.ru"),
        ("anna@ukr.nte", "anna@ukr.net"),
        ("anna@libero.ot", "anna@libero.it"),
        ("anna@ziggo.nk", "anna@ziggo.nl"),
        # both
        ("anna@gmial.con", "anna@gmail.com"),
        # a company's domain with a top-level domain that does not exist
        ("anna@studio-sol.con", "anna@studio-sol.com"),
        ("anna@studio-sol.att", "anna@studio-sol.at"),
        ("anna@firma.dee", "anna@firma.de"),
        # the local part is kept as typed, the domain is lower case
        ("Anna.Maria@GMIAL.com", "Anna.Maria@gmail.com"),
        ("anna+gym@gmial.com", "anna+gym@gmail.com"),
    ],
)
def test_a_mistyped_domain_gets_its_fix(typed: str, fixed: str) -> None:
    assert suggest_fix(typed) == fixed


@pytest.mark.parametrize(
    "address",
    [
        # correct popular mailboxes
        "anna@gmail.com",
        "anna@o2.pl",
        "anna@wp.pl",
        "anna@op.pl",
        "anna@t-online.de",
        "anna@web.de",
        "anna@gmx.at",
        "anna@icloud.com",
        "anna@yandex.ru",
        "anna@mail.ru",
        "anna@bk.ru",
        "anna@ukr.net",
        "anna@i.ua",
        "anna@mail.com",
        "anna@mail.de",
        "anna@email.de",
        "anna@hotmail.co.uk",
        "anna@hotmail.com.tr",
        # plausible companies, schools and short names: no guessing
        "anna@studio-sol.at",
        "anna@studio.fitness",
        "anna@uni-wien.ac.at",
        "anna@example.com",
        "anna@outdoor.com",
        "anna@web.com",
        "anna@o3.pl",
        "anna@wel.de",
        "anna@gmx.co",  # gmx.com or gmx.ch: ambiguous
        "anna@gmail.de",  # mail.de or email.de: ambiguous
        "anna@yahoo.pl",
        "anna@münchen.de",
        # not an address
        "gmial.com",
        "@gmial.com",
        "anna@",
        "anna@com",
        "anna@.con",
        "",
    ],
)
def test_a_known_or_unknown_domain_is_left_alone(address: str) -> None:
    assert suggest_fix(address) is None


def test_no_popular_domain_is_corrected_into_another() -> None:
    for domain in POPULAR_DOMAINS:
        assert suggest_fix(f"anna@{domain}") is None, domain
    assert len(set(POPULAR_DOMAINS)) == len(POPULAR_DOMAINS)
    assert len(set(COMMON_TLDS)) == len(COMMON_TLDS)


def test_every_suggestion_is_a_valid_address() -> None:
    typed = ["anna@gmial.com", "anna@gmx.nett", "anna@wp.pll", "anna@studio-sol.con"]
    for address in typed:
        fixed = suggest_fix(address)
        assert fixed is not None
        assert validate_email(fixed, check_deliverability=False).normalized == fixed


@settings(max_examples=examples(300), deadline=None)
@given(st.text(max_size=80))
def test_any_text_gets_an_answer(text: str) -> None:
    result = suggest_fix(text)
    assert result is None or "@" in result


@settings(max_examples=examples(200), deadline=None)
@given(
    local=st.from_regex(r"[a-z][a-z0-9.]{0,10}", fullmatch=True),
    domain=st.from_regex(r"[a-z0-9-]{1,300}(\.[a-z]{1,6}){1,3}", fullmatch=True),
)
def test_a_suggestion_only_changes_the_domain(local: str, domain: str) -> None:
    result = suggest_fix(f"{local}@{domain}")
    if result is not None:
        fixed_local, _, fixed_domain = result.rpartition("@")
        assert fixed_local == local
        assert fixed_domain != domain
