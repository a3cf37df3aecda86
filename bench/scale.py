#!/usr/bin/env python3
"""Grow one input of a site at a time, build it at 1x, 2x, 4x and 8x, print the cost per unit.

usage: bench/scale.py [--axes a,b,...] [--runs R] [--scale F] [--workdir DIR] [--ancapex PATH]

For each axis a site is generated with 1, 2, 4 and 8 times a number of units of that input
and nothing else growing (beside a small fixed base: a home page and 20 short pages), plus the
base alone. Each site is built with `ancapex build` (release binary, the built-in theme,
minify on) into a fresh folder on /dev/shm (a memory file system, so a build does not pay for
the previous one's deleted files), R times, the sizes interleaved (base, 1x, 2x, 4x, 8x, base,
...). The cost of a build is its CPU time (user + system, from wait4) and the cost per unit at
a size is (median cost - median cost of the base) / units. An axis whose cost per unit at 8x is
more than 1.5 times its cost at 1x grows faster than its input: a hidden quadratic.

The axes (units at 1x, times --scale; chosen so that 1x adds a few tenths of a second):
  pages            500 generated pages (../shared/bench/gen_site.py: 8 KB of markdown, two
                   highlighted code blocks, a table, links)
  sections         500 sections of 2 short pages each
  broken-links     N generated pages with N links to missing pages (typos of real paths),
                   N = 500; at each size its base is the same pages without the broken links,
                   so the cost per unit is the cost of one broken link with its suggestion,
                   and the line also gives the ratio of the two builds
  artifacts        500 artifact records, each with a file, each cited by a page
  artifact-links   500 artifact records, each citing the one before (what `cited_by` lists)
  artifact-statuses
                   500 artifact records and a run ledger with an `artifact.status` entry for
                   each (what an artifact page's `status_history` lists)
  artifact-files   one artifact record with 2,000 files
  ledger-entries   one run ledger of 10,000 entries, a checkpoint every 1,000
                   (bench/gen_ledger.py)
  failure-reports  300 failure reports
  code-blocks      2,000 highlighted code blocks over 20 pages
  shortcode-calls  4,000 shortcode calls over 20 pages
  aliases          5,000 aliases over 50 pages, each page linking to another's alias
"""
import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys

from measure import run

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.environ.get("ANCAPEX_SHARED", os.path.join(os.path.dirname(REPO), "shared"))
FACTORS = (1, 2, 4, 8)

LOREM = ("Runs are recorded as they happen, and every claim points at the records that prove it. "
         "A checkpoint is hashed, an eval names its harness, a failure gets a report.")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def base(site):
    """The fixed part of every site: a home page and 20 short pages."""
    write(os.path.join(site, "site.toml"),
          'title = "Scale"\nbase_url = "https://example.org"\ntheme = "ancapex"\n'
          '[links]\ninternal = "warn"\n')
    write(os.path.join(site, "content", "_index.md"), '+++\ntitle = "Scale"\n+++\n' + LOREM + "\n")
    for i in range(20):
        write(os.path.join(site, "content", "base", f"b{i:02d}.md"),
              f'+++\ntitle = "Base page {i}"\n+++\n\n{LOREM}\n')


def pages(site, n):
    subprocess.run([sys.executable, os.path.join(SHARED, "bench", "gen_site.py"), "--pages", str(n),
                    "--out", os.path.join(site, "gen")], check=True, stdout=subprocess.DEVNULL)
    shutil.move(os.path.join(site, "gen", "content"), os.path.join(site, "content", "gen"))
    shutil.rmtree(os.path.join(site, "gen"))
    os.remove(os.path.join(site, "content", "gen", "_index.md"))


def broken(site, n, links):
    out = os.path.join(site, "gen")
    args = [sys.executable, os.path.join(SHARED, "bench", "gen_site.py"), "--pages", str(n), "--out", out]
    if links:
        args += ["--broken-links", str(n)]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    shutil.rmtree(os.path.join(site, "content"))
    shutil.move(os.path.join(out, "content"), os.path.join(site, "content"))
    shutil.rmtree(out)


def sections(site, n):
    for s in range(n):
        d = os.path.join(site, "content", f"sec{s:04d}")
        write(os.path.join(d, "_index.md"), f'+++\ntitle = "Section {s}"\n+++\n\n{LOREM}\n')
        for p in range(2):
            write(os.path.join(d, f"p{p}.md"), f'+++\ntitle = "Page {p} of section {s}"\n+++\n\n{LOREM}\n')


