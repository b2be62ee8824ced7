"""Cleaning bodies and titles: whitespace, paragraphs, boilerplate, repeated titles.

Boilerplate is only ever removed as whole lines that match anchored patterns (a comment
form line, a share button, a cookie notice), or as a trailing block that starts at a
comment form and holds nothing that reads like an article paragraph. Text that is
article content is never cut out of the middle of a line.
"""

from __future__ import annotations

import re
import unicodedata

from .encoding import SEPARATORS

MAX_TITLE = 300  # a longer first line is a paragraph, not a title
TITLE_FROM_TEXT = 160  # how much of such a paragraph becomes the title


def normalise_line(line: str) -> str:
    """Collapse runs of (Unicode) spaces to one space and strip the line."""
    if line.isprintable() and "  " not in line and line[:1] != " " and line[-1:] != " ":
        return line  # the common case, checked in fast C
    # str.split() splits on every Unicode space (no-break, thin, ideographic...).
    return " ".join(line.split())


def one_line(text: str) -> str:
    """A metadata value (title, name) on one line with normalised spaces."""
    return " ".join(text.split())


def fold_key(line: str) -> str:
    """Comparison key for 'the same title': case, spaces and Unicode form ignored."""
    return "".join(unicodedata.normalize("NFKC", line).casefold().split())


def _casing_score(title: str) -> int:
    """Higher for headline or sentence case; lower for all-lowercase or SHOUTING."""
    first = next((ch for ch in title if ch.isalpha()), "")
    score = 2 if first.isupper() else 0
    for word in title.split():
        if len(word) > 1 and word.isupper():
            score -= 1
        elif word[:1].isupper():
            score += 1
    return score


def better_title(a: str, b: str) -> str:
    """Of two spellings of one title, the properly capitalised one (first wins ties)."""
    return b if _casing_score(b) > _casing_score(a) else a


def title_from_text(line: str) -> str:
    """A title for a record that has none: its first line, shortened at a word if long."""
    line = one_line(line)
    if len(line) <= MAX_TITLE:
        return line
    cut = line.rfind(" ", 0, TITLE_FROM_TEXT)
    return (line[: cut if cut > 40 else TITLE_FROM_TEXT]).rstrip(" ,;:-") + "…"


def _alternatives(*patterns: str) -> re.Pattern[str]:
    return re.compile("(?:" + "|".join(patterns) + ")", re.IGNORECASE)


_SOCIAL = (
    r"facebook|twitter|x|whatsapp|telegram|linkedin|pinterest|reddit|tumblr|pocket|"
    r"e-?mail|print|messenger|flipboard|google\+?|skype|threads|bluesky|mastodon|sms"
)

# Whole lines that are never article content, wherever they appear.
_BOILERPLATE = _alternatives(
    # Share and like widgets.
    r"share( this( article| story| page| post)?)?:?",
    r"(read or )?share this story:? +https?://\S+",
    r"share (on|via|to) (" + _SOCIAL + r")",
    r"(" + _SOCIAL + r"|tweet|pin( it)?|share|copy link|copy|link copied|comments?)",
    r"click to (share on|email|print|share via) .{0,60}\(opens in new window\)",
    r"click to (email (a link to a friend|this to a friend)|print)( \(opens in new window\))?",
    r"like this:?",
    r"like loading\.*",
    r"loading\.*",
    r"be the first to like this\.?",
    r"savesave(save)*",
    # Comment forms (WordPress and the like).
    r"fill in your details below or click an icon to log in:?( logo)?",
    r"you are commenting using your( [\w.]+)? account\..*",
    r"connecting to %s",
    r"(twitter|facebook|google|wordpress\.com|gravatar) (picture|photo|logo|account)",
    r"notify me of (new comments|new posts|follow-up comments).*",
    r"cancel reply",
    # Related-content and read-more labels.
    r"related( (posts|articles|stories|content|coverage|news|links|topics|reading))?:?",
    r"(you (may|might) also like|recommended( for you)?|most (read|popular)):?",
    r"read more( stories| news)?:?|continue reading\.*|read the full (story|article)\.*",
    # Advertising.
    r"advertisement( continue reading the main story)?|continue reading the main story",
    r"(story continues below|scroll (down )?to continue( with content)?).{0,30}",
    r"scroll down for video|sponsored( content)?|ad|ads by .{1,30}",
    r"(photo|video|image|gallery|audio)",
    # Cookie notices.
    r"(this (web)?site|we|our (web)?site) (uses?|places?) cookies\b.{0,300}",
    r"by (continuing|using|browsing) (to (use|browse) )?(this|our) (web)?site,? you .{0,200}"
    r"cookies.{0,200}",
    r"(accept|allow|manage|reject) (all )?cookies|cookie (policy|settings|preferences|notice)",
    r"(i accept|accept|got it!?|ok(ay)?, got it|i agree|agree and close)",
    # Newsletter and subscription prompts.
    r"(sign up|subscribe|register) (for|to) (our|the)( free| daily| weekly)?( \w+)? "
    r"newsletters?\b.{0,150}",
    r"(get|receive) (our|the)( free| daily| weekly)?( \w+)? newsletter.{0,150}",
    r"(subscribe( now| today)?|newsletter|enter your e-?mail( address)?|sign up( now)?)[.!:]?",
    r"keep up with this story and more by subscribing now",
    # Navigation.
    r"skip to (main )?(content|navigation|search|footer)",
    r"(toggle|open|close) (navigation|menu|search)|main menu|menu|search|home|sign in|log ?in",
)

