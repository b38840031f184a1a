"""STUDIOS_FILE: the chain's studios, read once at start-up. Every mistake in the file is one line
naming the studio and the field, and no PerfectGym key ever shows in a message or a repr."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.chain.links import StartTooLong, split_start, studio_start
from bot.chain.roster import (
    ID_RULE,
    SINGLE_STUDIO_ID,
    STUDIO_KEYS,
    Roster,
    RosterError,
    load_roster,
    roster_from_settings,
    studio_ids,
)
from bot.settings import COUNTRY_CODE, TIME_ZONE, SettingsError, load_settings
from tests.harness import ROOT, run_command

SAMPLE = ROOT / "examples" / "studios.toml"
SAMPLE_ENV = {
    "PERFECTGYM_API_KEY_CAMDEN": "camden-key-0123456789",
    "PERFECTGYM_API_KEY_MANCHESTER": "manchester-key-0123456789",
    "PERFECTGYM_API_KEY_BERLIN_MITTE": "berlin-key-0123456789",
}
KEY = "camden-secret-key-0123"
ENV = {"PG_KEY_CAMDEN": KEY, "PG_KEY_SOHO": "soho-secret-key-4567", "PG_HOOK": "hook-secret-89"}
SECRETS = (KEY, "soho-secret-key-4567", "hook-secret-89", *SAMPLE_ENV.values())
CAMDEN = """
[[studio]]
id = "camden"
perfectgym_api_url = "https://chain.open-api.perfectgym.com"
perfectgym_api_key_env = "PG_KEY_CAMDEN"
"""
SOHO = """
[[studio]]
id = "soho"
perfectgym_api_url = "https://chain.open-api.perfectgym.com"
perfectgym_api_key_env = "PG_KEY_SOHO"
"""
TELEGRAM = {"TELEGRAM_BOT_TOKEN": "123456:abcdef"}


def _file(tmp_path: Path, text: str, name: str = "studios.toml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _error(path: Path, env: dict[str, str] = ENV, staff_chat_id: int | None = None) -> str:
    """The one line a bad file stops the start with (and it shows no key)."""
    with pytest.raises(RosterError) as info:
        load_roster(path, env, staff_chat_id=staff_chat_id)
    message = str(info.value)
    assert "\n" not in message
    for secret in SECRETS:
        assert secret not in message
    return message


# ------------------------------------------------------------------------------ the sample


def test_the_sample_file_loads_three_clubs_with_their_keys() -> None:
    roster = load_roster(SAMPLE, SAMPLE_ENV, staff_chat_id=-100777)
    assert roster.ids() == ("camden", "manchester", "berlin_mitte")
    assert roster.brand == "Studio Sol"
    assert roster.from_file
    assert roster.is_chain
    assert roster.staff_chat_id == -100777  # the file names none: STAFF_CHAT_ID's
    camden = roster.get("camden")
    assert camden is not None
    assert camden.api_url == "https://studiosol.open-api.perfectgym.com"
    assert camden.api_key.get_secret_value() == "camden-key-0123456789"
    assert (camden.name, camden.country, camden.timezone) == (
        "Studio Sol Camden",
        "GB",
        "Europe/London",
    )
    assert (camden.city, camden.postcode) == ("London", "NW1 8AB")
    assert camden.latitude == pytest.approx(51.539)
    assert camden.longitude == pytest.approx(-0.1426)
    assert camden.webhook_key is None
    assert camden.staff_chat_id is None
    assert camden.texts_file is None
    berlin = roster.get("berlin_mitte")
    assert berlin is not None
    assert (berlin.country, berlin.timezone, berlin.city) == ("DE", "Europe/Berlin", "Berlin")
    assert berlin.latitude is not None
    assert 52 < berlin.latitude < 53
    assert berlin.longitude is not None
    assert 13 < berlin.longitude < 14
    manchester = roster.get("manchester")
    assert manchester is not None
    assert manchester.city == "Manchester"
    assert roster.get("Camden") is None, "ids are case-sensitive"
    assert roster.get("main") is None
    assert sorted(roster.secrets()) == sorted(SAMPLE_ENV.values())


def test_no_key_shows_in_a_repr() -> None:
    roster = load_roster(SAMPLE, SAMPLE_ENV, staff_chat_id=None)
    shown = repr(roster) + str(roster) + "".join(map(repr, roster.studios))
    assert "camden" in shown  # the repr is there, only the keys are not
    for secret in SAMPLE_ENV.values():
        assert secret not in shown


def test_the_ids_alone_need_no_key_in_the_environment() -> None:
    assert studio_ids(SAMPLE) == ("camden", "manchester", "berlin_mitte")


def test_the_sample_names_every_field_the_readme_documents() -> None:
    """Each studio key is in the README's sample and in examples/studios.toml (there, perhaps
    commented out): the file an operator copies shows every option."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sample = SAMPLE.read_text(encoding="utf-8")
    for key in STUDIO_KEYS:
        assert f"\n{key} = " in readme, key
        assert f"{key} = " in sample, key