def artifact(site, ident, files, cite=True, depends_on=None):
    d = os.path.join(site, "artifacts", ident)
    toml = (f'schema = "ancapex.artifact/1"\nid = "{ident}"\nversion = "1.0.0"\n'
            f'title = "Artifact {ident}"\nkind = "dataset"\nstatus = "drafting"\n'
            f'summary = "a generated record"\n')
    if depends_on:
        toml += f'\n[[links]]\nrel = "depends-on"\ntarget = "artifact:{depends_on}@1.0.0"\n'
    for f in range(files):
        body = f"file {f} of {ident}\n".encode()
        os.makedirs(os.path.join(d, "files"), exist_ok=True)
        with open(os.path.join(d, "files", f"f{f:05d}.txt"), "wb") as fh:
            fh.write(body)
        toml += (f'\n[[files]]\npath = "files/f{f:05d}.txt"\nmedia_type = "text/plain"\nrole = "primary"\n'
                 f'sha256 = "{hashlib.sha256(body).hexdigest()}"\nsize = {len(body)}\n')
    write(os.path.join(d, "artifact.toml"), toml)
    if cite:
        write(os.path.join(site, "content", "cites", f"{ident}.md"),
              f'+++\ntitle = "On {ident}"\n+++\n\nSee `artifact:{ident}@1.0.0` for the data.\n')


def artifacts(site, n):
    for i in range(n):
        artifact(site, f"art-{i:05d}", 1)


def artifact_links(site, n):
    for i in range(n):
        artifact(site, f"art-{i:05d}", 1, cite=False, depends_on=f"art-{i - 1:05d}" if i else None)


def artifact_statuses(site, n):
    for i in range(n):
        artifact(site, f"art-{i:05d}", 1, cite=False)
    subprocess.run([sys.executable, os.path.join(HERE, "gen_ledger.py"), "--site", site,
                    "--entries", str(n + 2), "--artifact-statuses", f"art-:{n}"], check=True)


def artifact_files(site, n):
    artifact(site, "many-files", n)


def ledger(site, n):
    subprocess.run([sys.executable, os.path.join(HERE, "gen_ledger.py"), "--site", site,
                    "--entries", str(n)], check=True)


REPORT = """+++
schema = "ancapex.failure-report/1"
id = "{id}"
title = "Failure {id}"
report_type = "incident"
status = "published"
severity = "S3"
detected = 2026-10-01
published = 2026-10-10
reviewers = ["Grace"]
outcome = "A node was lost and the run restarted from the last checkpoint."

[cost]
gpu_hours_lost = 3.0
steps_lost = 500
+++

# Failure {id}

""" + "".join(f"## {h}\n\n{LOREM}\n\n" for h in (
    "Summary", "Impact", "Context and expectation", "Timeline", "Analysis", "Resolution",
    "Evidence and reproduction", "Action items", "Lessons"))


def failures(site, n):
    for i in range(n):
        ident = f"failure-{i:05d}"
        write(os.path.join(site, "artifacts", "failures", f"{ident}.md"), REPORT.replace("{id}", ident))


def spread(site, n, folder, make):
    """`n` snippets over 20 pages in content/`folder`/, `make(i)` giving snippet `i`."""
    per = n // 20
    for p in range(20):
        text = "".join(make(i) for i in range(per))
        write(os.path.join(site, "content", folder, f"p{p:02d}.md"), f'+++\ntitle = "{folder} {p}"\n+++\n{text}')


def code_blocks(site, n):
    spread(site, n, "code", lambda b: f"\n```rust\nfn step_{b}() -> u64 {{\n    let x: u64 = {b};\n    x * 2\n}}\n```\n")


def shortcodes(site, n):
    spread(site, n, "calls",
           lambda c: f'\n{{{{ status_line(label="Step {c}:", text="running.", status="forming") }}}}\n')


def aliases(site, n):
    per = n // 50
    for p in range(50):
        own = ", ".join(f'"old/a{p:02d}/{a:04d}/"' for a in range(per))
        other = (p + 1) % 50
        write(os.path.join(site, "content", "moved", f"m{p:02d}.md"),
              f'+++\ntitle = "Moved {p}"\naliases = [{own}]\n+++\n\n'
              f"{LOREM} Once at [its old place](/old/a{other:02d}/0000/).\n")


