#!/usr/bin/env python3
"""Time `ancapex serve` from launch to "serving at", with and without the build cache.

usage: bench/serve_start.py SITE [--ancapex PATH] [--runs R]

Builds SITE once (which fills .ancapex/cache/), then starts `serve --port 0` R times with that
cache (warm) and R times with none (the folder moved aside, and removed after each start, so
every cold start renders every body), and prints each time. The cache is put back at the end.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start(exe, site):
    began = time.monotonic()
    p = subprocess.Popen([exe, "--root", site, "serve", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for line in p.stdout:
            if "serving at" in line:
                return time.monotonic() - began
        sys.exit("serve ended before serving")
    finally:
        p.terminate()
        p.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("site")
    ap.add_argument("--ancapex", default=os.path.join(REPO, "target", "release", "ancapex"))
    ap.add_argument("--runs", type=int, default=2)
    a = ap.parse_args()
    subprocess.run([a.ancapex, "--root", a.site, "build"], check=True, stdout=subprocess.DEVNULL)
    cache = os.path.join(a.site, ".ancapex")
    warm = [start(a.ancapex, a.site) for _ in range(a.runs)]
    aside = cache + ".aside"
    shutil.rmtree(aside, ignore_errors=True)
    os.rename(cache, aside)
    cold = []
    for _ in range(a.runs):
        cold.append(start(a.ancapex, a.site))
        shutil.rmtree(cache, ignore_errors=True)
    os.rename(aside, cache)
    print("warm (from the cache):", ", ".join(f"{t:.2f} s" for t in warm))
    print("cold (no cache):      ", ", ".join(f"{t:.2f} s" for t in cold))


if __name__ == "__main__":
    main()
