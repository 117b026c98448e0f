"""Which text encoding a CSV file is in.

UTF-8 (with or without a byte-order mark) and UTF-16 with a mark are recognised by their bytes.
Anything else is a single-byte code page, and there charset-normalizer alone is not enough: the
Western (Windows-1252) and Cyrillic (Windows-1251) code pages decode every byte, so a file of
German or French names read as Windows-1251 comes out as "Kцln" without a word. The rule for
that pair: decode the sample with both and prefer the one whose words are each in one script —
a Cyrillic reading of a Western file mixes Latin and Cyrillic letters inside words ("Kцln",
"Quйbec"), a Western reading of a Russian file makes words of accented letters only ("Ìîñêâà").
On a tie charset-normalizer's guess decides when it names one of the pair, else Windows-1251
(the usual code page of the product's Russian users). A file in another code page (KOI8-R,
Windows-1250, …) is read in the one charset-normalizer names when its confidence is high.
The user can always name the encoding (``kam import --encoding``, the upload form).
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class EncodingError(ValueError):
    """No encoding fits (``kam.dataio.formats`` turns it into an ImportFileError)."""


SAMPLE_BYTES = 1024 * 1024
WESTERN, CYRILLIC = "cp1252", "cp1251"
AUTO = ""

# The choices of the upload form and of ``--encoding`` (any Python codec name is accepted too).
CHOICES = [
    (AUTO, gettext_lazy("Detect")),
    ("utf-8", "UTF-8"),
    (CYRILLIC, gettext_lazy("Windows-1251 (Cyrillic)")),
    (WESTERN, gettext_lazy("Windows-1252 (Western European)")),
    ("koi8_r", "KOI8-R"),
    ("cp1250", gettext_lazy("Windows-1250 (Central European)")),
    ("utf-16", "UTF-16"),
]

OTHER_CYRILLIC = {"koi8_r", "koi8_u", "cp866", "mac_cyrillic"}
_WORD = re.compile(r"[^\W\d_]+")


def _is_cyrillic(ch: str) -> bool:
    return "\u0400" <= ch <= "\u04ff"


def mixed_words(text: str) -> int:
    """Words mixing Latin and Cyrillic letters: a Western file read as Cyrillic."""
    count = 0
    for word in _WORD.findall(text):
        cyrillic = any(_is_cyrillic(ch) for ch in word)
        if cyrillic and any(ch.isascii() for ch in word):
            count += 1
    return count


def accented_words(text: str) -> int:
    """Words of three or more letters mostly outside ASCII, none Cyrillic: a Cyrillic file
    read as Western ("Ìîñêâà")."""
    count = 0
    for word in _WORD.findall(text):
        if len(word) < 3 or any(_is_cyrillic(ch) for ch in word):
            continue
        if sum(1 for ch in word if not ch.isascii()) * 2 > len(word):
            count += 1
    return count


def case_flips(text: str) -> int:
    """Words with a capital after a small letter ("лЮУЙБЮ": Windows-1251 read as KOI8-R)."""
    return sum(
        1 for word in _WORD.findall(text) if re.search(r"[^\W\d_](?<![A-ZА-ЯЁ])[A-ZА-ЯЁ]", word)
    )


def badness(text: str) -> int:
    """How unlike ordinary text a decoding is: words that mix or misuse scripts."""
    return mixed_words(text) + accented_words(text) + case_flips(text)


def pick_single_byte(sample: bytes, guess: str | None = None) -> str:
    """Windows-1251 or Windows-1252 for a sample that is not UTF-8 (see the module's rule)."""
    cyrillic_bad = badness(sample.decode(CYRILLIC, errors="replace"))
    western_bad = badness(sample.decode(WESTERN, errors="replace"))
    if cyrillic_bad < western_bad:
        return CYRILLIC
    if western_bad < cyrillic_bad:
        return WESTERN
    if guess in (CYRILLIC, WESTERN):
        return guess
    return CYRILLIC


def _normalizer_guess(sample: bytes) -> tuple[str | None, float]:
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    if best is None:
        return None, 0.0
    return codecs.lookup(best.encoding).name.replace("-", "_"), 1.0 - best.chaos


def detect(sample: bytes) -> str:
    """The encoding of ``sample`` (the start of a file); raises EncodingError if none fits."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        raise EncodingError(
            _(
                "Cannot read the file: it is binary or in an unsupported encoding. "
                "Save it as CSV in UTF-8 or Windows-1251, or as XLSX."
            )
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    guess, confidence = _normalizer_guess(sample)
    encoding = pick_single_byte(sample, guess)
    if guess in OTHER_CYRILLIC and confidence >= 0.9:
        # a Cyrillic code page charset-normalizer is sure of, when it reads better than the pair
        theirs = badness(sample.decode(guess, errors="replace"))
        if theirs < badness(sample.decode(encoding, errors="replace")):
            return guess
    text = sample.decode(encoding, errors="replace")
    # Windows-1251 and -1252 decode almost any byte; accept them only when it looks like text.
    odd = sum(1 for ch in text if not (ch.isprintable() or ch in "\r\n\t"))
    if odd > max(2, len(text) // 100):
        raise EncodingError(
            _("Cannot detect the text encoding of the file. Save it as CSV in UTF-8.")
        )
    return encoding


def detect_file(path: Path) -> str:
    with open(path, "rb") as fh:
        return detect(fh.read(SAMPLE_BYTES))


def check_name(encoding: str) -> str:
    """A codec name the user gave (``--encoding``, the form), normalised; or a clear error."""
    try:
        return codecs.lookup(encoding.strip()).name
    except LookupError as exc:
        raise EncodingError(
            _("Unknown text encoding “%(encoding)s”. Use for example utf-8, cp1251 or cp1252.")
            % {"encoding": encoding}
        ) from exc