# ---------------------------------------------------------------------- one line per mistake


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'brnad = "Studio Sol"\n' + CAMDEN,
            "STUDIOS_FILE: brnad: unknown key (allowed: brand, staff_chat_id, studio)",
        ),
        (
            CAMDEN + 'adress = "Camden High St"\n',
            f'STUDIOS_FILE studio "camden": adress: unknown key (allowed: {", ".join(STUDIO_KEYS)})',
        ),
        (
            CAMDEN + SOHO + CAMDEN,
            'STUDIOS_FILE studio "camden": id: studio #1 has it too; each studio\'s id is its own',
        ),
        (
            CAMDEN.replace('"camden"', '"camden-town"'),
            f"STUDIOS_FILE studio #1: id: 'camden-town' is not allowed: {ID_RULE}",
        ),
        (
            CAMDEN.replace('"camden"', '"new york"'),
            f"STUDIOS_FILE studio #1: id: 'new york' is not allowed: {ID_RULE}",
        ),
        (
            SOHO + CAMDEN.replace('"camden"', '"' + "c" * 25 + '"'),
            f"STUDIOS_FILE studio #2: id: '{'c' * 25}' is not allowed: {ID_RULE}",
        ),
        (
            CAMDEN.replace('id = "camden"', ""),
            "STUDIOS_FILE studio #1: id: is required but not given",
        ),
        (
            CAMDEN.replace('"camden"', "7"),
            'STUDIOS_FILE studio #1: id: must be a string, in quotes: key = "value"',
        ),
        (
            CAMDEN.replace('perfectgym_api_url = "https://chain.open-api.perfectgym.com"', ""),
            'STUDIOS_FILE studio "camden": perfectgym_api_url: is required but not given',
        ),
        (
            CAMDEN.replace("https://chain", "ftp://chain"),
            'STUDIOS_FILE studio "camden": perfectgym_api_url: must start with http:// or https://',
        ),
        (
            CAMDEN.replace("PG_KEY_CAMDEN", "PERFECTGYM_API_KEY_CAMDEN"),
            'STUDIOS_FILE studio "camden": perfectgym_api_key_env: the variable '
            "PERFECTGYM_API_KEY_CAMDEN is not set",
        ),
        (
            CAMDEN.replace('perfectgym_api_key_env = "PG_KEY_CAMDEN"', ""),
            'STUDIOS_FILE studio "camden": perfectgym_api_key_env: is required but not given',
        ),
        (
            CAMDEN.replace("PG_KEY_CAMDEN", "PG KEY"),
            "STUDIOS_FILE studio \"camden\": perfectgym_api_key_env: 'PG KEY' is not the name of "
            "an environment variable",
        ),
        (
            CAMDEN + 'perfectgym_webhook_key_env = "PG_HOOK_CAMDEN"\n',
            'STUDIOS_FILE studio "camden": perfectgym_webhook_key_env: the variable '
            "PG_HOOK_CAMDEN is not set",
        ),
        (
            CAMDEN + "latitude = 51.539\n",
            'STUDIOS_FILE studio "camden": longitude: is required with latitude: give both or '
            "neither",
        ),
        (
            CAMDEN + "longitude = -0.1426\n",
            'STUDIOS_FILE studio "camden": latitude: is required with longitude: give both or '
            "neither",
        ),
        (
            CAMDEN + "latitude = 95.0\nlongitude = 0\n",
            'STUDIOS_FILE studio "camden": latitude: must be between -90 and 90 degrees',
        ),
        (
            CAMDEN + 'latitude = "51.5"\nlongitude = 0\n',
            'STUDIOS_FILE studio "camden": latitude: must be a number in degrees, without quotes',
        ),
        (
            CAMDEN + 'country = "England"\n',
            f'STUDIOS_FILE studio "camden": country: {COUNTRY_CODE}',
        ),
        (
            CAMDEN + 'timezone = "Europe/Londn"\n',
            f'STUDIOS_FILE studio "camden": timezone: {TIME_ZONE}',
        ),
        (
            CAMDEN + 'privacy_url = "studio-sol.example/privacy"\n',
            'STUDIOS_FILE studio "camden": privacy_url: must be a web address starting with '
            "https://",
        ),
        (
            CAMDEN + 'staff_chat_id = "-100123"\n',
            'STUDIOS_FILE studio "camden": staff_chat_id: must be a whole number, without quotes',
        ),
        (
            CAMDEN + 'name = "  "\n',
            'STUDIOS_FILE studio "camden": name: is empty: give a value, or leave the key out',
        ),
        (
            'staff_chat_id = "chain"\n' + CAMDEN,
            "STUDIOS_FILE: staff_chat_id: must be a whole number, without quotes",
        ),
        (
            'brand = "Studio Sol"\n',
            "STUDIOS_FILE: studio: no [[studio]] table: the file describes at least one studio",
        ),
        (
            CAMDEN.replace("[[studio]]", "[studio]"),
            "STUDIOS_FILE: studio: must be [[studio]] tables, one for each studio",
        ),
        (
            CAMDEN + SOHO + "postcode = 1234\n",
            'STUDIOS_FILE studio "soho": postcode: must be a string, in quotes: key = "value"',
        ),
    ],
)
def test_a_mistake_is_one_line_naming_the_studio_and_the_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert _error(_file(tmp_path, text)) == expected


