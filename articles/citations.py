"""How to cite an article: APA, MLA and Chicago text, BibTeX and RIS records, and the
machine-readable descriptions (citation_* and Dublin Core meta tags, schema.org JSON-LD).

Every value comes from an imported dump, so the HTML forms escape it (format_html) and the
JSON-LD escapes the characters that could end its script element.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

# Citation styles are English styles: their month names stay English in every interface.
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# MLA abbreviates months longer than four letters.
MLA_MONTHS = (
    "Jan.",
    "Feb.",
    "Mar.",
    "Apr.",
    "May",
    "June",
    "July",
    "Aug.",
    "Sept.",
    "Oct.",
    "Nov.",
    "Dec.",
)


@dataclass(frozen=True)
class Citable:
    """What a citation needs from an article."""

    id: int
    title: str
    source: str  # the outlet; "" when unknown
    published: datetime | None
    modified: datetime | None
    language: str
    url: str  # the original http(s) address, else the archive's page
    page_url: str  # the archive's page (canonical)
    accessed: date
    keywords: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()  # display names, in byline order


def citable(
    article: Any,
    page_url: str,
    accessed: date,
    keywords: tuple[str, ...] = (),
    authors: tuple[str, ...] = (),
) -> Citable:
    """A Citable for a stored article, shown at `page_url` and read on `accessed`."""
    return Citable(
        id=article.pk,
        title=_one_line(article.title),
        source=_one_line(article.source.name) if article.source else "",
        published=article.published_at,
        modified=getattr(article, "updated_at", None),
        language=article.language or "",
        url=article.original_link() or page_url,
        page_url=page_url,
        accessed=accessed,
        keywords=keywords,
        authors=tuple(_one_line(a) for a in authors if a.strip()),
    )


def _split_name(name: str) -> tuple[str, str]:
    """(family name, given names) of a display name: the last word is taken for the family
    name ("Jane Q. Smith" -> Smith, Jane Q.); a one-word name is all family name."""
    words = name.split()
    if len(words) < 2:
        return name, ""
    return words[-1], " ".join(words[:-1])


def _inverted(name: str) -> str:
    """Smith, Jane."""
    family, given = _split_name(name)
    return f"{family}, {given}" if given else family


def _apa_name(name: str) -> str:
    """Smith, J. Q. (family name, initials)."""
    family, given = _split_name(name)
    initials = " ".join(f"{w[0]}." for w in given.replace("-", " ").split() if w[0].isalpha())
    return f"{family}, {initials}" if initials else family


def _apa_authors(names: tuple[str, ...]) -> str:
    """APA 7: up to 20 names, the last after "&"."""
    parts = [_apa_name(n) for n in names[:20]]
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + ", & " + parts[-1]


def _mla_authors(names: tuple[str, ...]) -> str:
    """MLA 9: one name inverted; two as "Smith, Jane, and John Doe"; three or more "et al."."""
    if len(names) == 1:
        return _inverted(names[0])
    if len(names) == 2:
        return f"{_inverted(names[0])}, and {names[1]}"
    return f"{_inverted(names[0])}, et al"


def _chicago_authors(names: tuple[str, ...]) -> str:
    """Chicago 17 bibliography: the first name inverted, the others as written."""
    if len(names) == 1:
        return _inverted(names[0])
    if len(names) == 2:
        return f"{_inverted(names[0])}, and {names[1]}"
    return _inverted(names[0]) + ", " + ", ".join(names[1:-1]) + ", and " + names[-1]


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _end(text: str) -> str:
    """`text` ending with one full stop (a title ending in ? or ! keeps its own mark)."""
    return text if text[-1:] in ".?!" else text + "."


def apa(c: Citable) -> SafeString:
    """APA 7 for a news article: its authors first, else its title."""
    when = (
        f"{c.published.year}, {MONTHS[c.published.month - 1]} {c.published.day}"
        if c.published
        else "n.d."
    )
    if c.authors:
        by = _end(_apa_authors(c.authors))
        if c.source:
            return format_html(
                "{} ({}). {} <i>{}</i>. {}", by, when, _end(c.title), c.source, c.url
            )
        return format_html("{} ({}). {} {}", by, when, _end(c.title), c.url)
    if c.source:
        return format_html("{} ({}). <i>{}</i>. {}", _end(c.title), when, c.source, c.url)
    return format_html("{} ({}). {}", _end(c.title), when, c.url)


def mla(c: Citable) -> SafeString:
    """MLA 9: title in quotation marks, container in italics, date, address, access date."""
    parts: list[SafeString] = []
    if c.authors:
        parts.append(format_html("{}", _end(_mla_authors(c.authors))))
    parts.append(format_html("“{}”", _end(c.title)))
    tail: list[str] = []
    if c.published:
        tail.append(f"{c.published.day} {MLA_MONTHS[c.published.month - 1]} {c.published.year}")
    tail.append(c.url)
    accessed = f"{c.accessed.day} {MLA_MONTHS[c.accessed.month - 1]} {c.accessed.year}"
    if c.source:
        parts.append(format_html("<i>{}</i>,", c.source))
    parts.append(format_html("{}. Accessed {}.", ", ".join(tail), accessed))
    return mark_safe(" ".join(parts))  # noqa: S308 -- each part is format_html's


def chicago(c: Citable) -> SafeString:
    """Chicago 17 (bibliography), a news article: its authors first when it names them."""
    when = (
        f"{MONTHS[c.published.month - 1]} {c.published.day}, {c.published.year}."
        if c.published
        else "n.d."
    )
    if c.source:
        cited = format_html("“{}” <i>{}</i>, {} {}.", _end(c.title), c.source, when, c.url)
    else:
        cited = format_html("“{}” {} {}.", _end(c.title), when, c.url)
    if c.authors:
        return format_html("{} {}", _end(_chicago_authors(c.authors)), cited)
    return cited


def _bibtex_value(text: str) -> str:
    """A BibTeX field value: LaTeX's special characters escaped, braces balanced."""
    special = {
        "\\": r"\textbackslash{}",
        "{": r"\{",
        "}": r"\}",
        "%": r"\%",
        "&": r"\&",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
    return "".join(special.get(ch, ch) for ch in _one_line(text))


def bibtex(c: Citable) -> str:
    """A BibTeX record (@article, the outlet as journal), UTF-8."""
    fields = [("title", "{" + _bibtex_value(c.title) + "}")]
    if c.authors:
        names = " and ".join(
            "{" + _bibtex_value(n) + "}" if not _split_name(n)[1] else _bibtex_value(_inverted(n))
            for n in c.authors
        )
        fields.append(("author", names))
    if c.source:
        fields.append(("journal", _bibtex_value(c.source)))
    if c.published:
        fields += [
            ("year", str(c.published.year)),
            ("month", MONTHS[c.published.month - 1][:3].lower()),
            ("day", str(c.published.day)),
        ]
    fields += [("url", c.url), ("urldate", c.accessed.isoformat())]
    if c.language:
        fields.append(("language", c.language))
    fields.append(("note", f"Newsarchive: {c.page_url}"))
    body = ",\n".join(
        f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}"
        for name, value in fields
    )
    return f"@article{{newsarchive{c.id},\n{body}\n}}\n"


