"""Web pages: one article per HTML page, its main text found by trafilatura.

Trafilatura separates the article from the page around it (navigation, cookie banners,
share bars, related links, comments) and reads the metadata (title, authors, date, site
name). On top of it we decode the bytes ourselves (the HTTP or <meta> charset first),
take the headline as the page shows it (its <h1>, not the <title> with the site's name
glued on), and keep one paragraph per block, separated by one blank line.

`parse_page` is what a worker process runs (see `pool.py`): bytes in, a finished
ParsedArticle or a RecordError out.
"""

from __future__ import annotations

import codecs
import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from . import clean, dates, encoding, fields, language, limits
from .records import SKIPPED, ParsedArticle, ParseOptions, RecordError

SNIFF = 1024
MIN_PARAGRAPH = 40  # characters: a page whose every line is shorter holds links, not an article

_NO_TEXT = "no article text found in the page (only navigation or boilerplate)"
_BLANK = "the page has no text"
# The extractor's own log lines ("discarding data: None") would reach the user's terminal;
# what went wrong with a page is reported as its RecordError instead.
_QUIET_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext")
_HTML_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
    rb"(?:<!doctype\s+html|<html[\s>]|<head[\s>])",
    re.IGNORECASE | re.DOTALL,
)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE
)
# Between a headline and the site's name in a <title>: "Headline - Site", "Site | Headline".
_TITLE_SEPARATORS = re.compile(r"\s+[-|\u2013\u2014:·•»/]+\s+|\s*[|·•»]\s*")
_WORD = re.compile(r"\w+")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_AUTHOR_SPLIT = re.compile(r"\s*;\s*|\s+(?:and|&)\s+")


@dataclass(frozen=True)
class PageJob:
    """One page to extract: raw bytes and what the container knew about them."""

    data: bytes
    origin: str
    ctx: dates.DateContext
    line: int | None = None
    url: str | None = None
    captured: str | None = None  # when a crawler fetched it: a WARC record's WARC-Date
    charset: str | None = None  # from an HTTP Content-Type header
    tags: tuple[str, ...] = ()  # added to the article (the folder's name)


def looks_like_html(head: bytes) -> bool:
    """Does the file start like an HTML document (doctype, <html> or <head>)?"""
    return _HTML_START.match(head[:SNIFF]) is not None


def too_large(origin: str, line: int | None = None) -> RecordError:
    """The error for a page over limits.MAX_PAGE."""
    return RecordError(
        origin,
        f"page over the limit of {limits.MAX_PAGE >> 20} MB: not read",
        line,
        code="too-large",
    )


def iter_pages(
    stream: IO[bytes], origin: str, ctx: dates.DateContext, tags: tuple[str, ...] = ()
) -> Iterator[PageJob | RecordError]:
    """The one page an .html file holds, as a job for the extractor."""
    data = stream.read(limits.MAX_PAGE + 1)
    if len(data) > limits.MAX_PAGE:
        yield too_large(origin)
        return
    yield PageJob(data, origin, ctx, tags=tags)


# -- decoding ------------------------------------------------------------------------------


def decode_page(data: bytes, charset: str | None = None) -> str:
    """The page as text: BOM, then the HTTP charset, then <meta charset>, then a guess."""
    bom = encoding.bom_encoding(data)
    if bom is not None:
        return data[bom[1] :].decode(bom[0], errors="replace")
    for candidate in (charset, _declared_charset(data)):
        codec = _codec(candidate)
        if codec is None:
            continue
        if codec == "utf-8":
            # Pages declared UTF-8 that are not quite are common; stray bytes are cp1252.
            return data.decode("utf-8", errors=encoding.FALLBACK_ERRORS)
        return data.decode(codec, errors="replace")
    return encoding.decode(data)


def _declared_charset(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:4096])
    return match.group(1).decode("ascii", errors="replace") if match else None


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip().strip("\"'").lower()).name
    except LookupError:
        return None
    # Browsers read Latin-1 and ASCII labels as Windows-1252, and so do we.
    if codec in ("latin-1", "iso8859-1", "ascii"):
        return "cp1252"
    return "utf-8" if codec == "utf-8-sig" else codec


# -- extraction ----------------------------------------------------------------------------


