#!/usr/bin/env python3
"""Body extraction quality of newsdesk's archived-HTML parser on real pages.

Runs `newsdesk inspect --json` over the 181 news and blog pages of the public
Article Extraction Benchmark (https://github.com/scrapinghub/article-extraction-benchmark,
real pages with a hand-checked `articleBody` each) and scores `body_text`
with the benchmark's own `evaluate.py` (shingle F1, precision, recall), so
the figures compare directly with the extractors listed in its README.

The pages are not ours to redistribute, so they are not in this repository:

    git clone https://github.com/scrapinghub/article-extraction-benchmark /tmp/aeb
    cargo build --release
    bench/extraction.py /tmp/aeb [--bin target/release/newsdesk] [--worst 10]

Only the Python standard library is needed.
"""

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("benchmark", type=Path, help="checkout of article-extraction-benchmark")
    ap.add_argument("--bin", type=Path, default=Path("target/release/newsdesk"))
    ap.add_argument("--worst", type=int, default=10, help="list the N pages scored lowest")
    args = ap.parse_args()
    truth = json.loads((args.benchmark / "ground-truth.json").read_text())

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pages = tmp / "html"
        pages.mkdir()
        for key in truth:
            src = args.benchmark / "html" / f"{key}.html.gz"
            (pages / f"{key}.html").write_bytes(gzip.decompress(src.read_bytes()))
        # No config: inspect needs none, and a stray NEWSDESK_CONFIG must not count.
        env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSDESK_")}
        run = subprocess.run(
            [str(args.bin.resolve()), "inspect", "--json", *sorted(str(p) for p in pages.iterdir())],
            capture_output=True, text=True, cwd=tmp, env=env,
        )
        got = {}
        for line in run.stdout.splitlines():
            v = json.loads(line)
            got[Path(v["source"]).stem] = v.get("body_text") or ""
        rejected = sum(1 for k in truth if not got.get(k))
        out = tmp / "output"
        out.mkdir()
        (out / "newsdesk.json").write_text(
            json.dumps({k: {"articleBody": got.get(k, "")} for k in truth}))
        shutil.copy(args.benchmark / "ground-truth.json", tmp)
        shutil.copy(args.benchmark / "evaluate.py", tmp)
        res = subprocess.run([sys.executable, "evaluate.py", "--n-bootstrap", "1000"],
                             capture_output=True, text=True, cwd=tmp, check=True)
        print(res.stdout.rstrip())
        print(f"pages: {len(truth)}, with no body: {rejected}")

        if args.worst:
            sys.path.insert(0, str(tmp))
            import evaluate  # the benchmark's own scoring

            rows = []
            for key, t in truth.items():
                tp, fp, fn = evaluate.string_shingle_matching(
                    true=t.get("articleBody", ""), pred=got.get(key, ""))
                p = tp / (tp + fp) if tp + fp else 0.0
                r = tp / (tp + fn) if tp + fn else 0.0
                f = 2 * p * r / (p + r) if p + r else 0.0
                rows.append((f, p, r, t.get("url", key)))
            print(f"lowest {args.worst} (F1 precision recall url):")
            for f, p, r, url in sorted(rows)[: args.worst]:
                print(f"  {f:.2f} {p:.2f} {r:.2f} {url}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
