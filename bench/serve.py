#!/usr/bin/env python3
"""Benchmark `ancapex serve`: time from saving one page to the reload event, and memory.

Generates a site with ../shared/bench/gen_site.py (10,000 pages by default; the built-in theme),
starts `ancapex serve --port 0` (the release binary), opens the event stream, then edits one
page N times (a different sentence each time, so every save changes the page) and measures,
for each save, the time from the end of the file write to the arrival of the `reload` event.
The server's resident memory (VmRSS, and its peak VmHWM) is read from /proc after the first
build (with its peak, VmHWM) and after the edits (with the peak while editing). Prints the
median, p90 and max, and the memory figures.

Then (unless --rebuilds 0) it measures the bigger rebuilds the same way, N saves each, with the
peak memory of each kind on its own (VmHWM is reset through /proc/PID/clear_refs before each):
an edit of the 404 page's template (one output), of the page template (every page), of an
artifact record (every stage, rendering what shows records), and of site.toml (every stage),
and a page added (every stage, the other pages' markdown reused).
For the template edits the built-in theme is copied into the site (`themes/ancapex`), as a site
that edits its theme has it; for the record edit one artifact record is added to the site.

usage: bench/serve.py [--pages 10000] [--edits 30] [--rebuilds 3] [--binary PATH] [--workdir DIR]
"""
import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SHARED = os.environ.get("ANCAPEX_SHARED", os.path.join(os.path.dirname(REPO), "shared"))


def default_binary():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target"))
    return os.path.join(target, "release", "ancapex")