AXES = {
    "pages": (500, pages),
    "sections": (500, sections),
    "broken-links": (500, None),
    "artifacts": (500, artifacts),
    "artifact-links": (500, artifact_links),
    "artifact-statuses": (500, artifact_statuses),
    "artifact-files": (2000, artifact_files),
    "ledger-entries": (10000, ledger),
    "failure-reports": (300, failures),
    "code-blocks": (2000, code_blocks),
    "shortcode-calls": (4000, shortcodes),
    "aliases": (5000, aliases),
}


def make(workdir, axis, units, factor, links=True):
    """The site of `axis` at `factor` (0: the base), made once. For broken links, `links`
    False gives the same pages without them."""
    name = f"{axis}-{factor}" + ("" if links else "-clean")
    site = os.path.join(workdir, name)
    if os.path.isdir(site):
        return site
    tmp = site + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    base(tmp)
    if axis == "broken-links":
        broken(tmp, units * factor, links=links)
    elif factor:
        AXES[axis][1](tmp, units * factor)
    os.rename(tmp, site)
    return site


def build(ancapex, site, out):
    shutil.rmtree(out, ignore_errors=True)
    wall, cpu, _ = run([ancapex, "--root", site, "build", "--output-dir", out])
    shutil.rmtree(out, ignore_errors=True)
    return cpu, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--axes", default=",".join(AXES))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies every axis's units")
    ap.add_argument("--workdir", default=os.path.join(REPO, "target", "scale"))
    ap.add_argument("--ancapex", default=os.path.join(REPO, "target", "release", "ancapex"))
    a = ap.parse_args()
    out_root = "/dev/shm" if os.path.isdir("/dev/shm") else a.workdir
    out = os.path.join(out_root, f"ancapex-scale-{os.getpid()}")
    os.makedirs(a.workdir, exist_ok=True)
    rows = []
    for axis in a.axes.split(","):
        units = max(1, int(AXES[axis][0] * a.scale))
        if axis == "broken-links":
            sites = {f: make(a.workdir, axis, units, f) for f in FACTORS}
            sites.update({-f: make(a.workdir, axis, units, f, links=False) for f in FACTORS})
        else:
            sites = {f: make(a.workdir, axis, units, f) for f in (0,) + FACTORS}
        build(a.ancapex, sites[min(sites)], out)  # warm-up
        cost = {f: [] for f in sites}
        for _ in range(a.runs):
            for f in sorted(sites, key=abs):
                cost[f].append(build(a.ancapex, sites[f], out)[0])
        med = {f: statistics.median(c) for f, c in cost.items()}
        if axis == "broken-links":
            base_of = {f: med[-f] for f in FACTORS}
            med[0] = med[-1]
        else:
            base_of = {f: med[0] for f in FACTORS}
        per = {f: (med[f] - base_of[f]) / (units * f) for f in FACTORS}
        ratio = per[8] / per[1] if per[1] > 0 else float("inf")
        rows.append((axis, units, med, per, ratio))
        extra = ""
        if axis == "broken-links":
            extra = "; with/without the links: " + ", ".join(
                f"{f}x {med[f] / med[-f]:.2f}" for f in FACTORS)
        print(f"{axis}: base {med[0]:.3f} s; " + "; ".join(
            f"{f}x {units * f} units {med[f]:.3f} s, {per[f] * 1e3:.3f} ms/unit" for f in FACTORS)
            + f"; 8x/1x {ratio:.2f}{extra}", flush=True)
    print()
    print("| axis | units at 1x | base | 1x | 2x | 4x | 8x | per unit 1x | 2x | 4x | 8x | 8x / 1x |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for axis, units, med, per, ratio in rows:
        print(f"| {axis} | {units:,} | {med[0]:.2f} s | " + " | ".join(f"{med[f]:.2f} s" for f in FACTORS)
              + " | " + " | ".join(f"{per[f] * 1e3:.3f} ms" for f in FACTORS) + f" | {ratio:.2f} |")
    bad = [r[0] for r in rows if r[4] > 1.5]
    if bad:
        print(f"\ngrows faster than its input (8x/1x > 1.5): {', '.join(bad)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