def test_a_key_variable_set_but_empty_is_named(tmp_path: Path) -> None:
    path = _file(tmp_path, CAMDEN)
    assert _error(path, {**ENV, "PG_KEY_CAMDEN": " "}) == (
        'STUDIOS_FILE studio "camden": perfectgym_api_key_env: the variable PG_KEY_CAMDEN is empty'
    )


def test_a_file_that_is_not_toml_names_the_file(tmp_path: Path) -> None:
    path = _file(tmp_path, CAMDEN.replace('id = "camden"', 'id = "camden'))
    message = _error(path)
    assert message.startswith(f"STUDIOS_FILE {str(path)!r}: not valid TOML: ")
    assert "line 3" in message


def test_a_missing_file_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    assert _error(path) == f"STUDIOS_FILE {str(path)!r}: cannot be read (No such file or directory)"


def test_the_chains_staff_chat_is_named_in_one_place(tmp_path: Path) -> None:
    path = _file(tmp_path, "staff_chat_id = -1001\n" + CAMDEN)
    assert load_roster(path, ENV, staff_chat_id=None).staff_chat_id == -1001
    assert load_roster(path, ENV, staff_chat_id=-1001).staff_chat_id == -1001
    assert _error(path, staff_chat_id=-1002) == (
        "STUDIOS_FILE: staff_chat_id: differs from STAFF_CHAT_ID: name the chain's staff chat in "
        "one place"
    )


def test_a_texts_file_that_does_not_exist_is_named(tmp_path: Path) -> None:
    path = _file(tmp_path, CAMDEN + 'texts_file = "texts/camden.json"\n')
    missing = tmp_path / "texts" / "camden.json"
    assert _error(path) == (
        f'STUDIOS_FILE studio "camden": texts_file: {str(missing)!r} is not a file'
    )


# --------------------------------------------------------------------- what a studio may say


def test_a_relative_texts_file_is_found_beside_the_toml_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "config"
    texts = _file(folder, "{}", "texts/camden.json")
    absolute = _file(tmp_path, "{}", "elsewhere/soho.json")
    path = _file(
        folder,
        CAMDEN + 'texts_file = "texts/camden.json"\n' + SOHO + f'texts_file = "{absolute}"\n',
    )
    monkeypatch.chdir(tmp_path)  # not the file's folder: the path is the file's, not the cwd's
    roster = load_roster(Path("config/studios.toml"), ENV, staff_chat_id=None)
    camden, soho = roster.studios
    assert camden.texts_file == texts
    assert soho.texts_file == absolute
    assert load_roster(path, ENV, staff_chat_id=None) == roster


def test_every_optional_field_is_read(tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        'brand = "Studio Sol"\n'
        + CAMDEN
        + """perfectgym_webhook_key_env = "PG_HOOK"
staff_chat_id = -1009876543210
name = "Studio Sol Camden"
country = "gb"
timezone = "Europe/London"
latitude = 51
longitude = -0.1426
city = "London"
postcode = "NW1 8AB"
privacy_url = "https://studio-sol.example/privacy"
""",
    )
    roster = load_roster(path, ENV, staff_chat_id=None)
    (studio,) = roster.studios
    assert roster.is_chain, "a file of one studio still names it: the links carry its id"
    assert roster.staff_chat_id is None
    assert studio.webhook_key is not None
    assert studio.webhook_key.get_secret_value() == "hook-secret-89"
    assert studio.staff_chat_id == -1009876543210
    assert studio.country == "GB"
    assert studio.latitude == 51.0
    assert isinstance(studio.latitude, float)
    assert studio.privacy_url == "https://studio-sol.example/privacy"
    assert set(roster.secrets()) == {KEY, "hook-secret-89"}
    assert "hook-secret-89" not in repr(roster)
    assert KEY not in repr(roster)


