"""A likely typo in an e-mail address's domain ("gmial.com", "web.dee"), offered back as a fix.

The classic mailcheck approach, written here because no library fits: ``pymailcheck`` (last
release 2021) knows US mailboxes only and its list has a lost comma ("gmx" "hotmail"), and
``email-typo-fixer`` rewrites whole addresses from a hard-coded, Brazil-centred typo table and
pulls in rapidfuzz and publicsuffixlist. Here the domain's name and its top-level domain are
compared separately with the popular mailbox domains of the bot's markets, by
Damerau-Levenshtein distance: at most 1 for names of up to seven letters, 2 beyond, none for
names of three letters or fewer ("o2", "wp"). A top-level domain that exists is changed only
when the name is exactly a popular mailbox's ("gmail.co"); one that does not exist is fixed when
a common one is one edit away ("firma.con"). A fix is only offered when it is the single best
one, so a company domain like ``studio-sol.at`` is never "corrected".
"""

from __future__ import annotations

from functools import lru_cache

from babel import Locale

# The mailboxes the studios' prospects use (DE/AT/CH/PL/ES/IT/FR/NL/PT/UA/TR/RU/GB/US); on a
# tie the earlier one is not preferred: a tie means no suggestion.
POPULAR_DOMAINS = (
    # international
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "ymail.com", "icloud.com", "me.com", "mac.com", "aol.com", "protonmail.com",
    "proton.me", "pm.me", "gmx.com", "mail.com", "zoho.com", "yandex.com",
    # DE / AT / CH
    "gmx.de", "gmx.net", "gmx.at", "gmx.ch", "web.de", "t-online.de", "freenet.de", "arcor.de",
    "posteo.de", "mailbox.org", "mail.de", "email.de", "outlook.de", "hotmail.de", "live.de",
    "yahoo.de", "aol.de", "aon.at", "chello.at", "a1.net", "bluewin.ch", "hispeed.ch",
    "sunrise.ch",
    # PL
    "wp.pl", "o2.pl", "onet.pl", "op.pl", "interia.pl", "interia.eu", "gazeta.pl", "vp.pl",
    "tlen.pl", "onet.eu",
    # ES / IT / FR / NL / PT
    "hotmail.es", "yahoo.es", "outlook.es", "telefonica.net", "libero.it", "virgilio.it",
    "alice.it", "tiscali.it", "hotmail.it", "yahoo.it", "outlook.it", "orange.fr",
    "wanadoo.fr", "free.fr", "sfr.fr", "laposte.net", "hotmail.fr", "yahoo.fr", "outlook.fr",
    "ziggo.nl", "kpnmail.nl", "hotmail.nl", "live.nl", "planet.nl", "home.nl", "sapo.pt",
    "hotmail.com.tr", "mynet.com",
    # UA / RU
    "ukr.net", "i.ua", "meta.ua", "yandex.ua", "mail.ru", "yandex.ru", "ya.ru", "rambler.ru",
    "bk.ru", "list.ru", "inbox.ru",
    # GB / US
    "hotmail.co.uk", "yahoo.co.uk", "btinternet.com", "sky.com", "virginmedia.com",
    "comcast.net", "verizon.net", "att.net", "sbcglobal.net",
)  # fmt: skip

# Top-level domains a mistyped one ("con", "nett", "dee", "pll") is most likely meant to be.
COMMON_TLDS = (
    "com", "net", "org", "de", "at", "ch", "pl", "es", "it", "fr", "nl", "pt", "be", "lu", "ua",
    "tr", "ru", "uk", "eu", "info", "biz", "dk", "se", "no", "fi", "cz", "sk",
)  # fmt: skip

# Generic top-level domains that exist and are one edit from a common one, or simply in use
# around the studios, so never "fixed". Country codes come from Babel's territory list.
_GENERIC_TLDS = frozenset(
    {
        "com", "net", "org", "info", "biz", "edu", "gov", "int", "mil", "name", "pro", "mobi",
        "app", "dev", "io", "ai", "tv", "online", "shop", "store", "site", "tech", "email", "cloud",
        "fit", "fitness", "gym", "yoga", "studio", "berlin", "wien", "koeln", "hamburg", "bayern",
        "nrw", "swiss", "paris", "london", "amsterdam", "istanbul", "cat", "eus", "gal", "art",
        "cam", "new", "nec", "ong", "ngo", "bid", "bio", "frl", "run", "now", "bet", "ski", "sky",
        "ltd", "xyz", "top", "club", "live", "life", "world", "travel", "family", "health", "care",
    }
)  # fmt: skip

