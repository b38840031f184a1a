"""The studio's word for itself (issue 27): where its name is not known, the texts speak of it
in its own word ("das Fitnessstudio", "el box") or the catalog's ("das Studio", "el gimnasio"),
with a capital where a sentence opens with it; its name, once known, always wins."""

from __future__ import annotations

import json

import pytest

from bot.intake.commands import help_text
from bot.studio.texts import StudioTexts, StudioTextsError
from conversations.i18n import Translator, available_locales
from conversations.studio import Studio
from tests.fake_perfectgym import FakePerfectGym
from tests.fake_telegram import FakeTelegram
from tests.harness import Prospect, bot_environment, load_config, running_bot
from tests.test_studio_identity import studio_information

PRIVACY = "https://studio.example/privacy"
WORDS = {"de": "das Fitnessstudio", "es": "el box"}
LOCALES = [*available_locales(), "de@formal"]


def _texts() -> StudioTexts:
    return StudioTexts.parse(json.dumps({"studio_word": WORDS}), privacy_url=PRIVACY)


# --- Studio.fill ---------------------------------------------------------------------------------


def test_a_word_opening_a_sentence_gets_its_capital_and_a_name_stays_as_it_is() -> None:
    de, tr = Translator("de"), Translator("tr")
    word = Studio(word="das Fitnessstudio")
    assert word.fill("{studio} meldet sich.", de) == "Das Fitnessstudio meldet sich."
    assert word.fill("Danke! 🎉 {studio} hat sie.", de) == "Danke! 🎉 Das Fitnessstudio hat sie."
    assert word.fill("✉️ {studio} hat sie.", de) == "✉️ Das Fitnessstudio hat sie."
    assert word.fill("Geht nicht: {studio} braucht es.", de) == (
        "Geht nicht: Das Fitnessstudio braucht es."  # German: a whole sentence after a colon
    )
    assert word.fill("Damit sich {studio} meldet", de) == "Damit sich das Fitnessstudio meldet"
    assert Studio(word="el box").fill("¿Puede {studio} escribirte?", Translator("es")) == (
        "¿Puede el box escribirte?"
    )
    assert Studio(word="el box").fill("Sí: {studio} te escribe.", Translator("es")) == (
        "Sí: el box te escribe."
    )
    assert Studio(word="izmir salonu").fill("{studio} arar.", tr) == "İzmir salonu arar."
    named = Studio(name="fitX", word="das Fitnessstudio")
    assert named.fill("{studio} meldet sich.", de) == "fitX meldet sich."
    assert Studio().fill("{studio} meldet sich, {name}.", de, name="Anna") == (
        "Das Studio meldet sich, Anna."
    )
    assert Studio(word="der {Club}").fill("{studio} ruft an.", de) == "Der {Club} ruft an."


@pytest.mark.parametrize("locale", LOCALES)
def test_every_catalog_has_its_word_and_renders_with_it(locale: str) -> None:
    tr = Translator(locale)
    word = tr.gettext("the studio")
    assert word
    assert word != "the studio" or locale == "en"
    for text in (
        Studio().greeting(tr),
        Studio().recipient(tr),
        Studio().withdrawal(tr),
        help_text(tr, Studio(), PRIVACY),
    ):
        assert word in text or word[0].upper() + word[1:] in text, text
        assert "{" not in text
        assert "}" not in text


def test_studio_word_is_read_per_language_and_takes_no_placeholder() -> None:
    texts = _texts()
    assert texts.studio_word_for("de_AT") == "das Fitnessstudio"
    assert texts.studio_word_for("es") == "el box"
    assert texts.studio_word_for("fr") is None
    with pytest.raises(StudioTextsError, match=r"studio_word\.de: unknown placeholder \{studio\}"):
        StudioTexts.parse(json.dumps({"studio_word": {"de": "{studio}"}}))


# --- through the bot -----------------------------------------------------------------------------


async def test_the_studios_word_shows_where_no_name_is_known(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    assert pg.studio is None  # no name from PerfectGym, and none in the environment
    async with running_bot(bot_environment(tg, pg, database_url), _texts()):
        tg.set_last_name(12201, "Maier")
        ben = Prospect(tg, chat_id=12201, language_code="de", first_name="Ben")
        await ben.send("/start")
        await ben.expect("Damit sich das Fitnessstudio wegen eines Probetrainings", PRIVACY)
        await ben.answer("/help", "Nur das Fitnessstudio erhält", "So geht das Fitnessstudio")
        await ben.answer("/skip", "überspringen: Das Fitnessstudio braucht die Angabe")
        await ben.answer("Ben Maier", "E-Mail")
        summary = await ben.answer("ben@example.com", "Bitte prüfe deine Angaben")
        await ben.choose(summary, "Ja, abschicken", "Danke, Ben! 🎉 Das Fitnessstudio hat deine")

        tg.set_last_name(12202, "Pérez")
        eva = Prospect(tg, chat_id=12202, language_code="es", first_name="Eva")
        await eva.send("/start")
        await eva.expect("Para que el box pueda ponerse en contacto")
        await eva.answer("/help", "Solo el box recibe tus datos")

        tg.set_last_name(12203, "Rossi")
        ugo = Prospect(tg, chat_id=12203, language_code="it", first_name="Ugo")
        await ugo.send("/start")
        await ugo.expect(
            "Perché la palestra possa contattarti"
        )  # no word of its own: the catalog's


async def test_the_name_wins_over_the_word(
    tg: FakeTelegram, pg: FakePerfectGym, database_url: str
) -> None:
    pg.set_config(load_config("all-inactive"))
    pg.studio = studio_information("Studio Sol", "AT")
    async with running_bot(bot_environment(tg, pg, database_url), _texts()):
        tg.set_last_name(12204, "Maier")
        ben = Prospect(tg, chat_id=12204, language_code="de", first_name="Ben")
        await ben.send("/start")
        welcome = await ben.expect("Studio Sol")
        assert "Fitnessstudio" not in (welcome.text or "")
        helped = await ben.answer("/help", "Nur Studio Sol erhält")
        assert "Fitnessstudio" not in (helped.text or "")
        await ben.answer("Ben Maier", "E-Mail")
        summary = await ben.answer("ben@example.com", "Bitte prüfe deine Angaben")
        await ben.choose(summary, "Ja, abschicken", "Danke, Ben! 🎉 Studio Sol hat deine")