# ------------------------------------------------------------------------ one studio, as today


def test_without_studios_file_the_environment_is_the_one_studio_main(tmp_path: Path) -> None:
    settings = load_settings(
        {
            **TELEGRAM,
            "PERFECTGYM_API_URL": "https://tenant.open-api.perfectgym.com",
            "PERFECTGYM_API_KEY": KEY,
            "STUDIO_NAME": "FitBox Wien",
            "STUDIO_COUNTRY": "at",
            "STUDIO_TIMEZONE": "Europe/Vienna",
            "PRIVACY_URL": "https://fitbox.example/datenschutz",
            "STUDIO_TEXTS_FILE": "texts.json",
            "STAFF_CHAT_ID": "-100555",
        }
    )
    roster = roster_from_settings(settings, {})
    assert roster.ids() == (SINGLE_STUDIO_ID,) == ("main",)
    assert not roster.from_file
    assert not roster.is_chain
    assert roster.brand is None
    assert roster.staff_chat_id == -100555
    (studio,) = roster.studios
    assert studio.api_url == "https://tenant.open-api.perfectgym.com"
    assert studio.api_key.get_secret_value() == KEY
    assert (studio.name, studio.country, studio.timezone) == ("FitBox Wien", "AT", "Europe/Vienna")
    assert studio.privacy_url == "https://fitbox.example/datenschutz"
    assert studio.texts_file == Path("texts.json")
    assert studio.staff_chat_id is None
    assert studio.webhook_key is None
    assert (studio.latitude, studio.longitude, studio.city, studio.postcode) == (None,) * 4
    assert KEY not in repr(roster)
    assert roster.secrets() == (KEY,)


def test_with_studios_file_the_file_is_the_roster() -> None:
    settings = load_settings({**TELEGRAM, "STUDIOS_FILE": str(SAMPLE), "STAFF_CHAT_ID": "-100555"})
    assert settings.perfectgym_api_url is None
    assert settings.perfectgym_api_key is None
    roster = roster_from_settings(settings, SAMPLE_ENV)
    assert isinstance(roster, Roster)
    assert roster.ids() == ("camden", "manchester", "berlin_mitte")
    assert roster.staff_chat_id == -100555
    with pytest.raises(RosterError, match="PERFECTGYM_API_KEY_CAMDEN is not set"):
        roster_from_settings(settings, {})


@pytest.mark.parametrize("missing", ["PERFECTGYM_API_URL", "PERFECTGYM_API_KEY"])
def test_without_studios_file_the_tenant_is_still_required(missing: str) -> None:
    env = {
        **TELEGRAM,
        "PERFECTGYM_API_URL": "https://tenant.open-api.perfectgym.com",
        "PERFECTGYM_API_KEY": KEY,
    }
    for unset in ({k: v for k, v in env.items() if k != missing}, {**env, missing: ""}):
        with pytest.raises(SettingsError) as info:
            load_settings(unset)
        assert str(info.value) == f"{missing} is required but not set"


def test_the_tenants_address_is_checked() -> None:
    """It was not: Settings took TelegramSettings' validator of the same name instead."""
    env = {**TELEGRAM, "PERFECTGYM_API_URL": "ftp://tenant.example", "PERFECTGYM_API_KEY": KEY}
    with pytest.raises(SettingsError) as info:
        load_settings(env)
    assert str(info.value) == "PERFECTGYM_API_URL must start with http:// or https://"
    with pytest.raises(SettingsError, match="TELEGRAM_API_BASE_URL must start with"):
        load_settings(
            {**env, "PERFECTGYM_API_URL": "https://t.example", "TELEGRAM_API_BASE_URL": "x"}
        )


# ----------------------------------------------------------------------------- the deep link

