"""bench/eval_cleaning.py: the metric (4-gram multisets, means over pages, leak) and one run on a tiny
handwritten set laid out like the real ones (gold.jsonl + html/ + dumps/)."""

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import eval_cleaning as ev  # noqa: E402

DATA = Path(__file__).parent / "data"


def test_shingles_and_prf():
    assert ev.shingles("") == ev.shingles("  ,. ")
    assert sum(ev.shingles("a b").values()) == 1  # shorter than 4 tokens: one n-gram
    assert sum(ev.shingles("one two three four five").values()) == 2
    gold = ev.shingles("one two three four five six")  # 3 four-grams
    assert ev.prf(ev.shingles("one two three four five six"), gold) == (1.0, 1.0)
    p, r = ev.prf(ev.shingles("one two three four five zzz"), gold)
    assert p == pytest.approx(2 / 3) and r == pytest.approx(2 / 3)
    assert ev.prf(ev.shingles(""), gold) == (0.0, 0.0)
    assert ev.prf(ev.shingles(""), ev.shingles("")) == (1.0, 1.0)
    # multisets: a repeated 4-gram counts once against one gold occurrence
    p, r = ev.prf(ev.shingles("a b c d a b c d"), ev.shingles("a b c d"))
    assert r == 1.0 and p == pytest.approx(1 / 5)


def test_decode_falls_back_to_cp1252():
    assert ev.decode("café".encode()) == "café"
    assert ev.decode("café “x”".encode("cp1252")) == "café “x”"


def _tiny_set(root: Path) -> Path:
    s = root / "tiny"
    (s / "html").mkdir(parents=True)
    (s / "dumps").mkdir()
    page = (DATA / "disqus_page.html").read_text(encoding="utf-8")
    (s / "html" / "p1.html").write_text(page, encoding="utf-8")
    (s / "dumps" / "p1.txt").write_text("Home News\nThe harbour bridge reopened to traffic on Wednesday.\n", encoding="utf-8")
    gold = {
        "id": "p1",
        "url": "",
        "article": "The harbour bridge reopened to traffic on Wednesday morning after six months of repairs to its steel cables and road surface.",
        "comments": "About time! The detour added an hour to my day, every single day.",
    }
    (s / "gold.jsonl").write_text(json.dumps(gold) + "\n", encoding="utf-8")
    return s


def test_one_run_writes_flat_metrics(tmp_path, capsys):
    _tiny_set(tmp_path)
    out = tmp_path / "m.json"
    assert ev.main(["--data", str(tmp_path), "--kinds", "html,comments", "--json", str(out)]) == 0
    m = json.loads(out.read_text())
    for system in ("trafilatura", "html_to_text"):
        assert m[f"tiny/{system}/pages"] == 1
        assert 0.0 <= m[f"tiny/{system}/P"] <= 1.0
        assert f"tiny/{system}/leak" in m  # the page has gold comments
    assert m["tiny/html_to_text/R"] == 1.0  # the gold paragraph is in the article
    assert m["tiny/html_to_text/pages_per_s_ratio"] > 0
    table = capsys.readouterr().out
    assert "html_to_text" in table and "trafilatura" in table


def test_unknown_set_or_kind_is_an_error(tmp_path):
    _tiny_set(tmp_path)
    assert ev.main(["--data", str(tmp_path), "--sets", "nope"]) == 2
    assert ev.main(["--data", str(tmp_path), "--kinds", "pdf"]) == 2
    assert ev.main(["--data", str(tmp_path / "missing")]) == 2


def test_comment_recall_once_counts_each_distinct_gold_4gram_once():
    """google-news's comment gold repeats nested lines: the thread written once has R under 1/2 against
    a gold that holds it twice; `comments_R_once` counts only the gold's distinct 4-grams (here all but
    the ones across the repetition's seam)."""
    thread = "the ferries were late every single week"
    gold = {"_art": ev.shingles("the article"), "_com": ev.shingles(f"{thread}\n{thread}"), "_only": ev.shingles(thread), "comments": thread}
    s = ev.Score()
    s.add("p", gold, "the article", thread, 0.0)
    m = s.metrics()
    assert m["comments_P"] == 1.0
    assert m["comments_R"] == pytest.approx(sum(ev.shingles(thread).values()) / sum(gold["_com"].values()))
    distinct = gold["_com"].keys()
    once = len(distinct & ev.shingles(thread).keys()) / len(distinct)
    assert m["comments_R"] < 0.5 < once == m["comments_R_once"]
    s.add("q", gold, "the article", "nothing of it", 0.0)
    assert s.metrics()["comments_R_once"] == pytest.approx(once / 2)


def test_thread_figures_only_over_pages_whose_gold_holds_a_posting_time():
    """A gold comment text with a posting time is a reader thread; one with only the section's chrome
    ("Have your say", a counter) is not, and the `comments_thread_*` figures leave it out."""
    assert ev.has_reader_thread("Anna said...\n12 October 2012 19:40\nSame here.")
    assert ev.has_reader_thread("posted 3 days ago by Bo")
    assert not ev.has_reader_thread("Have your say\n53 Comments\nName Email")
    s = ev.Score()
    for pid, com, pred in (("t", "Bo, 10/01/2008 16:36\nthe ferries were late every week", "the ferries were late every week"), ("c", "Have your say on this story", "")):
        gold = {"_art": ev.shingles("the article"), "_com": ev.shingles(com), "_only": ev.shingles(com), "comments": com}
        s.add(pid, gold, "the article", pred, 0.0)
    m = s.metrics()
    assert m["thread_pages"] == 1 and m["comments_thread_P"] == 1.0 and m["comments_P"] == 0.5
    assert m["comments_thread_R"] == pytest.approx(m["comments_R"] * 2)