def reset_peak(pid):
    """Resets VmHWM to the current VmRSS (Linux 4.0 and later)."""
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Events:
    """A raw event stream on /__ancapex/events."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.sock.sendall(b"GET /__ancapex/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        self.buf = b""

    def next(self):
        """The next event's name (comments and the `retry` line are skipped)."""
        while True:
            while b"\n\n" not in self.buf.split(b"\r\n\r\n", 1)[-1]:
                chunk = self.sock.recv(65536)
                if not chunk:
                    raise SystemExit("the event stream closed")
                self.buf += chunk
            if b"\r\n\r\n" in self.buf:
                self.buf = self.buf.split(b"\r\n\r\n", 1)[1]
            block, self.buf = self.buf.split(b"\n\n", 1)
            m = re.search(rb"^event: (\S+)", block, re.M)
            if m:
                return m.group(1).decode()

    def expect(self, name):
        while True:
            got = self.next()
            if got == name:
                return time.perf_counter()
            if got == "problems":
                raise SystemExit("the edit broke the build")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=10000)
    ap.add_argument("--edits", type=int, default=30)
    ap.add_argument("--rebuilds", type=int, default=3)
    ap.add_argument("--binary", default=default_binary())
    ap.add_argument("--workdir", help="keep the generated site here (default: a temp folder)")
    a = ap.parse_args()
    if not os.path.isfile(a.binary):
        raise SystemExit(f"no binary at {a.binary}: run `cargo build --release` first")
    work = a.workdir or tempfile.mkdtemp(prefix="ancapex-serve-bench-")
    site = os.path.join(work, f"site-{a.pages}")
    if not os.path.isdir(site):
        subprocess.run([sys.executable, os.path.join(SHARED, "bench", "gen_site.py"),
                        "--pages", str(a.pages), "--out", site], check=True)
        with open(os.path.join(site, "site.toml"), "w") as f:
            f.write('title = "Benchmark site"\nbase_url = "https://example.org"\ntheme = "ancapex"\n')
    record = os.path.join(site, "artifacts", "bench-memo", "artifact.toml")
    if not os.path.isfile(record):
        os.makedirs(os.path.dirname(record), exist_ok=True)
        with open(record, "w") as f:
            f.write('schema = "ancapex.artifact/1"\nid = "bench-memo"\nversion = "0.0.0"\n'
                    'title = "Bench Memo"\nkind = "design-memo"\nstatus = "planned"\n'
                    'summary = "a record to edit"\nphase = 1\n')
    theme = os.path.join(site, "themes", "ancapex")
    if not os.path.isdir(theme):
        shutil.copytree(os.path.join(REPO, "themes", "ancapex"), theme)
    started = time.perf_counter()
    server = subprocess.Popen([a.binary, "--root", site, "serve", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in server.stdout:
            m = re.match(r"serving at http://127\.0\.0\.1:(\d+)/", line)
            if m:
                break
        else:
            raise SystemExit("serve stopped before listening")
        port = int(m.group(1))
        ready = time.perf_counter() - started
        events = Events(port)
        if events.next() != "ok":
            raise SystemExit("the site has problems")
        rss_start = rss_kib(server.pid, "VmRSS")
        hwm_start = rss_kib(server.pid, "VmHWM")
        reset_peak(server.pid)
        page = os.path.join(site, "content", "s007", "p00707", "index.md")
        with open(page) as f:
            original = f.read()
        times = []
        for i in range(a.edits):
            text = original.replace("\n\n", f"\n\nEdit number {i} of the benchmark.\n\n", 1)
            with open(page, "w") as f:
                f.write(text)
            written = time.perf_counter()
            got = events.expect("reload")
            times.append((got - written) * 1000)
            time.sleep(0.2)
        rss_end = rss_kib(server.pid, "VmRSS")
        hwm = rss_kib(server.pid, "VmHWM")
        with open(page, "w") as f:
            f.write(original)
        events.expect("reload")
        rebuilds = []
        if a.rebuilds:
            templates = os.path.join(theme, "templates")
            kinds = [
                ("an edit of the 404 page's template", os.path.join(templates, "404.html"),
                 "{% block content %}", "{{% block content %}}<p hidden>edit {}</p>"),
                ("an edit of the page template", os.path.join(templates, "page.html"),
                 "{% block content %}", "{{% block content %}}<p hidden>edit {}</p>"),
                ("an edit of an artifact record", record, 'title = "Bench Memo"', 'title = "Bench Memo {}"'),
                ("an edit of site.toml", os.path.join(site, "site.toml"),
                 'title = "Benchmark site"', 'title = "Benchmark site {}"'),
            ]
            for name, path, anchor, mark in kinds:
                with open(path) as f:
                    before = f.read()
                reset_peak(server.pid)
                took = []
                for i in range(a.rebuilds):
                    with open(path, "w") as f:
                        f.write(before.replace(anchor, mark.format(i), 1))
                    written = time.perf_counter()
                    took.append((events.expect("reload") - written) * 1000)
                    time.sleep(0.5)
                rebuilds.append((name, statistics.median(took),
                                 rss_kib(server.pid, "VmRSS"), rss_kib(server.pid, "VmHWM")))
                with open(path, "w") as f:
                    f.write(before)
                events.expect("reload")
            reset_peak(server.pid)
            took = []
            added = [os.path.join(site, "content", "s007", f"bench-added-{i}.md")
                     for i in range(a.rebuilds)]
            for i, path in enumerate(added):
                with open(path, "w") as f:
                    f.write(f'+++\ntitle = "Added {i}"\ndate = 2026-06-01\n+++\nAn added page.\n')
                written = time.perf_counter()
                took.append((events.expect("reload") - written) * 1000)
                time.sleep(0.5)
            rebuilds.append(("a page added", statistics.median(took),
                             rss_kib(server.pid, "VmRSS"), rss_kib(server.pid, "VmHWM")))
            for path in added:
                os.remove(path)
            events.expect("reload")
    finally:
        server.terminate()
        server.wait()
        if not a.workdir:
            shutil.rmtree(work, ignore_errors=True)
    times.sort()
    p90 = times[min(len(times) - 1, int(round(0.9 * len(times))) - 1)]
    print(f"pages: {a.pages}, edits: {a.edits}")
    print(f"first build and listening: {ready:.2f} s")
    print(f"save -> reload event: median {statistics.median(times):.1f} ms, "
          f"p90 {p90:.1f} ms, min {times[0]:.1f} ms, max {times[-1]:.1f} ms")
    print(f"resident memory: {rss_start / 1024:.0f} MiB after the first build (peak "
          f"{hwm_start / 1024:.0f} MiB), {rss_end / 1024:.0f} MiB after the edits (peak while "
          f"editing {hwm / 1024:.0f} MiB)")
    for name, median, rss, peak in rebuilds:
        print(f"{name}: save -> reload median {median:.0f} ms; resident memory "
              f"after {rss / 1024:.0f} MiB, peak while rebuilding {peak / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