IDS = ("camden", "manchester", "berlin_mitte")


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ("camden--spring", ("camden", "spring")),
        ("camden", ("camden", None)),
        ("camden--", ("camden", None)),
        ("berlin_mitte--spring-2026", ("berlin_mitte", "spring-2026")),
        ("camden--spring--poster", ("camden", "spring--poster")),
        ("camden---x", ("camden", "-x")),
        ("spring", (None, "spring")),
        ("spring-2026", (None, "spring-2026")),
        ("soho--spring", (None, "soho--spring")),
        ("Camden--spring", (None, "Camden--spring")),
        ("CAMDEN", (None, "CAMDEN")),
        ("camdenx--spring", (None, "camdenx--spring")),
        ("--spring", (None, "--spring")),
        ("camden spring", (None, "camden spring")),  # typed by hand: chooses nothing
        ("camden--spring 2026", (None, "camden--spring 2026")),
        ("", (None, None)),
        (None, (None, None)),
    ],
)
def test_split_start(payload: str | None, expected: tuple[str | None, str | None]) -> None:
    assert split_start(payload, IDS) == expected


def test_split_start_knows_only_the_given_ids() -> None:
    assert split_start("camden--spring", ()) == (None, "camden--spring")
    assert split_start("main--spring", frozenset({"main"})) == ("main", "spring")


def test_studio_start_keeps_within_telegrams_64_characters() -> None:
    assert studio_start("camden", "spring") == "camden--spring"
    assert studio_start("camden", None) == "camden"
    assert studio_start("camden", "") == "camden"
    longest = "x" * (64 - len("camden--"))
    assert studio_start("camden", longest) == f"camden--{longest}"
    with pytest.raises(StartTooLong) as info:
        studio_start("camden", longest + "x")
    assert "65 characters" in str(info.value)
    assert "at most 56 characters" in str(info.value)
    for studio_id in IDS:  # what a link writes, a link reads back
        assert split_start(studio_start(studio_id, "spring"), IDS) == (studio_id, "spring")


# ----------------------------------------------------------------------- the start, stopped


@pytest.mark.e2e
async def test_a_bad_studios_file_stops_the_start_with_one_line(tmp_path: Path) -> None:
    path = _file(tmp_path, CAMDEN + "latitude = 51.5\n")
    env = {**TELEGRAM, **ENV, "STUDIOS_FILE": str(path), "DATABASE_URL": "sqlite:///:memory:"}
    code, out, err = await run_command(env=env)
    assert code == 2, err
    assert out == []
    assert err.strip().splitlines() == [
        'configuration error: STUDIOS_FILE studio "camden": longitude: is required with '
        "latitude: give both or neither"
    ]
    for secret in (*SECRETS, "abcdef"):
        assert secret not in err


@pytest.mark.e2e
async def test_a_missing_key_variable_stops_the_start_and_the_check(tmp_path: Path) -> None:
    env = {**TELEGRAM, "STUDIOS_FILE": str(SAMPLE), "PERFECTGYM_API_KEY_CAMDEN": "c-key-0123"}
    expected = (
        'configuration error: STUDIOS_FILE studio "manchester": perfectgym_api_key_env: the '
        "variable PERFECTGYM_API_KEY_MANCHESTER is not set"
    )
    for command in ((), ("check",)):
        code, out, err = await run_command(*command, env=env)
        assert code == 2, err
        assert out == []
        assert err.strip().splitlines() == [expected]
        assert "c-key-0123" not in err


def test_two_studios_with_one_webhook_key_are_refused(tmp_path: Path) -> None:
    """The webhook key is all that says which studio an event is of (issue 26)."""
    hooked = 'perfectgym_webhook_key_env = "PG_HOOK"\n'
    path = _file(tmp_path, CAMDEN + hooked + SOHO + hooked)
    assert _error(path) == (
        'STUDIOS_FILE studio "soho": perfectgym_webhook_key_env: its value is studio #1\'s '
        "webhook key too; each studio's webhook key is its own"
    )


def test_the_single_studios_webhook_key_is_its_own_and_masked(tmp_path: Path) -> None:
    env = {
        **TELEGRAM,
        "PERFECTGYM_API_URL": "https://studio.open-api.perfectgym.com",
        "PERFECTGYM_API_KEY": KEY,
        "PERFECTGYM_WEBHOOK_KEY": "hook-secret-89",
    }
    roster = roster_from_settings(load_settings(env), env)
    [studio] = roster.studios
    assert studio.webhook_key is not None
    assert studio.webhook_key.get_secret_value() == "hook-secret-89"
    assert "hook-secret-89" in roster.secrets()  # the log filter masks it
    assert "hook-secret-89" not in repr(roster)
    blank = roster_from_settings(load_settings({**env, "PERFECTGYM_WEBHOOK_KEY": " "}), env)
    assert blank.studios[0].webhook_key is None