def _folded_words(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def _text_of(element: Any) -> str:
    return " ".join(element.text_content().split())


def _segments(title: str) -> list[str]:
    return [part.strip() for part in _TITLE_SEPARATORS.split(title) if part.strip()]


def _content_words(text: str) -> set[str]:
    return {word for word in _WORD.findall(text.casefold()) if len(word) > 3}


def _headline(title: str, tree: Any, sitename: str) -> str:
    """The headline as the page shows it, not the title written for search engines.

    That is the first <h1> that shares a word with the page's titles (a related story's
    <h1> shares none) and is not the site's name; failing that, the metadata title less
    the site's name ("Headline - Site", "Site | Headline").
    """
    titles = [title, *tree.xpath('//meta[@property="og:title"]/@content')[:1]]
    titles += [tree.findtext(".//title") or ""]
    titles = [" ".join(str(t).split()) for t in titles if t and str(t).strip()]
    # Short parts of a title beside a longer one are the site's name, as is the site name.
    names = {_folded_words(sitename)} - {""}
    words: set[str] = set()
    for text in titles:
        parts = _segments(text) or [text]
        longest = max(parts, key=len)
        names.update(_folded_words(part) for part in parts if part != longest)
        words |= _content_words(longest)
    rejected: set[str] = set()
    for element in tree.iterfind(".//h1"):
        heading = _text_of(element)
        if not heading or len(heading) > clean.MAX_TITLE or _folded_words(heading) in names:
            continue
        if _content_words(heading) & words:
            return heading
        rejected.add(_folded_words(heading))
    if _folded_words(title) in rejected and titles[-1] != title:
        # The metadata title was an <h1> unlike the page's <title> (a logo): use the latter.
        title = titles[-1]
    return _without_site(title, names)


def _without_site(title: str, names: set[str]) -> str:
    parts = _segments(title)
    if len(parts) < 2:
        return title
    if _folded_words(parts[-1]) in names:
        return _span(title, parts[0], parts[-2])
    if _folded_words(parts[0]) in names:
        return _span(title, parts[1], parts[-1])
    return title


def _span(title: str, first: str, last: str) -> str:
    start = title.find(first)
    end = title.rfind(last) + len(last)
    return title[start:end].strip() if 0 <= start < end else title


def _reads_like_text(body: str) -> bool:
    """Some paragraph is a sentence, not a menu item ("News", "Sport", "Contact us")."""
    return any(len(paragraph) >= MIN_PARAGRAPH for paragraph in body.split("\n\n"))


def _paragraphs(text: str) -> str:
    """Trafilatura's lines as paragraphs separated by one blank line."""
    return "\n\n".join(line.strip() for line in text.split("\n") if line.strip())


def _declared_language(tree: Any) -> str:
    values = tree.xpath("/html/@lang | /html/@xml:lang")
    values += tree.xpath('//meta[@http-equiv="content-language" or @property="og:locale"]/@content')
    for value in values:
        code = language.normalise_language(str(value).split(",")[0])
        if code:
            return code
    return ""


def _authors(value: str | None) -> list[str]:
    if not value:
        return []
    return [name for name in _AUTHOR_SPLIT.split(value) if name.strip()]


def _date_params(captured: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {
        "original_date": True,
        "extensive_search": True,
        "outputformat": "%Y-%m-%dT%H:%M:%S%z",
    }
    moment = _iso_moment(captured)
    if moment is not None and moment.year >= dates.MIN_YEAR:
        # A page cannot have been published after it was fetched.
        params["max_date"] = moment.strftime("%Y-%m-%d")
    return params


def _iso_moment(value: str | None) -> datetime | None:
    """A WARC-Date (ISO 8601, W3C profile) as a datetime, or None."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None


def _metadata(tree: Any, url: str | None, date_params: dict[str, Any]) -> Any:
    """Trafilatura's metadata steps less those for what we do not store (categories, tags,
    licence): they took a tenth of a page's extraction time."""
    from htmldate import find_date
    from trafilatura import metadata

    document = metadata.examine_meta(tree)
    if document.author and " " not in document.author:
        document.author = None  # a one-word "author" is a handle or a section
    with contextlib.suppress(Exception):  # malformed JSON-LD: the other sources remain
        document = metadata.extract_meta_json(tree, document)
    document.title = document.title or metadata.extract_title(tree)
    document.author = document.author or metadata.extract_author(tree)
    document.url = document.url or metadata.extract_url(tree, url)
    document.date = find_date(tree, url=document.url, **date_params)
    document.sitename = document.sitename or metadata.extract_sitename(tree)
    if document.sitename:
        document.sitename = document.sitename.lstrip("@")
        if "." not in document.sitename and not document.sitename[0].isupper():
            document.sitename = document.sitename.title()
    elif document.url and (match := metadata.META_URL.match(document.url)):
        document.sitename = match[1]
    document.clean_and_trim()
    return document


def _quiet() -> None:
    for name in _QUIET_LOGGERS:
        logger = logging.getLogger(name)
        if not logger.disabled:
            logger.disabled = True


def page_draft(job: PageJob) -> fields.Draft | RecordError:
    """Extract one page: its main text and metadata, or why it holds no article."""
    import trafilatura
    from trafilatura.utils import load_html

    _quiet()

    # NUL and other control characters make lxml refuse the page; the text keeps the rest.
    text = _CONTROLS.sub("", decode_page(job.data, job.charset))
    if not text.strip():
        return RecordError(job.origin, "empty page", job.line, SKIPPED, "no-text")
    tree = load_html(text)
    if tree is None:
        return RecordError(job.origin, "not a readable HTML page", job.line, code="unreadable")
    # The extractor works on its own copy of the tree; ours stays whole for the metadata.
    document: Any = trafilatura.bare_extraction(
        tree, url=job.url, fast=True, favor_recall=True, include_comments=False, include_tables=True
    )
    # Entities typed twice and mojibake are repaired as in every other format.
    body = encoding.clean_text(_paragraphs(document.text or "")) if document is not None else ""
    if document is None or not _reads_like_text(body):
        if not "".join(tree.itertext()).strip():
            return RecordError(job.origin, _BLANK, job.line, SKIPPED, "no-text")
        return RecordError(job.origin, _NO_TEXT, job.line, SKIPPED, "only-boilerplate")
    meta = _metadata(tree, job.url, _date_params(job.captured))
    draft = fields.Draft(origin=job.origin, line=job.line)
    sitename = encoding.clean_text(meta.sitename or "")
    draft.title = encoding.clean_text(
        _headline(encoding.clean_text(meta.title or ""), tree, sitename)
    )
    draft.body = body
    draft.date = meta.date or None
    draft.date_field = "date"
    draft.url = job.url or meta.url or ""
    draft.source = sitename
    # The text's own language first: templates often declare "en" whatever the page says.
    draft.language = language.detect_language(body) or _declared_language(tree)
    draft.authors = _authors(encoding.clean_text(meta.author or ""))
    # Read, checked and kept apart from the publication date by fields.finish.
    draft.captured = job.captured
    draft.captured_field = "warc-date"
    return draft


def parse_page(job: PageJob, options: ParseOptions) -> ParsedArticle | RecordError:
    """A page job to a finished article (what the worker processes run)."""
    try:
        draft = page_draft(job)
        if isinstance(draft, RecordError):
            return draft
        # Its date is ISO 8601 (htmldate's), so the dump's numeric date order plays no part.
        return fields.finish(draft, options, job.ctx, extra_tags=job.tags)
    except Exception as error:  # one odd page must not end the import
        return RecordError(
            job.origin,
            f"internal parser error: {type(error).__name__}: {error}",
            job.line,
            code="internal-error",
        )


# -- HTML fragments (feed entries, e-mail parts) ----------------------------------------------

# fmt: off
_BLOCKS = frozenset((
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
    "tr", "table", "section", "article", "header", "footer", "figure", "figcaption", "dd", "dt",
    "hr", "address",
))
# fmt: on
_SKIP = frozenset(("script", "style", "noscript", "template", "head", "title"))
_BREAK = "\x00"  # between blocks; line breaks inside a block's text are only spaces


def fragment_text(html: str) -> str:
    """The text of an HTML fragment, one paragraph per block element."""
    import lxml.html
    from lxml import etree

    if not html.strip():
        return ""
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return clean.one_line(html)
    parts: list[str] = []

    def walk(element: Any) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag.lower() in _SKIP:
            if element.tail:
                parts.append(element.tail)
            return
        block = tag.lower() in _BLOCKS
        if block:
            parts.append(_BREAK)
        if element.text and tag:
            parts.append(element.text)
        for child in element:
            walk(child)
        if block:
            parts.append(_BREAK)
        if element.tail:
            parts.append(element.tail)

    walk(root)
    lines = (" ".join(line.split()) for line in "".join(parts).split(_BREAK))
    return "\n\n".join(line for line in lines if line)
