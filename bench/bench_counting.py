"""The cost of the site-boilerplate counting pass (issue 19.5) against the whole run, in one script.

A run counts the boilerplate blocks of all its new documents before it cleans the first one
(`flows.pipeline.count_blocks`: the inputs read a second time as a stream, one batch of records at a
time). This prints the pass's time as a share of a run over the same corpus (bench/make_corpus.py,
loose plain-text files and HTML pages), and the pass's peak traced memory at two corpus sizes (it
should not grow with the number of documents beyond the block counts themselves).

    python bench/bench_counting.py [--docs 2000] [--html-share 0.25] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_corpus import write  # noqa: E402

from flows.pipeline import count_blocks, news_pipeline  # noqa: E402
from tasks import clean as clean_stage  # noqa: E402
from tasks import ingest as ingest_stage  # noqa: E402
from tasks.config import PipelineConfig  # noqa: E402


def counting_pass(pages: Path, cfg: PipelineConfig) -> tuple[float, int, int]:
    """(seconds, peak traced bytes, distinct blocks counted) of the counting pass over `pages`."""
    files = ingest_stage.list_inputs([str(pages)])
    bp = clean_stage.SiteBoilerplate(
        cfg.clean.site_boilerplate_min_docs, (), cfg.clean.site_boilerplate_max_blocks, cfg.clean.shared_boilerplate_min_docs
    )
    tracemalloc.start()
    t0 = time.perf_counter()
    bp, _, _, _ = count_blocks(files, cfg, ingest_stage.Known(), {}, bp)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return seconds, peak, len(bp)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--html-share", type=float, default=0.25)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=3)
    args = ap.parse_args()
    cfg = PipelineConfig()
    with tempfile.TemporaryDirectory(prefix="newslake-bench-counting-") as tmp:
        root = Path(tmp)
        small = write(root / "small", args.docs // 2, args.seed, "files", args.html_share) / "pages"
        big = write(root / "big", args.docs, args.seed, "files", args.html_share) / "pages"
        t_small, peak_small, blocks_small = counting_pass(small, cfg)
        t_pass, peak_big, blocks_big = counting_pass(big, cfg)
        t0 = time.perf_counter()
        news_pipeline(inputs=[str(big)], warehouse=str(root / "wh"), run_date="2026-11-21", workers=args.workers)
        t_run = time.perf_counter() - t0
    print(f"corpus: make_corpus seed {args.seed}, {args.docs} loose files ({args.html_share:.0%} HTML)")
    print(f"counting pass: {t_pass:.2f} s ({args.docs / t_pass:.0f} docs/s); whole run ({args.workers} workers, counting pass included): {t_run:.1f} s")
    print(f"ratio pass / run: {t_pass / t_run:.3f}")
    print(
        f"pass peak traced memory: {peak_small / 2**20:.1f} MiB at {args.docs // 2} docs ({blocks_small} blocks), "
        f"{peak_big / 2**20:.1f} MiB at {args.docs} docs ({blocks_big} blocks)"
    )


if __name__ == "__main__":
    main()
