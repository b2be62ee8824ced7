"""The query language readers type, parsed into a small tree (pure Python, no Django).

    storm surge          both words (in any order, anywhere in title or body)
    "storm surge"        the words side by side; "storm surge"~5 within 5 words of each other
    storm <-> surge      the same as "storm surge"
    flood OR drought     either (`or` works too); AND binds tighter than OR
    -flood  NOT flood    articles without the word; -"a phrase" works too
    econom*              words starting with econom
    ( ... )              grouping
    title:  body:        a word, phrase or prefix in that field only (title:"dock strike")
    source: tag: language: author:
                         articles of that source, tag, language or author (name or slug,
                         quoted when it has spaces: source:"BBC News")

Any field can be excluded (-title:cranes). Malformed input never fails: an unclosed quote or
bracket, a field with nothing after it and a lone operator are read as the plain words they
contain, so whatever a reader types is searched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Longest query read, and most words, phrases and fields taken from it.
MAX_QUERY_CHARS = 500
MAX_QUERY_ATOMS = 32
# Most positions a proximity search may span ("..."~N).
MAX_SLOP = 100

TEXT_FIELDS = ("title", "body")
FILTER_FIELDS = ("source", "tag", "language", "author")
FIELDS = TEXT_FIELDS + FILTER_FIELDS


@dataclass(frozen=True)
class Word:
    """A word (`prefix`: any word starting with it), in `field` or in title and body."""

    text: str
    field: str | None = None
    prefix: bool = False


@dataclass(frozen=True)
class Phrase:
    """Words in this order, side by side, or within `slop` positions of each other."""

    text: str
    field: str | None = None
    slop: int = 0


@dataclass(frozen=True)
class Filter:
    """Articles of a source, tag, language or author named by `value` (`prefix`: any whose
    name starts with it)."""

    field: str
    value: str
    prefix: bool = False


@dataclass(frozen=True)
class Not:
    child: Node


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


Node = Word | Phrase | Filter | Not | And | Or


def parse(q: str) -> Node | None:
    """The tree of a reader's query, or None when it holds nothing to search for."""
    tokens = _balanced(_lex(q[:MAX_QUERY_CHARS]))
    node, _ = _or_expr(tokens, 0)
    return node


# --- Lexing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Tok:
    kind: str  # "atom", "(", ")", "or", "not", "adj"
    atom: Node | None = None


_FIELD = re.compile(r"(?i)(" + "|".join(FIELDS) + r"):(.*)", re.DOTALL)
_SLOP = re.compile(r"~(\d{1,6})")
_STOP_CHARS = frozenset('()"')


