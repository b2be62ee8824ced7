"""The parser on plain-text dumps: the seed first, then header blocks, front matter, titles,
date lines, sources and boilerplate. Pure Python: no database."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest

from tests.conftest import ROOT, SEED
from tests.factories import only_article, parse_dump, parse_options, parse_paths

# -- the seed ---------------------------------------------------------------------------------


def test_the_seed_gives_exactly_the_article_the_issue_asks_for():
    article = only_article(parse_paths(SEED))
    assert article.title == (
        "In a rare public visit .. Syrian delegation in Baghdad to discuss border security"
    )
    assert article.published_at == datetime(2017, 6, 14, 10, 0, tzinfo=UTC)
    assert article.source == "Twilight News"
    assert article.language == "en"
    assert article.body.startswith("Twilight News Iraqi Defense Ministry")
    assert article.body.endswith("to fight al-Daesh.")
    assert article.url is None
    assert article.origin == str(SEED)


def test_the_seed_body_holds_no_title_date_line_or_comment_form():
    body = only_article(parse_paths(SEED)).body
    lowered = body.lower()
    assert "in a rare public visit" not in lowered
    assert "2 hours ago" not in body
    for junk in ("Leave a Reply", "commenting using", "Connecting to", "Log", "Twitter picture"):
        assert junk not in body
    # Paragraphs are kept, separated by one blank line, with nothing else around them.
    paragraphs = body.split("\n\n")
    assert len(paragraphs) == 8
    assert all(p == p.strip() and "\n" not in p for p in paragraphs)


def test_the_seed_date_counts_back_from_the_files_modification_time(tmp_path):
    copy = tmp_path / "seed.txt"
    copy.write_bytes(SEED.read_bytes())
    moment = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()
    os.utime(copy, (moment, moment))
    article = only_article(parse_paths(copy, reference_time=None))
    assert article.published_at == datetime(2020, 1, 2, 1, 4, 5, tzinfo=UTC)


def test_importing_the_parser_does_not_import_django():
    code = (
        "import sys, articles.ingest as i;"
        f"recs = list(i.iter_records([{str(SEED)!r}], i.ParseOptions()));"
        "assert recs and not isinstance(recs[0], i.RecordError), recs;"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


# -- titles ------------------------------------------------------------------------------------


def test_a_repeated_title_is_folded_ignoring_case_and_spaces(tmp_path):
    text = "breaking:  the  TITLE here\nBreaking: The Title\u00a0Here\n\nThe body text.\n"
    article = only_article(parse_dump(tmp_path, "a.txt", text))
    assert article.title == "Breaking: The Title Here"
    assert article.body == "The body text."


def test_navigation_and_cookie_lines_above_the_title_are_skipped(tmp_path):
    text = (
        "Skip to content\n"
        "Home | News | Sport | Weather\n"
        "We use cookies to give you the best experience on our website.\n"
        "Accept\n\n"
        "The real headline\n\n"
        "The first paragraph of the story.\n"
    )
    article = only_article(parse_dump(tmp_path, "a.txt", text))
    assert article.title == "The real headline"
    assert article.body == "The first paragraph of the story."


def test_a_file_whose_first_line_is_a_paragraph_keeps_it_in_the_body(tmp_path):
    paragraph = "word " * 100 + "end."
    article = only_article(parse_dump(tmp_path, "a.txt", paragraph + "\n\nSecond paragraph.\n"))
    assert article.title.endswith("…")
    assert len(article.title) <= 161
    assert article.body.startswith("word word")
    assert article.body.endswith("Second paragraph.")


def test_the_bbc_layout_title_blank_line_paragraphs(tmp_path):
    text = "Ad sales boost Time Warner profit\n\nQuarterly profits rose.\n\nTimeWarner said so.\n"
    article = only_article(parse_dump(tmp_path, "001.txt", text))
    assert article.title == "Ad sales boost Time Warner profit"
    assert article.body == "Quarterly profits rose.\n\nTimeWarner said so."
    assert article.published_at is None  # no date in the file: none invented
    assert article.source is None


@pytest.mark.parametrize("size", [64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 200_000])
def test_a_long_file_is_read_whole_around_the_first_read(tmp_path, size):
    # The reader decodes its first 64 KiB to choose the format; a file that fits is not
    # decoded again, a longer one is: both must give the whole text, in the right encoding.
    head = "Caf\xe9 owners protest\n\nLe caf\xe9 est ferm\xe9.\n\n"
    tail = "\n\nLast paragraph, caf\xe9 included.\n"
    filler = ("Word " * 15 + "end.\n\n") * (size // 80 + 1)
    text = head + filler
    data = text.encode("cp1252")
    data = data[: size - len(tail)].rsplit(b"\n\n", 1)[0] + tail.encode("cp1252")
    data += b" " * (size - len(data))  # trailing spaces are stripped from the body
    assert len(data) == size
    article = only_article(parse_dump(tmp_path, "long.txt", data))
    assert article.title == "Caf\xe9 owners protest"
    assert article.body.startswith("Le caf\xe9 est ferm\xe9.\n\nWord Word")
    assert article.body.endswith("end.\n\nLast paragraph, caf\xe9 included.")
    assert "\ufffd" not in article.body


def test_a_file_with_only_a_title_is_an_error(tmp_path):
    [error] = parse_dump(tmp_path, "a.txt", "Just a title\n")
    assert "no body text" in error.message


# -- date lines ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2 hours ago", datetime(2017, 6, 14, 10, 0, tzinfo=UTC)),
        ("Updated 3 days ago", datetime(2017, 6, 11, 12, 0, tzinfo=UTC)),
        ("yesterday", datetime(2017, 6, 13, 0, 0, tzinfo=UTC)),
        ("Wednesday, June 14, 2017 9:30 AM EDT", datetime(2017, 6, 14, 13, 30, tzinfo=UTC)),
        ("Published: 14/06/2017", datetime(2017, 6, 14, tzinfo=UTC)),
        ("By Jane Doe | June 14, 2017", datetime(2017, 6, 14, tzinfo=UTC)),
    ],
)
def test_a_date_line_under_the_title_becomes_the_date(tmp_path, line, expected):
    article = only_article(parse_dump(tmp_path, "a.txt", f"Title\n{line}\n\nBody text here.\n"))
    assert article.published_at == expected
    assert article.body == "Body text here."


def test_a_date_only_line_is_midnight_in_the_given_timezone(tmp_path):
    text = "Title\n14/06/2017\n\nBody text here.\n"
    article = only_article(parse_dump(tmp_path, "a.txt", text, timezone="Asia/Riyadh"))
    assert article.published_at == datetime(2017, 6, 13, 21, 0, tzinfo=UTC)


def test_a_byline_is_taken_as_the_author(tmp_path):
    article = only_article(parse_dump(tmp_path, "a.txt", "Title\nBy Jane Doe\n\nBody.\n"))
    assert article.authors == ("Jane Doe",)
    assert article.body == "Body."


def test_a_sentence_with_a_number_under_the_title_stays_in_the_body(tmp_path):
    text = "Title\nThe 25-year-old tested positive in 2004.\n\nMore.\n"
    article = only_article(parse_dump(tmp_path, "a.txt", text))
    assert article.published_at is None
    assert article.body.startswith("The 25-year-old tested positive in 2004.")


# -- header blocks and front matter ------------------------------------------------------------


def test_a_header_block_gives_every_field(tmp_path):
    text = (
        "Title: Hello world\n"
        "Published: Wed, 14 Jun 2017 09:30:00 -0400\n"
        "Outlet: The Daily Planet\n"
        "Link: https://www.planet.example/x\n"
        "Keywords: metropolis, heroes; news\n"
        "By: Lois Lane\n"
        "Language: English\n"
        "\n"
        "Hello world\n\n"
        "Clark Kent was seen downtown.\n"
    )
    article = only_article(parse_dump(tmp_path, "a.txt", text))
    assert article.title == "Hello world"
    assert article.body == "Clark Kent was seen downtown."
    assert article.published_at == datetime(2017, 6, 14, 13, 30, tzinfo=UTC)
    assert article.source == "The Daily Planet"
    assert article.url == "https://www.planet.example/x"
    assert article.tags == ("metropolis", "heroes", "news")
    assert article.authors == ("Lois Lane",)
    assert article.language == "en"


def test_a_headline_with_a_colon_is_not_a_header(tmp_path):
    text = "Brexit: what happens next\n\nThe body.\n"
    assert only_article(parse_dump(tmp_path, "a.txt", text)).title == "Brexit: what happens next"
    text = "Source: leaked memo shows plans\n\nThe body.\n"
    article = only_article(parse_dump(tmp_path, "b.txt", text))
    assert article.title == "Source: leaked memo shows plans"
    assert article.source is None


def test_yaml_front_matter(tmp_path):
    text = (
        "---\n"
        'title: "Front matter title"\n'
        "date: 2017-06-14T09:30:00+03:00\n"
        "tags: [alpha, beta]\n"
        "categories: gamma\n"
        "author: Jane Doe\n"
        "lang: fr-FR\n"
        "draft: false\n"
        "---\n\n"
        "Le texte de l'article est ici.\n"
    )
    article = only_article(parse_dump(tmp_path, "post.md", text))
    assert article.title == "Front matter title"
    assert article.published_at == datetime(2017, 6, 14, 6, 30, tzinfo=UTC)
    assert article.tags == ("alpha", "beta")  # 'tags' outranks 'categories'
    assert article.authors == ("Jane Doe",)
    assert article.language == "fr"
    assert article.body == "Le texte de l'article est ici."


def test_yaml_front_matter_date_only_is_midnight_in_the_timezone(tmp_path):
    text = "---\ntitle: T\ndate: 2017-06-14\n---\nBody.\n"
    article = only_article(parse_dump(tmp_path, "p.md", text, timezone="America/New_York"))
    assert article.published_at == datetime(2017, 6, 14, 4, 0, tzinfo=UTC)


def test_broken_yaml_front_matter_is_reported_with_its_line(tmp_path):
    text = "---\ntitle: [unclosed\ndate: x\n---\nBody.\n"
    [error] = parse_dump(tmp_path, "p.md", text)
    assert "invalid YAML front matter" in error.message
    assert error.line is not None
    assert str(error).startswith(str(tmp_path / "p.md") + ":")


# -- sources ------------------------------------------------------------------------------------


def test_a_known_source_at_the_start_of_the_body_names_the_outlet(tmp_path):
    text = "Title\n\nal-monitor reports that talks resumed.\n"
    article = only_article(
        parse_dump(tmp_path, "a.txt", text, known_sources=frozenset({"Al-Monitor", "BBC"}))
    )
    assert article.source == "Al-Monitor"


def test_a_known_source_must_end_at_a_word_boundary(tmp_path):
    text = "Title\n\nBBCX is a made-up company.\n"
    article = only_article(parse_dump(tmp_path, "a.txt", text, known_sources=frozenset({"BBC"})))
    assert article.source is None


@pytest.mark.parametrize(
    ("first", "source"),
    [
        ("TOKYO (Reuters) - Prime Minister Abe said", "Reuters"),
        ("WASHINGTON (AP) \u2014 The Senate voted", "AP"),
        ("Iraqi News Agency: the minister said", "Iraqi News Agency"),
        ("Chelsea have sacked Adrian Mutu", None),
        ("BBC News has learned that", None),
        ("The World Anti-Doping Agency (Wada) said", None),
        ("Fox News anchor Tucker Carlson said", None),
    ],
)
def test_an_outlet_leading_the_first_paragraph(tmp_path, first, source):
    article = only_article(parse_dump(tmp_path, "a.txt", f"Title\n\n{first} something.\n"))
    assert article.source == source


def test_forced_source_wins_over_everything(tmp_path):
    article = only_article(parse_paths(SEED, source="Forced"))
    assert article.source == "Forced"


def test_option_tags_are_added_to_every_article(tmp_path):
    text = "Title: T\nTags: One, two\n\nBody.\n"
    article = only_article(parse_dump(tmp_path, "a.txt", text, tags=("two", "Three")))
    assert article.tags == ("One", "two", "Three")


# -- boilerplate -----------------------------------------------------------------------------


def test_share_like_and_related_widgets_are_removed(tmp_path):
    text = (
        "Title\n\nFirst paragraph.\n\nShare this:\n\n"
        "Click to share on Twitter (Opens in new window)\n"
        "Click to share on Facebook (Opens in new window)\n\n"
        "Like this:\n\nLike Loading...\n\nSecond paragraph.\n\n"
        "Advertisement Continue reading the main story\n\nThird paragraph.\n\n"
        "Sign up for our daily newsletter\n\n"
        "Related\n\nSome other story\nAnd another one\n"
    )
    article = only_article(parse_dump(tmp_path, "a.txt", text))
    assert article.body == "First paragraph.\n\nSecond paragraph.\n\nThird paragraph."


def test_crawler_widget_lines_and_prefixes_are_removed(tmp_path):
    text = (
        "Title\n\nSkip Ad Ad Loading... x Embed x Share Toblerone is facing criticism.\n"
        "Read or Share this story: https://usat.ly/2ildqXu\n"
        "It said the Skip Ad Ad Loading... x Embed x Share text stays mid-sentence.\n"
    )
    article = only_article(parse_dump(tmp_path, "a.txt", text))
    assert article.body == (
        "Toblerone is facing criticism.\n\n"
        "It said the Skip Ad Ad Loading... x Embed x Share text stays mid-sentence."
    )


def test_boilerplate_words_inside_article_sentences_are_kept(tmp_path):
    paragraphs = [
        "Leave a reply to the council, residents were told, before Friday.",
        "The firm said: Share this with your friends was its slogan.",
        "The EU said websites that use cookies must ask users to accept them.",
        "Related: the minister also spoke about trade.",
        "Read more: Duisburg \u2013 Three Travel Tips",
    ]
    text = "Title\n\n" + "\n\n".join(paragraphs) + "\n"
    article = only_article(parse_dump(tmp_path, "a.txt", text))
    assert article.body == "\n\n".join(paragraphs)


def test_a_comment_form_mid_article_does_not_cut_the_story(tmp_path):
    long = "This is a long paragraph of the article that carries on. " * 5
    text = f"Title\n\nIntro.\n\nComments\n\n{long}\n\n{long}\n\n{long}\n"
    article = only_article(parse_dump(tmp_path, "a.txt", text))
    assert article.body.count("This is a long paragraph") == 15
    assert "Comments" not in article.body


def test_hard_wrapped_paragraphs_are_joined(tmp_path):
    wrapped = (
        "The council met on Tuesday evening to discuss the new budget and\n"
        "the plans for the town centre, which residents have opposed for\n"
        "years, saying the changes would hurt small shops.\n"
    )
    article = only_article(parse_dump(tmp_path, "a.txt", "Title\n\n" + wrapped))
    assert article.body == " ".join(line for line in wrapped.split("\n") if line)


def test_options_are_checked_before_anything_is_read():
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_paths(SEED, timezone="Mars/Olympus")
    with pytest.raises(ValueError, match="unknown format"):
        parse_paths(SEED, format="xml")
    assert parse_options().timezone == "UTC"
