#!/usr/bin/env python3
"""Build sites holding one run ledger of 1,000, 10,000 and 100,000 entries; print the cost per entry.

usage: bench/ledger.py [--sizes 1000,10000,100000] [--runs R] [--workdir DIR] [--ancapex PATH]

Each site is the built-in theme, a home page and one ledger written by bench/gen_ledger.py (a
C2SP checkpoint every 1,000 entries and at the end). `ancapex check` (every line, signature,
tree and checkpoint; the run pages rendered, nothing written) and `ancapex build` (the same,
then the entries, checkpoints, tiles of every checkpointed size and the minified run pages
written into a fresh folder on /dev/shm) run R times each, sizes interleaved. Prints median
wall and CPU time (user + system, from wait4) and peak RSS, and the CPU time per entry.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys

from measure import run

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def site(workdir, n):
    d = os.path.join(workdir, f"ledger-{n}")
    if not os.path.isdir(d):
        os.makedirs(os.path.join(d, "content"))
        with open(os.path.join(d, "site.toml"), "w") as f:
            f.write('title = "Ledger"\nbase_url = "https://example.org"\ntheme = "ancapex"\n')
        with open(os.path.join(d, "content", "_index.md"), "w") as f:
            f.write('+++\ntitle = "Ledger"\n+++\nA run.\n')
        subprocess.run([sys.executable, os.path.join(HERE, "gen_ledger.py"), "--site", d,
                        "--entries", str(n)], check=True)
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default=os.path.join(REPO, "target", "ledger-bench"))
    ap.add_argument("--ancapex", default=os.path.join(REPO, "target", "release", "ancapex"))
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",")]
    sites = {n: site(a.workdir, n) for n in sizes}
    out = os.path.join("/dev/shm" if os.path.isdir("/dev/shm") else a.workdir, f"ancapex-ledger-{os.getpid()}")
    results = {(n, mode): [] for n in sizes for mode in ("check", "build")}
    for r in range(a.runs + 1):
        for n in sizes:
            for mode in ("check", "build"):
                shutil.rmtree(out, ignore_errors=True)
                args = [a.ancapex, "--root", sites[n], mode]
                if mode == "build":
                    args += ["--output-dir", out]
                figures = run(args)
                if r:  # the first round warms up
                    results[(n, mode)].append(figures)
    shutil.rmtree(out, ignore_errors=True)
    print("| entries | command | wall | CPU | peak RSS | CPU per entry |")
    print("| ---: | --- | ---: | ---: | ---: | ---: |")
    for n in sizes:
        for mode in ("check", "build"):
            wall, cpu, rss = (statistics.median(x[i] for x in results[(n, mode)]) for i in range(3))
            print(f"| {n:,} | {mode} | {wall:.2f} s | {cpu:.2f} s | {rss:.0f} MiB | {cpu / n * 1e6:.0f} µs |")


if __name__ == "__main__":
    main()
