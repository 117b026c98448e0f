"""Countries: every ISO 3166-1 code and every English and Russian name (pycountry).

Units store the alpha-2 code; files may name a country by alpha-2, alpha-3 or numeric code, by
its English or Russian name (short, official or common) or by a common short form of the alias
table. Pages show the name in the user's language (:func:`country_name`).
"""

from __future__ import annotations

import gettext
import re
from functools import cache, lru_cache

import pycountry
from django.utils import translation

# Short forms people write that are no ISO name (lower case, "ё" as "е").
ALIASES: dict[str, str] = {
    "usa": "US",
    "u.s.a.": "US",
    "u.s.": "US",
    "america": "US",
    "united states of america": "US",
    "сша": "US",
    "америка": "US",
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "великобритания": "GB",
    "британия": "GB",
    "англия": "GB",
    "russia": "RU",
    "россия": "RU",
    "рф": "RU",
    "holland": "NL",
    "the netherlands": "NL",
    "голландия": "NL",
    "south korea": "KR",
    "korea": "KR",
    "republic of korea": "KR",
    "южная корея": "KR",
    "корея": "KR",
    "north korea": "KP",
    "северная корея": "KP",
    "czechia": "CZ",
    "czech republic": "CZ",
    "чехия": "CZ",
    "чешская республика": "CZ",
    "turkey": "TR",
    "türkiye": "TR",
    "турция": "TR",
    "iran": "IR",
    "иран": "IR",
    "syria": "SY",
    "сирия": "SY",
    "vietnam": "VN",
    "вьетнам": "VN",
    "laos": "LA",
    "лаос": "LA",
    "moldova": "MD",
    "молдавия": "MD",
    "молдова": "MD",
    "bolivia": "BO",
    "боливия": "BO",
    "venezuela": "VE",
    "венесуэла": "VE",
    "tanzania": "TZ",
    "танзания": "TZ",
    "taiwan": "TW",
    "тайвань": "TW",
    "белоруссия": "BY",
    "беларусь": "BY",
    "киргизия": "KG",
    "кыргызстан": "KG",
    "uae": "AE",
    "оаэ": "AE",
    "emirates": "AE",
    "ivory coast": "CI",
    "кот-д'ивуар": "CI",
    "macedonia": "MK",
    "македония": "MK",
    "vatican": "VA",
    "ватикан": "VA",
    "palestine": "PS",
    "палестина": "PS",
    "brunei": "BN",
    "бруней": "BN",
    "cape verde": "CV",
    "swaziland": "SZ",
    "east timor": "TL",
    "burma": "MM",
    "бирма": "MM",
    "dr congo": "CD",
    "drc": "CD",
    "congo-kinshasa": "CD",
    "congo-brazzaville": "CG",
    "micronesia": "FM",
    "deutschland": "DE",
    "österreich": "AT",
    "schweiz": "CH",
    "suisse": "CH",
    "españa": "ES",
    "italia": "IT",
    "nederland": "NL",
    "polska": "PL",
    "česko": "CZ",
    "sverige": "SE",
    "norge": "NO",
    "danmark": "DK",
    "suomi": "FI",
}


def _key(text: str) -> str:
    text = str(text).strip().lower().replace("ё", "е").replace("’", "'")
    return re.sub(r"\s+", " ", text)


@cache
def _russian() -> gettext.NullTranslations:
    try:
        return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ru"])
    except OSError:  # a pycountry without its catalogues: English names only
        return gettext.NullTranslations()


@cache
def lookup_table() -> dict[str, str]:
    """Every accepted spelling (normalised) → alpha-2 code."""
    ru = _russian()
    table: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        names = [
            country.alpha_2,
            country.alpha_3,
            country.numeric,
            str(int(country.numeric)),
            country.name,
            getattr(country, "official_name", None),
            getattr(country, "common_name", None),
        ]
        for english in [n for n in names[4:] if n]:
            names.append(ru.gettext(english))
            # "Korea, Republic of" is also written "Republic of Korea"
            if ", " in english:
                head, tail = english.split(", ", 1)
                names.append(f"{tail} {head}")
        for name in names:
            if name:
                table.setdefault(_key(name), code)
    for alias, code in ALIASES.items():
        table.setdefault(_key(alias), code)
    return table


@cache
def _suggestion_names() -> dict[str, str]:
    """Names (not codes) a suggestion is picked from → code."""
    return {k: v for k, v in lookup_table().items() if len(k) > 3}


def country_code(text: str) -> str | None:
    """The ISO 3166 alpha-2 code of a code or name; None when unknown (``ZZ`` included)."""
    if text is None:
        return None
    if isinstance(text, str):
        return _code_of(text)
    return lookup_table().get(_key(text))


@lru_cache(maxsize=4096)  # an import file names few countries, on every row
def _code_of(text: str) -> str | None:
    return lookup_table().get(_key(text))


@lru_cache(maxsize=4096)
def suggest_country(text: str) -> str | None:
    """The closest known country for an unknown value ("Germny" → "Germany (DE)"), or None."""
    from rapidfuzz import fuzz, process, utils

    value = _key(text)
    if not value:
        return None
    names = _suggestion_names()
    if len(value) <= 3:
        candidates: list[str] = [k for k in lookup_table() if len(k) == len(value)]
        scorer = fuzz.ratio
    else:
        candidates = list(names)
        scorer = fuzz.WRatio
    found = process.extractOne(
        value, candidates, scorer=scorer, processor=utils.default_process, score_cutoff=60
    )
    if not found:
        return None
    code = lookup_table()[found[0]]
    return f"{country_name(code)} ({code})"


def country_name(code: str | None, language: str | None = None) -> str:
    """The name of a stored code in ``language`` (default: the active one); the code if unknown."""
    if not code:
        return ""
    country = pycountry.countries.get(alpha_2=str(code).upper())
    if country is None:
        return str(code)
    name = getattr(country, "common_name", None) or country.name
    language = language or translation.get_language() or "en"
    if language.split("-")[0] == "ru":
        return _russian().gettext(name)
    return str(name)


@cache
def iso_alpha2() -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code."""
    return frozenset(c.alpha_2 for c in pycountry.countries)