# Second-level registries whose names sit one label deeper ("hotmail.co.uk").
_TWO_LABEL_SUFFIXES = frozenset(
    {
        "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "com.tr", "net.tr", "org.tr", "com.ua",
        "org.ua", "com.pl", "net.pl", "org.pl", "com.es", "com.pt", "co.at", "or.at", "ac.at",
        "gv.at", "com.ru", "com.cy", "com.mt",
    }
)  # fmt: skip

_MAX_DOMAIN_LENGTH = 255


def suggest_fix(address: str) -> str | None:
    """The address with its domain corrected, or None when the domain looks right or unknown.

    ``address`` is expected to be valid and normalised already; anything else gets None.
    """
    local, at, domain = address.rpartition("@")
    domain = domain.lower()
    if not at or not local or len(domain) > _MAX_DOMAIN_LENGTH:
        return None
    fixed = _fix_domain(domain)
    return f"{local}@{fixed}" if fixed is not None and fixed != domain else None


def _fix_domain(domain: str) -> str | None:
    if domain in _POPULAR:
        return None
    name, tld = _split(domain)
    if not name or not tld:
        return None
    tld_exists = tld in _existing_tlds()
    best: list[str] = []
    best_cost = 0
    for popular, (popular_name, popular_tld) in _POPULAR.items():
        cost = _cost(name, tld, tld_exists, popular_name, popular_tld)
        if cost is None:
            continue
        if not best or cost < best_cost:
            best, best_cost = [popular], cost
        elif cost == best_cost:
            best.append(popular)
    if best:
        return best[0] if len(best) == 1 else None
    if tld_exists:
        return None
    close = [common for common in COMMON_TLDS if _distance(tld, common, 1) <= 1]
    return f"{name}.{close[0]}" if len(close) == 1 else None


def _cost(name: str, tld: str, tld_exists: bool, popular_name: str, popular_tld: str) -> int | None:
    """Edits from the typed domain to a popular one, or None when it is too far to be a typo."""
    tld_edits = _distance(tld, popular_tld, 1)
    if tld_edits > 1 or (tld_exists and tld_edits and name != popular_name):
        return None
    allowed = _allowed_name_edits(name)
    name_edits = _distance(name, popular_name, allowed)
    if name_edits > allowed:
        return None
    return name_edits + tld_edits


def _allowed_name_edits(name: str) -> int:
    """Short names are too close to each other ("o2", "op", "wp") to guess between."""
    if len(name) <= 3:
        return 0
    return 1 if len(name) <= 7 else 2


def _split(domain: str) -> tuple[str, str]:
    """("hotmail", "co.uk") from "hotmail.co.uk": the name and the registry it is in."""
    labels = domain.split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in _TWO_LABEL_SUFFIXES:
        return ".".join(labels[:-2]), ".".join(labels[-2:])
    return ".".join(labels[:-1]), labels[-1]


def _distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein distance (optimal string alignment), or ``limit + 1`` once it is
    certainly over the limit: a swap ("gmial") counts as one edit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            substitution = previous[j - 1] + (a[i - 1] != b[j - 1])
            current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[len(b)], limit + 1)


@lru_cache(maxsize=1)
def _existing_tlds() -> frozenset[str]:
    """Every country-code top-level domain (Babel's territories, plus "uk"), and the generic
    ones above."""
    territories = Locale("en").territories
    codes = {code.lower() for code in territories if isinstance(code, str) and len(code) == 2}
    return frozenset(codes | {"uk"} | _GENERIC_TLDS | _TWO_LABEL_SUFFIXES)


_POPULAR = {domain: _split(domain) for domain in POPULAR_DOMAINS}
