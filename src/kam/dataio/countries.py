"""Country names (English and Russian) that import files use instead of ISO 3166 codes."""

from __future__ import annotations

_NAMES = {
    "AR": ("argentina", "аргентина"),
    "AT": ("austria", "австрия"),
    "AU": ("australia", "австралия"),
    "AZ": ("azerbaijan", "азербайджан"),
    "BE": ("belgium", "бельгия"),
    "BG": ("bulgaria", "болгария"),
    "BR": ("brazil", "бразилия"),
    "BY": ("belarus", "беларусь", "белоруссия"),
    "CA": ("canada", "канада"),
    "CH": ("switzerland", "швейцария"),
    "CN": ("china", "китай"),
    "CZ": ("czech republic", "czechia", "чехия"),
    "DE": ("germany", "германия"),
    "DK": ("denmark", "дания"),
    "EE": ("estonia", "эстония"),
    "ES": ("spain", "испания"),
    "FI": ("finland", "финляндия"),
    "FR": ("france", "франция"),
    "GB": ("uk", "united kingdom", "great britain", "england", "великобритания", "англия"),
    "GR": ("greece", "греция"),
    "HU": ("hungary", "венгрия"),
    "IE": ("ireland", "ирландия"),
    "IN": ("india", "индия"),
    "IT": ("italy", "италия"),
    "JP": ("japan", "япония"),
    "KG": ("kyrgyzstan", "киргизия", "кыргызстан"),
    "KR": ("south korea", "korea", "южная корея", "корея"),
    "KZ": ("kazakhstan", "казахстан"),
    "LT": ("lithuania", "литва"),
    "LV": ("latvia", "латвия"),
    "MX": ("mexico", "мексика"),
    "NL": ("netherlands", "the netherlands", "holland", "нидерланды", "голландия"),
    "NO": ("norway", "норвегия"),
    "PL": ("poland", "польша"),
    "PT": ("portugal", "португалия"),
    "RO": ("romania", "румыния"),
    "RS": ("serbia", "сербия"),
    "RU": ("russia", "russian federation", "россия", "российская федерация", "рф"),
    "SE": ("sweden", "швеция"),
    "SK": ("slovakia", "словакия"),
    "TR": ("turkey", "türkiye", "турция"),
    "UA": ("ukraine", "украина"),
    "US": ("usa", "united states", "united states of america", "сша"),
    "UZ": ("uzbekistan", "узбекистан"),
    "VE": ("venezuela", "венесуэла"),
}

COUNTRY_BY_NAME = {name: code for code, names in _NAMES.items() for name in names}


def country_code(text: str) -> str | None:
    """An ISO 3166 alpha-2 code for a code or a known name; None when unknown."""
    value = text.strip()
    known = COUNTRY_BY_NAME.get(value.lower().replace("ё", "е"))
    if known:
        return known
    if len(value) == 2 and value.isascii() and value.isalpha():
        return value.upper()
    return None
