"""HTML entities and mojibake are repaired in every field of every format; correct text in
any script comes through as the same string."""

# ruff: noqa: RUF001 - the look-alike characters are the point of these tests

from __future__ import annotations

import json

import pytest

from articles.ingest.repair import repair_text
from tests.factories import only_article, parse_dump

CORRECT = [
    "Le café où l’on s’est vus — «déjà» naïve",  # French, curly quotes, guillemets
    "Straße, Größe, Übermut",  # German
    "حدد رئيس الوزراء البريطاني ديفيد كاميرون",  # Arabic
    "ראש הממשלה הודיע היום",  # Hebrew
    "Премьер-министр заявил в понедельник",  # Russian
    "Ο πρωθυπουργός δήλωσε σήμερα",  # Greek
    "国务院总理今天表示，经济稳定增长。",  # Chinese with full-width punctuation
    "東京都は１２日、新しい計画を発表した",  # Japanese with full-width digits
    "대통령은 오늘 기자회견에서 말했다",  # Korean
    "प्रधानमंत्री ने आज कहा",  # Hindi
    "นายกรัฐมนตรีกล่าวว่า",  # Thai
    "Thủ tướng Chính phủ phát biểu hôm nay",  # Vietnamese
    "Ångström, Øresund, Þingvellir, Łódź, İstanbul",
    "The ﬁnal ﬂight — 5 × 3 ≥ 14 ½ °C ™ © €",  # ligatures and symbols stay
    "Cafe\u0301 in decomposed form",  # NFD stays NFD in a title
    "Emoji 🎉 and ¿qué? ¡sí! ¬ ¦ ÷ ±",
    "Â is a letter too: Âge, Ça va, Éé",
]


@pytest.mark.parametrize("text", CORRECT)
def test_correct_text_is_returned_unchanged(text):
    assert repair_text(text) is text or repair_text(text) == text


@pytest.mark.parametrize("text", CORRECT)
def test_correct_titles_come_through_byte_for_byte(tmp_path, text):
    record = {"title": text, "body": f"{text}. The body says more about it."}
    article = only_article(parse_dump(tmp_path, "a.json", json.dumps(record, ensure_ascii=False)))
    assert article.title.encode("utf-8") == text.encode("utf-8")


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("&#163;1.8m indecency fine for Viacom", "£1.8m indecency fine for Viacom"),
        ("&quot;Bold&quot; move by the council", '"Bold" move by the council'),
        ("Rock &amp; roll &#x2014; live", "Rock & roll — live"),
        ("Twice escaped &amp;quot;quote&amp;quot;", 'Twice escaped "quote"'),
        ("cafÃ© society", "café society"),
        ("Itâ€™s the economy", "It’s the economy"),
        ("Â£5m deal", "£5m deal"),
    ],
)
def test_entities_and_mojibake_are_repaired(broken, fixed):
    assert repair_text(broken) == fixed


def test_text_is_never_cut_out():
    # Incomplete or unknown entities and a lone ampersand stay as written.
    for text in ("AT&T and M&S", "&nosuchentity; here", "a &copy without semicolon", "5 & 6"):
        assert repair_text(text) == text


def test_every_field_of_json_is_repaired(tmp_path):
    record = {
        "title": "&quot;Fine&quot; for Viacom",
        "body": "The &#163;1.8m fine was paid at the cafÃ©.\n\nItâ€™s the second.",
        "source": "Caf&eacute; News",
        "tags": ["Caf&eacute;", "M&amp;A"],
        "authors": ["Jos&eacute; P&eacute;rez"],
        "url": "https://example.org/story?a=1&amp;b=2",
    }
    article = only_article(parse_dump(tmp_path, "a.json", json.dumps(record)))
    assert article.title == '"Fine" for Viacom'
    assert article.body == "The £1.8m fine was paid at the café.\n\nIt’s the second."
    assert article.source == "Café News"
    assert article.tags == ("Café", "M&A")
    assert article.authors == ("José Pérez",)
    assert article.url == "https://example.org/story?a=1&b=2"


def test_csv_and_plain_text_are_repaired(tmp_path):
    csv_text = 'title,body\n"&#163;1.8m fine","Paid at the cafÃ©, with Â£5 tip."\n'
    article = only_article(parse_dump(tmp_path, "a.csv", csv_text))
    assert (article.title, article.body) == ("£1.8m fine", "Paid at the café, with £5 tip.")
    text = "&#163;1.8m indecency fine for Viacom\n\nThe cafÃ© paid &quot;in full&quot;.\n"
    article = only_article(parse_dump(tmp_path, "b.txt", text))
    assert article.title == "£1.8m indecency fine for Viacom"
    assert article.body == 'The café paid "in full".'


def test_mojibake_with_c1_characters_survives_until_repaired(tmp_path):
    # UTF-8 read as Latin-1 upstream: the C1 characters are part of the mojibake.
    record = {"title": "It\u00e2\u0080\u0099s here", "body": "Body \u00c3\u00a9t\u00c3\u00a9."}
    article = only_article(parse_dump(tmp_path, "a.jsonl", json.dumps(record)))
    assert (article.title, article.body) == ("It’s here", "Body été.")