def ris(c: Citable) -> str:
    """An RIS record (TY NEWS) with CRLF line ends, as reference managers expect."""
    lines = [("TY", "NEWS"), ("TI", c.title)]
    lines += [("AU", _inverted(name)) for name in c.authors]
    if c.source:
        lines.append(("T2", c.source))
    if c.published:
        lines += [("PY", str(c.published.year)), ("DA", c.published.strftime("%Y/%m/%d"))]
    lines += [("UR", c.url), ("Y2", c.accessed.strftime("%Y/%m/%d"))]
    if c.language:
        lines.append(("LA", c.language))
    lines += [("KW", keyword) for keyword in c.keywords]
    lines += [("N1", f"Newsarchive: {c.page_url}"), ("ER", "")]
    return "".join(f"{tag}  - {_one_line(value)}\r\n" for tag, value in lines)


def meta_tags(c: Citable) -> list[tuple[str, str]]:
    """`<meta name content>` pairs: Highwire's citation_* (read by scholarly indexers and
    reference managers) and Dublin Core."""
    tags = [("citation_title", c.title)]
    tags += [("citation_author", name) for name in c.authors]
    if c.source:
        tags.append(("citation_journal_title", c.source))
        tags.append(("citation_publisher", c.source))
    if c.published:
        tags.append(("citation_publication_date", c.published.strftime("%Y/%m/%d")))
    if c.language:
        tags.append(("citation_language", c.language))
    tags.append(("citation_public_url", c.page_url))
    tags.append(("DC.title", c.title))
    tags.append(("DC.type", "Text"))
    tags += [("DC.creator", name) for name in c.authors]
    if c.source:
        tags.append(("DC.publisher", c.source))
    if c.published:
        tags.append(("DC.date", c.published.date().isoformat()))
    if c.language:
        tags.append(("DC.language", c.language))
    tags.append(("DC.identifier", c.page_url))
    if c.url != c.page_url:
        tags.append(("DC.source", c.url))
    return tags


# What json.dumps leaves that could end or confuse the script element holding it.
_JSON_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def json_ld(c: Citable) -> SafeString:
    """The schema.org NewsArticle description, as the text of a JSON-LD data block."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": c.title,
        "url": c.page_url,
        "mainEntityOfPage": c.page_url,
    }
    if c.authors:
        data["author"] = [{"@type": "Person", "name": name} for name in c.authors]
    if c.published:
        data["datePublished"] = c.published.isoformat()
    if c.modified:
        data["dateModified"] = c.modified.isoformat()
    if c.language:
        data["inLanguage"] = c.language
    if c.source:
        data["publisher"] = {"@type": "Organization", "name": c.source}
    if c.url != c.page_url:
        data["isBasedOn"] = c.url
    if c.keywords:
        data["keywords"] = list(c.keywords)
    text = json.dumps(data, ensure_ascii=False).translate(_JSON_ESCAPES)
    return mark_safe(text)  # noqa: S308 -- JSON with <, > and & escaped