def _lex(q: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    atoms = 0
    pos, n = 0, len(q)
    while pos < n and atoms < MAX_QUERY_ATOMS:
        ch = q[pos]
        if ch.isspace():
            pos += 1
        elif ch in "()":
            tokens.append(_Tok(ch))
            pos += 1
        elif ch == "-" and pos + 1 < n and not q[pos + 1].isspace() and q[pos + 1] not in "-)":
            tokens.append(_Tok("not"))
            pos += 1
        elif ch == '"':
            phrase, pos = _quoted(q, pos, None)
            if phrase is not None:
                tokens.append(_Tok("atom", phrase))
                atoms += 1
        else:
            end = pos
            while end < n and not q[end].isspace() and q[end] not in _STOP_CHARS:
                end += 1
            text, pos = q[pos:end], end
            tok, pos = _word_token(q, text, pos)
            if tok is not None:
                tokens.append(tok)
                atoms += tok.kind == "atom"
    return tokens


def _quoted(q: str, pos: int, field: str | None) -> tuple[Phrase | None, int]:
    """The phrase starting at the quote at `pos`; an unclosed quote is skipped, so the words
    after it are read as plain words."""
    end = q.find('"', pos + 1)
    if end == -1:
        return None, pos + 1
    text = " ".join(q[pos + 1 : end].split())
    pos = end + 1
    slop = 0
    if match := _SLOP.match(q, pos):
        slop = min(int(match[1]), MAX_SLOP)
        pos = match.end()
    return (Phrase(text, field, slop) if text else None), pos


def _word_token(q: str, text: str, pos: int) -> tuple[_Tok | None, int]:
    if text in ("OR", "or", "|", "||"):
        return _Tok("or"), pos
    if text in ("AND", "&&", "&", "+"):
        return None, pos
    if text == "NOT":
        return _Tok("not"), pos
    if text == "<->":
        return _Tok("adj"), pos
    if match := _FIELD.fullmatch(text):
        field, rest = match[1].lower(), match[2]
        if rest:
            return _Tok("atom", _field_atom(field, rest)), pos
        if pos < len(q) and q[pos] == '"':
            phrase, after = _quoted(q, pos, field)
            if phrase is not None:
                return _Tok("atom", _field_phrase(field, phrase)), after
        # "title:" with nothing after it: the plain word.
        return _Tok("atom", Word(match[1])), pos
    text = text.lstrip("+")
    prefix = text.endswith("*")
    text = text.rstrip("*")
    if not any(ch.isalnum() for ch in text):
        return None, pos  # "*", "-", "&": nothing to search for
    return _Tok("atom", Word(text, prefix=prefix)), pos


def _field_atom(field: str, text: str) -> Node:
    prefix = text.endswith("*") and len(text.rstrip("*")) > 0
    value = text.rstrip("*") if prefix else text
    if field in FILTER_FIELDS:
        return Filter(field, value, prefix)
    return Word(value, field, prefix)


def _field_phrase(field: str, phrase: Phrase) -> Node:
    if field in FILTER_FIELDS:
        return Filter(field, phrase.text)
    return Phrase(phrase.text, field, phrase.slop)


def _balanced(tokens: list[_Tok]) -> list[_Tok]:
    """The tokens, without any brackets when they do not pair up (read as plain words)."""
    depth = 0
    for tok in tokens:
        if tok.kind == "(":
            depth += 1
        elif tok.kind == ")":
            depth -= 1
            if depth < 0:
                break
    if depth == 0:
        return tokens
    return [tok for tok in tokens if tok.kind not in "()"]


# --- Parsing ------------------------------------------------------------------------------


def _or_expr(tokens: list[_Tok], i: int) -> tuple[Node | None, int]:
    branches: list[Node] = []
    while i < len(tokens) and tokens[i].kind != ")":
        if tokens[i].kind == "or":
            i += 1  # a dangling OR (first, last, doubled) joins nothing
            continue
        node, i = _and_expr(tokens, i)
        if node is not None:
            branches.append(node)
    return _join(Or, branches), i


def _and_expr(tokens: list[_Tok], i: int) -> tuple[Node | None, int]:
    parts: list[Node] = []
    while i < len(tokens) and tokens[i].kind not in ("or", ")"):
        node, i = _unary(tokens, i)
        if node is not None:
            parts.append(node)
    return _join(And, parts), i


def _unary(tokens: list[_Tok], i: int) -> tuple[Node | None, int]:
    if tokens[i].kind == "not":
        if i + 1 >= len(tokens) or tokens[i + 1].kind in ("or", ")", "not"):
            return None, i + 1  # nothing to exclude
        node, i = _unary(tokens, i + 1)
        return (Not(node) if node is not None else None), i
    return _primary(tokens, i)


def _primary(tokens: list[_Tok], i: int) -> tuple[Node | None, int]:
    tok = tokens[i]
    if tok.kind == "(":
        node, i = _or_expr(tokens, i + 1)
        return node, i + 1  # past the ")" (brackets are balanced)
    if tok.kind == "adj":
        return None, i + 1  # nothing before it to join
    assert tok.atom is not None
    node, i = tok.atom, i + 1
    # a <-> b <-> c: one phrase of plain words.
    while (
        i + 1 < len(tokens)
        and tokens[i].kind == "adj"
        and tokens[i + 1].kind == "atom"
        and _phrase_part(node) is not None
        and _phrase_part(tokens[i + 1].atom) is not None
    ):
        node = Phrase(f"{_phrase_part(node)} {_phrase_part(tokens[i + 1].atom)}")
        i += 2
    return node, i


def _phrase_part(node: Node | None) -> str | None:
    if isinstance(node, Word) and node.field is None and not node.prefix:
        return node.text
    if isinstance(node, Phrase) and node.field is None and node.slop == 0:
        return node.text
    return None


def _join(kind: type[And] | type[Or], nodes: list[Node]) -> Node | None:
    if not nodes:
        return None
    return nodes[0] if len(nodes) == 1 else kind(tuple(nodes))
