#!/usr/bin/env python3
"""Time to process N photos: a site of N pages, each with one 2400x1600 JPEG, built cold (no
encoded variants kept) and warm (the variants kept by the cold build, the output removed).

usage: bench/images.py [--images 200] [--runs R] [--workdir DIR] [--ancapex PATH]
                       [--generator PATH]

The site is made by examples/image_site.rs (`cargo build --release --bins --example
image_site`). Each photo gets WebP variants at 480, 960, 1600 and 2400 pixels and JPEG ones at
480, 960 and 1600 (the default `[images] widths`): 7 variants a photo. Each run is one
`ancapex build` process; the figures are the median of R runs of each: wall time, CPU time
(user + system) and peak RSS, from wait4's resource usage.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from measure import run  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--images", type=int, default=200)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--workdir")
    p.add_argument("--ancapex", default=os.path.join(REPO, "target/release/ancapex"))
    p.add_argument(
        "--generator", default=os.path.join(REPO, "target/release/examples/image_site")
    )
    a = p.parse_args()
    work = a.workdir or tempfile.mkdtemp(prefix="ancapex-images-")
    site = os.path.join(work, f"images-{a.images}")
    if not os.path.exists(os.path.join(site, "site.toml")):
        subprocess.run([a.generator, site, str(a.images)], check=True)
    build = [a.ancapex, "--root", site, "build"]
    kept = os.path.join(site, ".ancapex", "images")
    out = os.path.join(site, "public")
    figures = {"cold": [], "warm": []}
    for _ in range(a.runs):
        for how in ("cold", "warm"):
            if how == "cold":
                shutil.rmtree(kept, ignore_errors=True)
            shutil.rmtree(out, ignore_errors=True)
            figures[how].append(run(build))
    said = subprocess.run(build, capture_output=True, text=True, check=True).stdout
    print(f"{a.images} photos of 2400x1600, {os.cpu_count()} cores, median of {a.runs} runs")
    for how, runs in figures.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        rss = statistics.median(r[2] for r in runs)
        print(f"{how}: {wall:.2f} s wall, {cpu:.2f} s CPU, {rss:.0f} MiB peak RSS")
    print("last build: " + " / ".join(line for line in said.splitlines() if "images" in line))


if __name__ == "__main__":
    main()
