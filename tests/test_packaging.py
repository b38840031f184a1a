"""The bot installs as a package: ``pip install .`` (not editable) and it runs from anywhere.

The wheel is built from a copy of the checkout with this venv's own setuptools and Babel (no
network, no build isolation), then installed into a fresh venv that borrows this venv's
dependencies, and ``python -m bot`` is run from a directory with no checkout in sight. A module
left out of the wheel, or catalogs that stayed behind in the checkout's ``locales/``, fail here
and nowhere else: every other test imports the checkout itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "conversations")
LOCALES = sorted(path.parent.parent.name for path in ROOT.glob("locales/*/LC_MESSAGES/*.po"))

pytestmark = pytest.mark.e2e


def _run(
    command: list[str], cwd: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """A subprocess in ``cwd`` with ``env`` and none of the machine's settings for the bot, nor
    a PYTHONPATH that could reach the checkout."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if name != "PYTHONPATH"
        and not name.startswith(("TELEGRAM_", "PERFECTGYM_", "WEBHOOK_", "DATABASE_", "STUDIO_"))
        and name not in ("ADDRESS_FORM", "PRIVACY_URL")
    }
    return subprocess.run(
        command,
        cwd=cwd,
        env={**clean, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the checkout so that the build leaves nothing in it
    (a stale ``build/`` there would carry deleted modules into later wheels)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
        ),
    )
    built = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--wheel-dir",
            str(work / "dist"),
            str(source),
        ],
        cwd=work,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (found,) = (work / "dist").glob("*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The python of a fresh venv with the wheel installed, ``pip install --no-index``.

    The bot's dependencies come from this venv's site-packages, added as a path at the end of
    ``sys.path`` (a ``.pth`` line): only its packages, not the editable install of the checkout,
    which lives in ``.pth`` files of its own that a path added this way does not run.
    """
    venv = tmp_path_factory.mktemp("venv")
    created = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=venv)
    assert created.returncode == 0, created.stderr
    python = venv / "bin" / "python"
    site = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=venv
    )
    assert site.returncode == 0, site.stderr
    borrowed = sysconfig.get_paths()["purelib"]
    (Path(site.stdout.strip()) / "borrowed-dependencies.pth").write_text(f"{borrowed}\n")
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    done = _run([*pip, "install", "--no-deps", "--no-index", str(wheel)], cwd=venv)
    assert done.returncode == 0, done.stdout + done.stderr
    return python


def test_the_wheel_holds_every_module_the_sample_config_and_every_compiled_catalog(
    wheel: Path,
) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    modules = {
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert len(modules) > 50  # the packages were found at all
    assert modules - names == set(), "modules missing from the wheel"
    assert "bot/standin/sample_config.json" in names
    assert {"de", "de@formal", "en"} <= set(LOCALES)
    catalogs = {f"conversations/locales/{locale}/LC_MESSAGES/messages.mo" for locale in LOCALES}
    assert catalogs - names == set(), "compiled catalogs missing from the wheel"
    assert not {name for name in names if name.endswith(".po")}, "sources instead of catalogs"
    assert not {name for name in names if name.startswith(("tests/", "bench/", "locales/"))}


def test_the_installed_bot_runs_from_outside_the_checkout(installed: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run(
        [
            str(installed),
            "-c",
            "import bot, conversations.i18n as i18n; "
            "print(bot.__file__); print(sorted(i18n.available_locales()))",
        ],
        cwd=elsewhere,
    )
    assert where.returncode == 0, where.stderr
    module, locales = where.stdout.splitlines()
    assert Path(module).is_relative_to(installed.parent.parent), "the checkout was imported"
    assert locales == str(sorted(name for name in LOCALES if "@" not in name))

    helped = _run([str(installed), "-m", "bot", "--help"], cwd=elsewhere)
    assert helped.returncode == 0, helped.stderr
    assert "usage: python -m bot" in helped.stdout
    assert "TELEGRAM_BOT_TOKEN" in helped.stdout


@pytest.mark.parametrize(
    ("address_form", "spoken"),
    [
        ("informal", ["Wie lautet deine E-Mail-Adresse?", "Bitte prüfe deine Angaben", "Danke, "]),
        ("formal", ["Wie lautet Ihre E-Mail-Adresse?", "Bitte prüfen Sie Ihre Angaben", "Dank, "]),
    ],
)
def test_the_installed_demo_speaks_german_from_the_compiled_catalogs(
    installed: Path, tmp_path: Path, address_form: str, spoken: list[str]
) -> None:
    answers = [
        *("Anna Muster", "anna@example.com", "1", "1", "31.12.1990", "Deutschland"),
        *("Hauptstraße 5", "10115 Berlin", "2", "5"),  # heard from friends, goals: skip
        *("Überspringen", "Überspringen", "Überspringen"),  # trial date, sessions, injuries
        *("1", "1", "1"),  # student, newsletter, summary: confirm
    ]
    demo = _run(
        [str(installed), "-m", "bot", "demo", "--language", "de"],
        cwd=tmp_path,
        stdin="\n".join(answers) + "\n",
        env={"ADDRESS_FORM": address_form},
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    for text in ["Hier ist Demo Studio", *spoken]:
        assert text in demo.stdout, demo.stdout
    assert '"firstname": "Anna"' in demo.stdout  # the conversation went through to the lead
    assert '"languageCode": "de"' in demo.stdout
