"""RSS and Atom feeds with full text: one article per entry."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.factories import (
    only_article,
    parse_dump,
    parse_errors,
    parse_paths,
    parsed_articles,
    write_dump,
)

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>The Coastal Gazette</title>
<link>https://gazette.example.com/</link>
<language>en-gb</language>
<item>
<title>Harbour bridge reopens</title>
<link>https://gazette.example.com/news/bridge</link>
<pubDate>Thu, 04 Mar 2021 09:30:00 +0100</pubDate>
<dc:creator>Maria Lindqvist</dc:creator>
<category>Transport</category><category>City</category>
<description>A teaser that the full text replaces.</description>
<content:encoded><![CDATA[<p>The harbour bridge reopened to traffic on Thursday morning.</p>
<p>City officials said the repairs cost <b>48 million</b> euros.</p>
<script>alert("no")</script>]]></content:encoded>
</item>
<item>
<title>Ferry timetable changes</title>
<link>https://gazette.example.com/news/ferry</link>
</item>
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">
<title>La Gazette du Port</title>
<entry>
<title>Le pont rouvre</title>
<link href="https://gazette.example.fr/pont"/>
<published>2021-03-04T09:30:00+01:00</published>
<author><name>Marie Dupont</name><email>marie@example.fr</email></author>
<category term="transports"/>
<summary type="html">&lt;p&gt;Le pont du port a rouvert jeudi matin, après deux ans de
travaux sur les câbles.&lt;/p&gt;</summary>
</entry>
</feed>
"""


def test_each_rss_entry_with_text_is_an_article(tmp_path):
    records = parse_dump(tmp_path, "gazette.rss", RSS)
    [article] = parsed_articles(records)
    assert article.title == "Harbour bridge reopens"
    assert article.body == (
        "The harbour bridge reopened to traffic on Thursday morning.\n\n"
        "City officials said the repairs cost 48 million euros."
    )
    assert article.url == "https://gazette.example.com/news/bridge"
    assert article.published_at == datetime(2021, 3, 4, 8, 30, tzinfo=UTC)
    assert article.authors == ("Maria Lindqvist",)
    assert article.tags == ("Transport", "City")
    assert article.source == "The Coastal Gazette"
    assert article.language == "en"
    assert article.origin == f"{tmp_path / 'gazette.rss'}#1"


def test_an_entry_without_full_text_is_reported(tmp_path):
    records = parse_dump(tmp_path, "gazette.rss", RSS)
    assert [(str(e), e.kind, e.code) for e in parse_errors(records)] == [
        (
            f"{tmp_path / 'gazette.rss'}#2: entry 'Ferry timetable changes' has no text "
            "(the feed carries only titles and links)",
            "skipped",
            "no-text",
        )
    ]


def test_an_atom_feed_found_by_its_content(tmp_path):
    article = only_article(parse_dump(tmp_path, "gazette-feed", ATOM))
    assert article.title == "Le pont rouvre"
    assert article.body == (
        "Le pont du port a rouvert jeudi matin, après deux ans de travaux sur les câbles."
    )
    assert article.authors == ("Marie Dupont",)
    assert article.tags == ("transports",)
    assert article.source == "La Gazette du Port"
    assert article.published_at == datetime(2021, 3, 4, 8, 30, tzinfo=UTC)
    assert article.language == "fr"


def test_an_xml_feed_is_read_and_other_xml_is_refused(tmp_path):
    assert only_article(parse_dump(tmp_path, "feed.xml", ATOM)).title == "Le pont rouvre"
    sitemap = '<?xml version="1.0"?>\n<urlset><url><loc>https://a.example/</loc></url></urlset>\n'
    assert [(str(e), e.code) for e in parse_dump(tmp_path, "sitemap.xml", sitemap)] == [
        (
            f"{tmp_path / 'sitemap.xml'}: XML is not an RSS or Atom feed (not an article dump)",
            "unsupported",
        )
    ]


def test_a_broken_feed_is_one_line(tmp_path):
    records = parse_dump(tmp_path, "broken.rss", "<rss><channel><title>Oops</title>")
    assert [e.message for e in records] == ["the feed has no entries"]
    records = parse_dump(tmp_path, "noise.atom", "this is not a feed at all\n")
    assert [e.message for e in records] == [
        "this file is not an RSS or Atom feed (not an article dump)"
    ]


def test_an_entry_goes_through_the_checks_of_every_format(tmp_path):
    feed = RSS.replace("<language>en-gb</language>", "<language>English</language>").replace(
        "<link>https://gazette.example.com/news/bridge</link>",
        "<link>javascript:alert(1)</link>",
    )
    write_dump(tmp_path, "coast/gazette.rss", feed)
    records = parse_paths(tmp_path, tag_from_folder=True)
    [article] = parsed_articles(records)
    assert article.language == "en"
    assert article.url is None
    assert article.tags == ("Transport", "City", "coast")
    assert [(w.kind, w.code) for w in article.warnings] == [("warning", "url-dropped")]
