"""MinHash signatures of bodies: near-duplicates score high, different stories low, a
signature is the same in any process, and the bench measures them on real articles."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from articles.ingest.neardup import NUM_BINS, minhash_signature, similarity
from tests.conftest import ROOT

STORY = (
    "Quarterly profits at US media giant TimeWarner jumped 76% to $1.13bn for the three "
    "months to December, from $639m year-earlier. The firm, which is now one of the biggest "
    "investors in Google, benefited from sales of high-speed internet connections and higher "
    "advert sales. TimeWarner said fourth quarter sales rose 2% to $11.1bn from $10.9bn. Its "
    "profits were buoyed by one-off gains which offset a profit dip at Warner Bros, and less "
    "users for AOL."
)
OTHER = (
    "The council voted on Monday to close the harbour bridge for repairs over the summer, "
    "after engineers found cracks in two of its supports. Ferries will run every twenty "
    "minutes while the work goes on, and the mayor promised the bridge would reopen by the "
    "start of the school year."
)


def test_a_wire_copy_with_a_new_byline_is_a_near_duplicate():
    copy = "By Staff Reporter. " + STORY + " Additional reporting by agencies."
    assert similarity(minhash_signature(STORY), minhash_signature(copy)) > 0.6
    assert similarity(minhash_signature(STORY), minhash_signature(OTHER)) < 0.1
    assert similarity(minhash_signature(STORY), minhash_signature(STORY.upper())) == 1.0


def test_the_signature_is_stable_across_processes():
    script = (
        "from articles.ingest.neardup import minhash_signature;"
        f"print(minhash_signature({STORY!r})[:8])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin"},
        ).stdout
        for seed in ("1", "2")
    }
    assert outputs == {f"{minhash_signature(STORY)[:8]}\n"}
    assert len(minhash_signature(STORY)) == NUM_BINS


def test_the_cost_per_article_is_small():
    body = "\n\n".join([STORY] * 4)  # about 400 words
    minhash_signature(body)
    start = time.process_time()
    for _ in range(200):
        minhash_signature(body)
    per_article = (time.process_time() - start) / 200
    print(f"MinHash signature: {per_article * 1000:.2f} ms CPU per 400-word article")
    assert per_article < 0.005


def test_a_batch_gives_each_body_its_own_signature_and_short_bodies_none():
    from articles.ingest.neardup import band_keys, signature_of, signatures

    bodies = [STORY, "", "Too short to compare.", OTHER, STORY.upper(), "Two words", "one"]
    found = signatures(bodies)
    assert found == [signature_of(body) for body in bodies]
    assert found[0] == found[4] == minhash_signature(STORY)
    assert found[1] is None and found[2] is None and found[5] is None
    assert signatures(["Two words"]) == signatures(["one"]) == [None]
    assert minhash_signature("one") != minhash_signature("two")
    assert len(band_keys(minhash_signature(STORY))) == 16
    assert (
        len(set(band_keys(minhash_signature(STORY))) & set(band_keys(minhash_signature(OTHER))))
        == 0
    )


def test_the_bench_measures_accuracy_and_cost_on_real_articles(corpora):
    done = subprocess.run(
        [sys.executable, "-m", "bench.neardup", "--articles", "60"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "NEWSARCHIVE_CORPORA": str(corpora)},
    )
    accuracy, cost = done.stdout.splitlines()
    # 60 edited copies and 59 pairs of different stories (none too short to sign).
    assert accuracy.startswith("accuracy: 119 pairs;")
    agreed = int(accuracy.split("as the exact one for ")[1].split(" of ")[0])
    assert agreed >= 110
    assert cost.startswith("cost: ") and "ms of CPU per article" in cost
