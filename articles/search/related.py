"""Related articles: more like this, from the index.

The article's own title and body (from PostgreSQL: the index stores no text) become a
query of its most telling words, each weighed by how often it occurs there and how rare it
is in the archive (tantivy's MoreLikeThis), in the fields of the article's language; each
tag an article shares with it adds a little, so articles of the same tags come next even
with no words in common. Untagged articles get related articles too, in any language.
"""

from __future__ import annotations

from typing import Any

from tantivy import Occur, Query

from . import analysis
from .index import SearchUnavailable, searcher
from .schema import schema, text_field
from .searcher import fetch_articles

# The body is read this far for its telling words.
MLT_BODY_CHARS = 20_000
# How many of them make the query.
MLT_TERMS = 25
# A word in more than this share of the archive's articles tells nothing.
MLT_MAX_SHARE = 0.2
TAG_BOOST = 0.5
MAX_TAGS = 20


def related_articles(article: Any, tag_ids: list[int], limit: int = 5) -> list[Any]:
    """Up to `limit` visible articles most like `article`, best first."""
    try:
        s = searcher()
    except SearchUnavailable:
        return []
    name = analysis.analyzer_for(article.language)
    fields = {text_field(name): [article.title, (article.body or "")[:MLT_BODY_CHARS]]}
    like = Query.more_like_this_document_fields_query(
        schema(),
        fields,
        min_doc_frequency=2,
        max_doc_frequency=max(10, int(s.num_docs * MLT_MAX_SHARE)),
        min_term_frequency=1,
        max_query_terms=MLT_TERMS,
        min_word_length=3,
        max_word_length=40,
    )
    # Either like it in words, or sharing tags (each shared tag adds a little).
    clauses = [(Occur.Should, like)]
    for pk in tag_ids[:MAX_TAGS]:
        tagged = Query.term_query(schema(), "tag", pk)
        clauses.append((Occur.Should, Query.const_score_query(tagged, TAG_BOOST)))
    # The article itself and hidden ones (few) are dropped from a longer list afterwards:
    # excluding them in the query cost a third of its time on 1,000,000 articles.
    found = s.search(Query.boolean_query(clauses), 2 * limit + 1, count=False)
    addresses = [address for _, address in found.hits]
    if not addresses:
        return []
    ids = [
        int(pk)
        for pk in s.fast_field_values("id", addresses)
        if pk is not None and pk != article.pk
    ]
    # Only as many rows as are shown are read, unless hidden ones were among them: on an
    # article page read for the first time, each row read costs.
    shown = fetch_articles(ids[:limit], snippets=False)
    if len(shown) < limit:
        shown += fetch_articles(ids[limit:], snippets=False)
    return shown[:limit]
