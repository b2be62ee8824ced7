"""Authors, language codes, URLs and outlet keys: from whatever the dump wrote to what the
archive keeps, with a warning for each value dropped."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from articles.ingest.outlets import outlet_key
from articles.ingest.urls import canonical_url, clean_url
from tests.conftest import ROOT
from tests.factories import only_article, parse_dump


def _article(tmp_path, **fields):
    record = {"title": "T", "body": "A body long enough to say something.", **fields}
    return only_article(parse_dump(tmp_path, "a.json", json.dumps(record)))


# -- authors ---------------------------------------------------------------------------------


def test_authors_from_lists_in_order_without_repeats_and_junk(tmp_path):
    article = _article(
        tmp_path,
        authors=["Carsten Grün", "Author", "Www.Dw.Com", "carsten grün", "news@dw.com", "J.",
                 "https://www.dw.com/en/carsten", "Jane Doe <jane@example.org>", "By Li Na"],
    )  # fmt: skip
    assert article.authors == ("Carsten Grün", "Jane Doe", "Li Na")
    assert [w.code for w in article.warnings] == ["author-dropped"] * 5
    assert "author dropped: a web address: 'Www.Dw.Com'" in [w.message for w in article.warnings]


def test_authors_from_a_string_field_and_a_byline(tmp_path):
    assert _article(tmp_path, author="Jane Doe; John Smith").authors == ("Jane Doe", "John Smith")
    text = "A headline\nBy Jane Doe and John Smith | 14/06/2017\n\nThe body of the story.\n"
    article = only_article(parse_dump(tmp_path, "a.txt", text))
    assert article.authors == ("Jane Doe", "John Smith")
    csv_text = 'title,body,byline\nT,"Body text.","By Ann Lee, staff"\n'
    assert only_article(parse_dump(tmp_path, "a.csv", csv_text)).authors == ("Ann Lee",)


# -- languages -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("iw", "he"),
        ("in", "id"),
        ("sh", "sr"),
        ("Français", "fr"),
        ("Deutsch", "de"),
        ("arabic", "ar"),
        ("slk", "sk"),
        ("hrv", "hr"),
        ("vie", "vi"),
        ("en_GB", "en"),
        ("ENG", "en"),
        ("pt-BR", "pt"),
        ("العربية", "ar"),
    ],
)
def test_language_values_become_iso_639_1(tmp_path, value, code):
    article = _article(tmp_path, language=value)
    assert (article.language, article.warnings) == (code, ())


def test_hebrew_from_a_deprecated_code_is_right_to_left(tmp_path):
    from articles.languages import RTL_LANGUAGES

    assert _article(tmp_path, language="iw").language in RTL_LANGUAGES


def test_an_unknown_language_is_dropped_with_a_warning(tmp_path):
    body = (
        "Der Rat hat am Montag beschlossen, dass die neue Brücke nicht gebaut wird, "
        "und die Stadt ist froh."
    )
    article = _article(tmp_path, language="xx-klingonese-dialect", body=body)
    assert article.language == "de"  # detected instead
    [warning] = article.warnings
    assert warning.code == "language-unknown"


# -- URLs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["javascript:alert(document.cookie)", "data:text/html;base64,PHNjcmlwdD4=", "vbscript:msgbox",
     "/news/2017/06/story.html", "story.html", "http://", "https://example.com:99999/x",
     "ftp://example.com/file"],
)  # fmt: skip
def test_only_http_and_https_urls_are_kept(tmp_path, value):
    article = _article(tmp_path, url=value)
    assert article.url is None and article.canonical_url is None
    [warning] = article.warnings
    assert warning.code == "url-dropped"
    assert value[:20] in warning.message


def test_a_long_dropped_value_is_shortened_in_the_warning():
    url, problem = clean_url("javascript:" + "x" * 5000)
    assert url is None and problem is not None and len(problem) < 120


def test_a_kept_url_is_shown_as_given_and_has_a_canonical_form(tmp_path):
    given = "HTTPS://WWW.Example.com:443/News/Story/?utm_source=tw&id=3&fbclid=abc#comments"
    article = _article(tmp_path, url=given)
    assert article.url == given
    assert article.canonical_url == "https://www.example.com/News/Story?id=3"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://amp.theguardian.com/world/2017/jun/14/x", "https://theguardian.com/world/2017/jun/14/x"),
        ("https://example.com/news/amp/123/", "https://example.com/news/123"),
        ("https://example.com/news/123?amp=1", "https://example.com/news/123"),
        ("https://example.com/a?gclid=1&mc_cid=2&mc_eid=3&utm_medium=x", "https://example.com/a"),
        ("http://example.com", "http://example.com/"),
        ("https://example.com/a?b=1&c=2", "https://example.com/a?b=1&c=2"),
    ],
)  # fmt: skip
def test_canonical_urls(url, canonical):
    assert canonical_url(url) == canonical


# -- outlets ---------------------------------------------------------------------------------


def test_one_outlet_key_for_all_its_names():
    keys = {
        outlet_key(url="http://news.bbc.co.uk/1/hi/world/123.stm"),
        outlet_key(url="https://www.bbc.com/news/world-1"),
        outlet_key("bbc.co.uk"),
        outlet_key("bbc"),
        outlet_key("BBC"),
    }
    assert keys == {"bbc"}
    assert outlet_key("dailymail") == outlet_key(url="https://www.dailymail.co.uk/x") == "dailymail"
    assert outlet_key("nytimes") == outlet_key("www.nytimes.com") == "nytimes"
    assert outlet_key("usa.chinadaily.com.cn") == outlet_key("europe.chinadaily.com.cn")
    assert outlet_key(None, None) is None


def test_the_outlet_key_is_on_every_parsed_article(tmp_path):
    article = _article(tmp_path, url="https://edition.cnn.com/2017/x", source="CNN")
    assert (article.source, article.outlet_key) == ("CNN", "cnn")


def test_outlet_keys_need_no_network_and_no_cache(tmp_path):
    # Sockets refuse to connect and the home folder is empty: the bundled list must do.
    script = textwrap.dedent(
        """
        import socket
        def refuse(*args, **kwargs):
            raise OSError("network unreachable")
        socket.socket.connect = refuse
        socket.create_connection = refuse
        from articles.ingest.outlets import outlet_key
        print(outlet_key(url="https://news.bbc.co.uk/x"), outlet_key("forums.example.gov.uk"))
        """
    )
    env = {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"), "PATH": "/usr/bin"}
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["bbc", "example"]
    assert not (tmp_path / "cache").exists()
