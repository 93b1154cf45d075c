"""Vietnamese text: NFC normalisation, accent-folded keys for matching, and a collation key.

Some Vietnamese keyboards send combining sequences (e + ◌̂ + ◌́) where others send one
precomposed letter; everything we store or compare is NFC first. Code-point order puts "Đ"
after "Z" and ignores the alphabet's ă/â/ê/ô/ơ/ư, so names are sorted with `sort_key`.
"""

from __future__ import annotations

import unicodedata

# The Vietnamese alphabet order (base letters with their vowel marks, without tones).
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_ORDER = {ch: i for i, ch in enumerate(_ALPHABET)}
# Tone marks, in the order dictionaries use: none, huyền, sắc, hỏi, ngã, nặng.
_TONES = {"\u0300": 1, "\u0301": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}
_VOWEL_MARKS = {"\u0306", "\u0302", "\u031b"}  # breve, circumflex, horn: part of the letter


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def clean(text: str) -> str:
    """NFC, with runs of white space folded to one space and the ends trimmed."""
    return " ".join(nfc(text).split())


def fold(text: str) -> str:
    """Lower case without any diacritics, đ as d: for matching headers and names loosely."""
    decomposed = unicodedata.normalize("NFD", clean(text).lower().replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _letter_keys(word: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    letters: list[int] = []
    tones: list[int] = []
    for ch in nfc(word.lower()):
        parts = unicodedata.normalize("NFD", ch)
        base, marks = parts[0], parts[1:]
        tone = 0
        for mark in marks:
            if mark in _TONES:
                tone = _TONES[mark]
            elif mark in _VOWEL_MARKS:
                base = unicodedata.normalize("NFC", base + mark)
        letters.append(_ORDER.get(base, 100 + ord(base)))
        tones.append(tone)
    return tuple(letters), tuple(tones)


def word_key(word: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    return _letter_keys(word)


def sort_key(full_name: str) -> tuple[object, ...]:
    """Order names as Vietnamese lists do: by given name (the last word), then the rest."""
    words = clean(full_name).split(" ")
    given = words[-1] if words else ""
    ordered = [given, *words[:-1]]
    letters = tuple(_letter_keys(w)[0] for w in ordered)
    tones = tuple(_letter_keys(w)[1] for w in ordered)
    return (letters, tones)
