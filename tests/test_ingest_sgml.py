"""Reuters-21578 SGML: one article per <REUTERS> element."""

from __future__ import annotations

import io
import tarfile
from datetime import UTC, datetime

from tests.factories import parse_dump, parse_errors, parse_paths, parsed_articles, write_dump

SGML = """<!DOCTYPE lewis SYSTEM "lewis.dtd">
<REUTERS TOPICS="YES" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5544" NEWID="1">
<DATE>26-FEB-1987 15:01:01.79</DATE>
<TOPICS><D>cocoa</D></TOPICS>
<PLACES><D>el-salvador</D><D>usa</D><D>uruguay</D></PLACES>
<PEOPLE></PEOPLE>
<ORGS></ORGS>
<EXCHANGES></EXCHANGES>
<COMPANIES></COMPANIES>
<UNKNOWN>\x20
&#5;&#5;&#5;C T
&#22;&#22;&#1;f0704&#31;reute
u f BC-BAHIA-COCOA-REVIEW   02-26 0105</UNKNOWN>
<TEXT>&#2;
<TITLE>BAHIA COCOA REVIEW</TITLE>
<AUTHOR>    by Janie Gabbett, Reuters</AUTHOR>
<DATELINE>    SALVADOR, Feb 26 - </DATELINE><BODY>Showers continued throughout the week in
the Bahia cocoa zone, alleviating the drought since early
January and improving prospects for the coming temporao.
    The dry period means the temporao will be late &lt;and> smaller.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS TOPICS="NO" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="5545" NEWID="2">
<DATE>26-FEB-1987 15:02:20.00</DATE>
<TOPICS></TOPICS>
<PLACES><D>usa</D></PLACES>
<TEXT TYPE="BRIEF">&#2;
<TITLE>STANDARD OIL &lt;SRD> TO FORM FINANCIAL UNIT
</TITLE>
</TEXT>
</REUTERS>
"""


def test_each_reuters_element_is_an_article(tmp_path):
    records = parse_dump(tmp_path, "reut2-000.sgm", SGML)
    [article] = parsed_articles(records)
    assert article.title == "BAHIA COCOA REVIEW"
    assert article.body == (
        "SALVADOR, Feb 26 - Showers continued throughout the week in the Bahia cocoa zone, "
        "alleviating the drought since early January and improving prospects for the coming "
        "temporao.\n\nThe dry period means the temporao will be late <and> smaller.\n\nReuter"
    )
    assert article.published_at == datetime(1987, 2, 26, 15, 1, 1, tzinfo=UTC)
    assert article.tags == ("cocoa", "el-salvador", "usa", "uruguay")
    assert article.source == "Reuters"
    assert article.authors == ("Janie Gabbett",)
    assert (article.origin, article.line) == (f"{tmp_path / 'reut2-000.sgm'}#NEWID=1", 2)


def test_a_story_without_body_is_reported(tmp_path):
    records = parse_dump(tmp_path, "reut2-000.sgm", SGML)
    assert [(str(e), e.kind, e.code) for e in parse_errors(records)] == [
        (
            f"{tmp_path / 'reut2-000.sgm'}#NEWID=2:24: no BODY: the story is a headline only",
            "skipped",
            "no-text",
        )
    ]


def test_dates_without_zone_are_in_the_chosen_zone(tmp_path):
    records = parse_dump(tmp_path, "reut2-000.sgm", SGML, timezone="America/New_York")
    assert parsed_articles(records)[0].published_at == datetime(1987, 2, 26, 20, 1, 1, tzinfo=UTC)


def test_a_file_cut_inside_an_element_keeps_the_ones_before(tmp_path):
    cut = SGML[: SGML.index("<TEXT TYPE")]
    records = parse_dump(tmp_path, "reut2-001.sgm", cut)
    assert [a.title for a in parsed_articles(records)] == ["BAHIA COCOA REVIEW"]
    assert [str(e) for e in parse_errors(records)] == [
        f"{tmp_path / 'reut2-001.sgm'}:24: the file ends inside a <REUTERS> element"
    ]


def test_sgml_files_in_a_tar_gz(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = SGML.encode("latin-1")
        info = tarfile.TarInfo("reuters21578/reut2-000.sgm")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    write_dump(tmp_path, "reuters21578.tar.gz", buffer.getvalue())
    records = parse_paths(tmp_path)
    assert [a.origin for a in parsed_articles(records)] == [
        f"{tmp_path / 'reuters21578.tar.gz'}!reuters21578/reut2-000.sgm#NEWID=1"
    ]
