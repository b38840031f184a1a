"""``python -m bot link``: the real CLI against the loopback fake Telegram. The link carries the
bot's own username (getMe) and a campaign the intake will keep; the QR code scans back to it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from bot.chain.links import split_start
from bot.funnel.campaign import MAX_CAMPAIGN_LENGTH, RULE, is_campaign
from bot.intake.service import campaign_of
from bot.marketing.links import CampaignNotAllowed, LinkError, QrFormatUnknown, deep_link, qr_kind
from tests.fake_telegram import BOT_USERNAME, FakeTelegram
from tests.harness import ROOT, free_port, run_command

LINK = f"https://t.me/{BOT_USERNAME}?start=spring-2026"
SVG = "{http://www.w3.org/2000/svg}"
IDS = ("camden", "manchester", "berlin_mitte")


async def _link(args: list[str], env: dict[str, str]) -> tuple[int, list[str], str]:
    """The CLI as an operator runs it, with nothing but ``env`` configured (no PerfectGym)."""
    return await run_command("link", *args, env=env)


def _env(tg: FakeTelegram, **extra: str) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": tg.token, "TELEGRAM_API_BASE_URL": tg.base_url, **extra}


def _only_get_me(tg: FakeTelegram, times: int) -> None:
    assert tg.method_calls("getMe") == times
    for method in ("getUpdates", "setWebhook", "deleteWebhook", "sendMessage", "setMyCommands"):
        assert tg.method_calls(method) == 0, method


# ------------------------------------------------------------------------------------ the CLI


async def test_prints_the_link_with_the_username_telegram_gives(tg: FakeTelegram) -> None:
    code, out, err = await _link(["spring-2026"], _env(tg))
    assert code == 0, err
    assert out == [LINK]
    assert tg.token not in "\n".join(out) + err
    _only_get_me(tg, 1)


async def test_the_username_is_telegrams_not_a_constant(tg: FakeTelegram) -> None:
    tg.bot_user = {**tg.bot_user, "username": "Other_Studio_bot"}
    code, out, err = await _link(["_"], _env(tg))
    assert code == 0, err
    assert out == ["https://t.me/Other_Studio_bot?start=_"]


@pytest.mark.parametrize("name", ["poster.png", "POSTER.PNG"])
async def test_the_png_qr_code_scans_back_to_exactly_the_link(
    tg: FakeTelegram, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    code, out, err = await _link(["spring-2026", "--qr", str(path)], _env(tg))
    assert code == 0, err
    assert out == [LINK]
    with Image.open(path) as image:
        assert image.format == "PNG"
        # poster size: 10 pixels a module; this link needs at least 29 modules, plus 4 each side
        assert image.width == image.height >= (29 + 2 * 4) * 10
        found = zxingcpp.read_barcodes(image)
    assert [(barcode.format, barcode.text) for barcode in found] == [
        (zxingcpp.BarcodeFormat.QRCode, LINK)
    ]
    assert str(path) in err
    assert tg.token not in "\n".join(out) + err
    _only_get_me(tg, 1)


async def test_the_svg_qr_code_is_a_valid_svg(tg: FakeTelegram, tmp_path: Path) -> None:
    path = tmp_path / "poster.svg"
    code, out, err = await _link(["spring-2026", "--qr", str(path)], _env(tg))
    assert code == 0, err
    assert out == [LINK]
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    assert int(root.attrib["width"]) == int(root.attrib["height"]) >= (29 + 2 * 4) * 10
    assert root.findall(f".//{SVG}path"), "no modules drawn"


@pytest.mark.parametrize("campaign", ["a b", "grün", "a" * (MAX_CAMPAIGN_LENGTH + 1), "x.y", ""])
async def test_a_campaign_telegram_would_not_pass_on_exits_2_before_any_getme(
    tg: FakeTelegram, tmp_path: Path, campaign: str
) -> None:
    path = tmp_path / "poster.png"
    code, out, err = await _link([campaign, "--qr", str(path)], _env(tg))
    assert code == 2
    assert out == []
    assert err.strip().splitlines() == [
        f"campaign {campaign!r} is not allowed in a Telegram link: {RULE}"
    ]
    assert not path.exists()
    _only_get_me(tg, 0)


@pytest.mark.parametrize("name", ["poster.jpg", "poster", "poster.png.txt"])
async def test_an_unknown_extension_exits_2_before_any_getme(
    tg: FakeTelegram, tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    code, out, err = await _link(["spring-2026", "--qr", str(path)], _env(tg))
    assert code == 2
    assert out == []
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert ".png or .svg" in lines[0]
    assert not path.exists()
    _only_get_me(tg, 0)


async def test_a_token_telegram_refuses_exits_1_without_printing_it(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    path = tmp_path / "poster.png"
    env = _env(tg, TELEGRAM_BOT_TOKEN="999999:WRONG-token-zzzzzzzzzz")
    code, out, err = await _link(["spring-2026", "--qr", str(path)], env)
    assert code == 1
    assert out == []
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "refused" in lines[0]
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "WRONG-token" not in err
    assert not path.exists()
    assert tg.method_calls("getMe") == 1  # asked, and refused


@pytest.mark.e2e
async def test_an_unreachable_telegram_exits_1() -> None:
    base_url = f"http://127.0.0.1:{free_port()}/bot"
    env = {"TELEGRAM_BOT_TOKEN": "123456:UNREACHED-token-zz", "TELEGRAM_API_BASE_URL": base_url}
    code, out, err = await _link(["spring-2026"], env)
    assert code == 1
    assert out == []
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "not reachable" in lines[0]
    assert "TELEGRAM_API_BASE_URL" in lines[0]
    assert "UNREACHED-token" not in err


@pytest.mark.e2e
async def test_without_a_token_exits_2_with_one_line() -> None:
    code, out, err = await _link(["spring-2026"], {})
    assert code == 2
    assert out == []
    assert err.strip().splitlines() == [
        "configuration error: TELEGRAM_BOT_TOKEN is required but not set"
    ]


@pytest.mark.parametrize("args", [[], ["a", "b"], ["a", "--qr"], ["a", "--png", "x.png"]])
async def test_bad_usage_exits_2_with_one_line(tg: FakeTelegram, args: list[str]) -> None:
    code, out, err = await _link(args, _env(tg))
    assert code == 2
    assert out == []
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "usage: python -m bot link CAMPAIGN" in lines[0]
    _only_get_me(tg, 0)


async def test_a_campaign_starting_with_a_dash_goes_after_double_dash(tg: FakeTelegram) -> None:
    code, out, err = await _link(["--", "-spring"], _env(tg))
    assert code == 0, err
    assert out == [f"https://t.me/{BOT_USERNAME}?start=-spring"]


async def test_a_file_that_cannot_be_written_exits_1_after_the_link(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    path = tmp_path / "no-such-folder" / "poster.png"
    code, out, err = await _link(["spring-2026", "--qr", str(path)], _env(tg))
    assert code == 1
    assert out == [LINK]
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "cannot be written" in lines[0]
    assert not path.exists()


@pytest.mark.e2e
async def test_help_exits_0_and_names_the_rule() -> None:
    code, out, err = await _link(["--help"], {})
    assert code == 0, err
    text = " ".join(" ".join(out).split())
    assert "usage: python -m bot link CAMPAIGN" in text
    assert "externalIdentifier" in text
    assert RULE in text


# ------------------------------------------------------------------ a chain: link --studio

STUDIOS = str(ROOT / "examples" / "studios.toml")  # no studio's key variable is set: none needed


async def test_studio_prefixes_the_campaign_with_the_studios_id(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    path = tmp_path / "camden.png"
    code, out, err = await _link(
        ["spring-2026", "--studio", "camden", "--qr", str(path)], _env(tg, STUDIOS_FILE=STUDIOS)
    )
    assert code == 0, err
    link = f"https://t.me/{BOT_USERNAME}?start=camden--spring-2026"
    assert out == [link]
    with Image.open(path) as image:
        assert [barcode.text for barcode in zxingcpp.read_barcodes(image)] == [link]
    assert split_start(link.partition("?start=")[2], IDS) == ("camden", "spring-2026")
    _only_get_me(tg, 1)


async def test_studio_without_a_campaign_links_the_studio_alone(tg: FakeTelegram) -> None:
    code, out, err = await _link(["--studio", "berlin_mitte"], _env(tg, STUDIOS_FILE=STUDIOS))
    assert code == 0, err
    assert out == [f"https://t.me/{BOT_USERNAME}?start=berlin_mitte"]


@pytest.mark.parametrize("studio", ["soho", "Camden", "main", ""])
async def test_an_unknown_studio_exits_2_listing_the_known_ones(
    tg: FakeTelegram, studio: str
) -> None:
    code, out, err = await _link(["spring", "--studio", studio], _env(tg, STUDIOS_FILE=STUDIOS))
    assert code == 2
    assert out == []
    assert err.strip().splitlines() == [
        f"--studio {studio!r}: no such studio (the studios: camden, manchester, berlin_mitte)"
    ]
    _only_get_me(tg, 0)


async def test_without_studios_file_the_one_studio_is_main(tg: FakeTelegram) -> None:
    code, out, err = await _link(["spring", "--studio", "main"], _env(tg))
    assert code == 0, err
    assert out == [f"https://t.me/{BOT_USERNAME}?start=main--spring"]
    code, out, err = await _link(["spring", "--studio", "camden"], _env(tg))
    assert code == 2
    assert err.strip().splitlines() == [
        "--studio 'camden': no such studio (without STUDIOS_FILE: main)"
    ]
    _only_get_me(tg, 1)


async def test_a_start_parameter_longer_than_64_exits_2_before_any_getme(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    env = _env(tg, STUDIOS_FILE=STUDIOS)
    room = MAX_CAMPAIGN_LENGTH - len("berlin_mitte--")
    code, out, err = await _link(["c" * room, "--studio", "berlin_mitte"], env)
    assert code == 0, err
    assert out == [f"https://t.me/{BOT_USERNAME}?start=berlin_mitte--{'c' * room}"]
    path = tmp_path / "poster.png"
    code, out, err = await _link(
        ["c" * (room + 1), "--studio", "berlin_mitte", "--qr", str(path)], env
    )
    assert code == 2
    assert out == []
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "65 characters" in lines[0]
    assert f"at most {room} characters" in lines[0]
    assert not path.exists()
    _only_get_me(tg, 1)


@pytest.mark.parametrize("campaign", ["camden", "manchester--spring"])
async def test_a_campaign_that_would_choose_a_studio_needs_studio(
    tg: FakeTelegram, campaign: str
) -> None:
    code, out, err = await _link([campaign], _env(tg, STUDIOS_FILE=STUDIOS))
    assert code == 2
    assert out == []
    chosen = campaign.partition("--")[0]
    assert err.strip().splitlines() == [
        f"campaign {campaign!r} would choose the studio {chosen!r} in a link: use --studio "
        f"{chosen} for that studio, or another campaign"
    ]
    _only_get_me(tg, 0)


async def test_in_a_chain_a_plain_campaign_is_linked_as_before(tg: FakeTelegram) -> None:
    code, out, err = await _link(["spring-2026"], _env(tg, STUDIOS_FILE=STUDIOS))
    assert code == 0, err
    assert out == [LINK]


async def test_a_bad_studios_file_exits_2_with_its_one_line(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    path = tmp_path / "studios.toml"
    path.write_text('[[studio]]\nid = "camden"\n', encoding="utf-8")
    code, out, err = await _link(["spring", "--studio", "camden"], _env(tg, STUDIOS_FILE=str(path)))
    assert code == 2
    assert out == []
    assert err.strip().splitlines() == [
        'configuration error: STUDIOS_FILE studio "camden": perfectgym_api_url: is required but '
        "not given"
    ]
    _only_get_me(tg, 0)


# -------------------------------------------------------------------------- the functions


def test_deep_link() -> None:
    assert deep_link(BOT_USERNAME, "spring-2026") == LINK
    assert deep_link(f"@{BOT_USERNAME}", "spring-2026") == LINK
    with pytest.raises(CampaignNotAllowed):
        deep_link(BOT_USERNAME, "spring 2026")
    for username in ("", "@", "studio bot", "stüdio_bot", "1studio_bot", "a" * 33):
        with pytest.raises(LinkError):
            deep_link(username, "spring-2026")


def test_qr_kind() -> None:
    assert qr_kind(Path("a.png")) == "png"
    assert qr_kind(Path("dir.svg/A.SVG")) == "svg"
    for name in ("a.jpg", "a", "png", ".png.gz"):
        with pytest.raises(QrFormatUnknown):
            qr_kind(Path(name))


# ---------------------------------------------------------------- the campaign rule (one)


@pytest.mark.parametrize(
    "text", ["a", "spring-2026", "Spring_2026", "-", "_", "0", "a" * MAX_CAMPAIGN_LENGTH]
)
def test_allowed_campaigns(text: str) -> None:
    assert is_campaign(text)
    assert campaign_of(text, 1) == text, "the intake keeps what a link may carry"
    assert deep_link(BOT_USERNAME, text).endswith(f"?start={text}")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a" * (MAX_CAMPAIGN_LENGTH + 1),
        "a b",
        " a",
        "grün",
        "ü",
        "spring\n",
        "spring.2026",
        "a+b",
        "a=b",
        "a&b",
        "\uff11\uff12",  # full-width digits: \d would take them, Telegram does not
    ],
)
def test_refused_campaigns(text: str) -> None:
    assert not is_campaign(text)
    assert campaign_of(text, 1) is None, "the intake drops what no link may carry"
    with pytest.raises(CampaignNotAllowed):
        deep_link(BOT_USERNAME, text)


def test_the_length_is_telegrams() -> None:
    assert MAX_CAMPAIGN_LENGTH == 64
