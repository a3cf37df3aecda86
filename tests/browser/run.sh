#!/usr/bin/env bash
# The browser suite: builds the real site with the debug `ancapex` binary, serves it on
# 127.0.0.1 with its _headers applied, and checks it in Debian's Chromium (axe, html-validate,
# console and CSP, links and anchors, widths, contact form, ledger verification, no-JS content,
# budgets, one host, meta tags, search, Lighthouse), ledger verification from tlog-tiles on
# a generated 600-entry run, and witnessed checkpoints (cosignatures and quorum checked in the
# browser) on the fixture ledger, and a run page's charts and tables (the real Model Run #1
# ledger extended by tests/fixtures/figures/extend.py), and images in markdown (a phone downloads
# a small variant, no layout shift). Then the self-test: every check must fail on the broken fixture
# (a copy of the site with one fault per check).
#
# Installs what is missing: chromium (apt, as root), the npm packages (npm ci), the link
# checker (pip, by hash, into a venv under target/). Fails loudly if any cannot be installed.
#
#   tests/browser/run.sh             everything
#   tests/browser/run.sh --real      only the real site
#   tests/browser/run.sh --self-test only the broken fixture
#   ANCAPEX_CHECKS=axe,links ...     only these checks
#   ANCAPEX_LIGHTHOUSE_RUNS=3 ...    Lighthouse runs (default 1); their performance scores go to
#                                    target/browser-figures.json, a figure, never a check
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
mode="${1:-all}"
case "$mode" in all | --real | --self-test) ;; *) echo "usage: $0 [--real|--self-test]" >&2; exit 2 ;; esac

echo "== browser suite: tools"
if [ ! -x /usr/bin/chromium ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "error: /usr/bin/chromium is missing and only root can install it (apt-get install chromium)" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
/usr/bin/chromium --version
command -v node >/dev/null || { echo "error: node (20+) is needed for the browser suite" >&2; exit 1; }
command -v npm >/dev/null || { echo "error: npm is needed for the browser suite" >&2; exit 1; }
# npm ci only when the lockfile changed since the last install.
stamp="$here/node_modules/.ancapex-lock.sha256"
want="$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
fi
venv="$repo/target/browser-venv"
lychee="$venv/bin/lychee"
reqs="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [ "$(cat "$venv/.ancapex-req.sha256" 2>/dev/null)" != "$reqs" ] || [ ! -x "$lychee" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$here/requirements.txt"
    echo "$reqs" >"$venv/.ancapex-req.sha256"
fi
"$lychee" --version

echo "== browser suite: build the real site"
cargo build --locked --quiet --bin ancapex --example image_site
bin="${CARGO_TARGET_DIR:-$repo/target}/debug/ancapex"
image_site="${CARGO_TARGET_DIR:-$repo/target}/debug/examples/image_site"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin" --root "$repo" build --output-dir "$work/site" >"$work/build.log" || { cat "$work/build.log" >&2; exit 1; }

export LYCHEE="$lychee" TMPDIR="$work"
status=0
echo "== browser suite: the test server"
node --test --test-reporter=spec "$here/server.test.mjs" "$here/checks.test.mjs" || status=1
echo "== browser suite: ledger summaries, the browser's against the build's"
node --test --test-reporter=spec "$here/ledger-summary.test.mjs" || status=1
echo "== browser suite: serve's overlay"
ANCAPEX_BIN="$bin" node --test --test-reporter=spec "$here/serve.test.mjs" || status=1
echo "== browser suite: ledger proofs from tiles on a deeper tree"
ANCAPEX_BIN="$bin" node --test --test-reporter=spec "$here/tiles.test.mjs" || status=1
echo "== browser suite: witnessed checkpoints"
ANCAPEX_BIN="$bin" node --test --test-reporter=spec "$here/witness.test.mjs" || status=1
echo "== browser suite: images, resized and measured"
ANCAPEX_BIN="$bin" ANCAPEX_IMAGE_SITE="$image_site" node --test --test-reporter=spec "$here/images.test.mjs" || status=1
shots="$repo/target/browser-screenshots"
rm -rf "$shots"
echo "== browser suite: a run page's charts and tables (Model Run #1, extended)"
ANCAPEX_BIN="$bin" ANCAPEX_SCREENSHOTS="$shots" node --test --test-concurrency=1 --test-reporter=spec "$here/figures.test.mjs" || status=1
if [ "$mode" != --self-test ]; then
    echo "== browser suite: the real site (every check must pass)"
    ANCAPEX_SITE="$work/site" ANCAPEX_EXPECT=pass ANCAPEX_SCREENSHOTS="$shots" \
        ANCAPEX_FIGURES="$repo/target/browser-figures.json" \
        node --test --test-concurrency=1 --test-reporter=spec "$here/suite.test.mjs" || status=1
    echo "screenshots: $shots"
fi
if [ "$mode" != --real ]; then
    echo "== browser suite: self-test on the broken fixture (every check must fail)"
    cp -R "$work/site" "$work/broken"
    node "$here/fixtures/break.mjs" "$work/broken"
    ANCAPEX_SITE="$work/broken" ANCAPEX_EXPECT=fail ANCAPEX_PAGES="$(cat "$work/broken/.broken-pages")" \
        node --test --test-concurrency=1 --test-reporter=spec "$here/suite.test.mjs" || status=1
fi
exit "$status"