# A line that starts a trailing block of comments or comment form.
_TRAILING_START = _alternatives(
    r"leave a (reply|comment|response)( cancel reply)?",
    r"(post|add|write|submit) (a|your) comment:?",
    r"fill in your details below or click an icon to log in:?( logo)?",
    r"you must be logged in to post a comment.*",
    r"\d+ (thoughts?|comments?|responses?|replies) (on|to) .{0,300}",
    r"comments?( \(\d+\))?:?",
    r"(one|no) (thought|comment|response)s? (on|to) .{0,300}",
)
_RELATED = _alternatives(
    r"related( (posts|articles|stories|content|coverage|news|links|reading))?:?",
    r"(you (may|might) also like|more from .{1,40}|most (read|popular)):?",
)

# Navigation at the very top of a page dump: "Home | News | Sport | Weather".
_NAV_LINE = re.compile(r"^[^|•·»\u203a/]{1,30}(?:\s[|•·»\u203a/]\s[^|•·»\u203a/]{1,30}){2,}$")

# Video-player furniture glued to the start of a paragraph by crawlers (USA Today et al.):
# removed only as this exact leading run, never from inside a sentence.
_WIDGET_PREFIX = re.compile(r"^(?:Skip (?:in \d+ )?Ad (?:Ad )?Loading\.\.\. x Embed x Share )+")

SHORT_LINE = 150  # longer lines read like article paragraphs


MAX_BOILERPLATE_LINE = 400  # longer lines are never boilerplate: skip the regex


def is_boilerplate(line: str) -> bool:
    """Is this (normalised) line a widget, notice or prompt rather than article text?"""
    return len(line) <= MAX_BOILERPLATE_LINE and _BOILERPLATE.fullmatch(line) is not None


def is_leading_boilerplate(line: str) -> bool:
    """Boilerplate that sits above a title: the above, plus navigation bars."""
    return is_boilerplate(line) or (len(line) <= 200 and _NAV_LINE.match(line) is not None)


def _cut_trailing_block(lines: list[str]) -> list[str]:
    """Drop a comment form / comments block and everything after it."""
    total = sum(len(line) for line in lines) or 1
    seen = 0
    for index, line in enumerate(lines):
        if line and len(line) <= 300 and _TRAILING_START.fullmatch(line):
            rest = lines[index + 1 :]
            only_short = all(len(item) <= SHORT_LINE or is_boilerplate(item) for item in rest)
            # Comments can be long paragraphs too; past the middle of the text we trust the marker.
            if (only_short or seen >= total / 2) and any(lines[:index]):
                return lines[:index]
        seen += len(line)
    return lines


def _cut_related_lists(lines: list[str]) -> list[str]:
    """'Related' followed by nothing but short link titles, at the end: drop the list."""
    for index, line in enumerate(lines):
        if line and _RELATED.fullmatch(line):
            rest = [item for item in lines[index + 1 :] if item]
            if all(len(item) <= SHORT_LINE for item in rest) and any(lines[:index]):
                return lines[:index]
    return lines


def _is_hard_wrapped(block: list[str]) -> bool:
    """Lines of one paragraph wrapped at a fixed width (e-mail, old archives)."""
    if len(block) < 3:
        return False
    body = block[:-1]
    if not all(40 <= len(line) <= 100 for line in body):
        return False
    open_ended = sum(1 for line in body if line[-1] not in '.!?:"”»)')
    return open_ended * 2 >= len(body)


def _has_separators(text: str) -> bool:
    # Substring searches are fast C; a regex scan of a long body is not.
    if text.isascii():
        return "\x0b" in text or "\x0c" in text
    return any(ch in text for ch in "\x0b\x0c\x85\u2028\u2029")


def clean_body(text: str) -> str:
    """The article text with boilerplate removed and paragraphs separated by one blank line."""
    if _has_separators(text):
        text = SEPARATORS.sub("\n", text)
    lines = [normalise_line(line) for line in text.split("\n")]
    if "Embed x Share" in text:
        lines = [_WIDGET_PREFIX.sub("", line) for line in lines]
    lines = _cut_trailing_block(lines)
    lines = _cut_related_lists(lines)
    paragraphs: list[str] = []
    block: list[str] = []

    def flush() -> None:
        if not block:
            return
        if _is_hard_wrapped(block):
            paragraphs.append(" ".join(block))
        else:
            paragraphs.extend(block)
        block.clear()

    for line in lines:
        if not line:
            flush()
        elif len(line) > MAX_BOILERPLATE_LINE or not _BOILERPLATE.fullmatch(line):
            block.append(line)
    flush()
    return unicodedata.normalize("NFC", "\n\n".join(paragraphs))
