"""Russian ships complete: every message is translated, and the compiled catalogue is current."""

import ast
from pathlib import Path

from django.utils import translation

import kam

PO = Path(kam.__file__).parent / "locale" / "ru" / "LC_MESSAGES" / "django.po"


def _entries():
    """Parse the .po file into dicts of msgctxt, msgid, msgid_plural, msgstr[...], flags."""
    entries, current, key = [], {"flags": ""}, None
    for raw in PO.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if "msgid" in current:
                entries.append(current)
            current, key = {"flags": ""}, None
        elif line.startswith("#,"):
            current["flags"] += line
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += ast.literal_eval(line)
        else:
            key, _, value = line.partition(" ")
            current[key] = ast.literal_eval(value)
    return [e for e in entries if e["msgid"]]


def test_every_message_is_translated_and_none_is_fuzzy():
    entries = _entries()
    assert len(entries) > 500
    untranslated = [
        e["msgid"] for e in entries if not any(v for k, v in e.items() if k.startswith("msgstr"))
    ]
    assert untranslated == []
    assert [e["msgid"] for e in entries if "fuzzy" in e["flags"]] == []


def test_the_compiled_catalogue_matches_the_source():
    with translation.override("ru"):
        for e in _entries():
            if "msgid_plural" in e:
                continue
            if "msgctxt" in e:
                got = translation.pgettext(e["msgctxt"], e["msgid"])
            else:
                got = translation.gettext(e["msgid"])
            assert got == e["msgstr"], e["msgid"]
