"""Text that a tool mangled on its way into the dump: HTML entities and mojibake.

`&quot;`, `&#163;` and `&amp;quot;` in a title are what an HTML page's author typed, and
`cafÃ©` is UTF-8 read as Windows-1252 somewhere upstream. Both are repaired; text that is
already right is returned as the same string, untouched, and nothing is ever cut out:
entities are decoded only when complete (`&name;`, `&#NNN;`, `&#xHH;`), and mojibake is
handed to ftfy only when a character sequence that UTF-8 read as Windows-1252 always
produces is present, with ftfy's changes to correct text (quotes, ligatures, widths,
Unicode form) switched off.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

# A complete entity, named or numeric. Unknown names are left as they are (html.unescape).
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# A UTF-8 lead byte (U+00C2-U+00F4 in Latin-1) followed by what a continuation byte
# becomes in Latin-1 (U+0080-U+00BF) or Windows-1252 (its 0x80-0x9F row: euro sign, curly
# quotes, dashes...): 'Ã©', 'â€™', 'Ø¨'. Correct text in any script almost never has it.
_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
    "\u02dc\u2013\u2014\u2018-\u201a\u201c-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a"
    "\u20ac\u2122]"
)
# Rounds of entity decoding: `&amp;quot;` (escaped twice) is a quotation mark.
ENTITY_ROUNDS = 3


def repair_text(text: str) -> str:
    """`text` with complete HTML entities decoded and mojibake fixed; unchanged otherwise."""
    if "&" in text:
        text = _decode_entities(text)
    if not text.isascii() and _MOJIBAKE.search(text):
        text = _fix_mojibake(text)
    return text


def _decode_entities(text: str) -> str:
    for _ in range(ENTITY_ROUNDS):
        decoded = _ENTITY.sub(_unescape, text)
        if decoded == text:
            break
        text = decoded
    return text


def _unescape(match: re.Match[str]) -> str:
    return html.unescape(match.group())


def _fix_mojibake(text: str) -> str:
    import ftfy

    fixed = ftfy.fix_text(text, _ftfy_config())
    # ftfy only recodes whole sequences; if it would shorten the text by more than the
    # mojibake could explain, something else happened: keep the text as it was.
    return fixed if len(fixed) * 4 >= len(text) else text


@lru_cache(maxsize=1)
def _ftfy_config() -> Any:
    from ftfy import TextFixerConfig

    return TextFixerConfig(
        unescape_html=False,  # done above, also where the text holds a '<'
        remove_terminal_escapes=False,
        fix_encoding=True,
        restore_byte_a0=True,
        replace_lossy_sequences=True,
        decode_inconsistent_utf8=True,
        fix_c1_controls=True,
        fix_latin_ligatures=False,  # 'ﬁ' in a correct text stays
        fix_character_width=False,  # full-width CJK punctuation stays
        uncurl_quotes=False,  # curly quotes are right
        fix_line_breaks=False,  # done by the reader
        fix_surrogates=False,  # removed by the reader
        remove_control_chars=False,  # removed by the reader
        normalization=None,  # correct text keeps its Unicode form
        max_decode_length=1_000_000,
        explain=False,
    )
