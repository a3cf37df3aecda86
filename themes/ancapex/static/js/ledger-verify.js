// Checks every ledger entry shown on the page, in the browser, with no dependencies: the
// list's checkpoint is fetched and its Ed25519 signature checked (WebCrypto) against the
// verifier key pinned in the page's data attributes; each entry's stored line is hashed as an
// RFC 6962 leaf, and its inclusion proof in the checkpoint's tree is computed from the log's
// C2SP tlog-tiles (the few tiles on the path from the entry to the root, each fetched once for
// the whole page) and checked against the checkpoint's root. The summary shown is read again
// from that line, with the rules the build uses for the text served without JavaScript
// (src/ledger/site.rs `summary`, kept equal by tests/browser/ledger-summary.test.mjs): a
// summary that is not the line's is replaced by the line's and the entry marked not verified.
// Each entry is then marked verified or not verified. When the ledger's policy names
// witnesses (pinned in the page too), each witness's cosignature/v1 line under the checkpoint
// is checked as well (C2SP tlog-cosignature): one that does not verify fails every entry, as
// it fails the build, and the entries say whether the quorum co-signed the checkpoint.
// Without JavaScript the entries, the checkpoint and the tiles are still there.
var ancapexLedgerSummary = (function () {
  "use strict";

  // Keys in the order the build's JSON map keeps them: by their UTF-8 bytes.
  var utf8 = new TextEncoder();
  function byBytes(a, b) {
    var x = utf8.encode(a), y = utf8.encode(b);
    for (var i = 0; i < x.length && i < y.length; i++) {
      if (x[i] !== y[i]) return x[i] - y[i];
    }
    return x.length - y.length;
  }
  function json(v) {
    if (v === null) return "null";
    if (Array.isArray(v)) return "[" + v.map(json).join(",") + "]";
    if (typeof v === "object") {
      return "{" + Object.keys(v).sort(byBytes).map(function (k) {
        return JSON.stringify(k) + ":" + json(v[k]);
      }).join(",") + "}";
    }
    if (typeof v === "string") return JSON.stringify(v);
    return String(v);
  }
  function text(v) {
    if (v === undefined || v === null) return "none";
    if (typeof v === "string") return v;
    return json(v);
  }
  function count(n, one, many) { return n + " " + (n === 1 ? one : many); }
  // A count's text with its thousands grouped when it is a run of digits (16384000 gives
  // 16,384,000), as the build's text::group_digits.
  function group(t) { return /^[0-9]+$/.test(t) ? t.replace(/\B(?=([0-9]{3})+(?![0-9]))/g, ",") : t; }

  // A one-line reading of an entry's body, as the build writes it.
  return function summary(type, body) {
    body = body && typeof body === "object" && !Array.isArray(body) ? body : {};
    function b(k) { return text(Object.prototype.hasOwnProperty.call(body, k) ? body[k] : undefined); }
    function g(k) { return group(b(k)); }
    switch (type) {
      case "log.genesis": return "Ledger opened: " + b("title");
      case "run.start": return "Run " + b("run") + " started with config " + b("config");
      case "config.change": return b("key") + ": " + b("from") + " \u2192 " + b("to") + " (" + b("reason") + ")";
      case "node.join":
        return Object.prototype.hasOwnProperty.call(body, "gpus")
          ? "Node " + b("node") + " joined with " + g("gpus") + " GPUs"
          : "Node " + b("node") + " joined";
      case "node.leave": return "Node " + b("node") + " left: " + b("reason");
      case "checkpoint": {
        var cm = body.metrics;
        var values = cm && typeof cm === "object" && !Array.isArray(cm)
          ? Object.keys(cm).sort(byBytes).map(function (k) { return k + " " + text(cm[k]); }).join(", ")
          : "";
        return "Checkpoint at step " + g("step") + ", " + g("tokens") + " tokens, " +
          count(Array.isArray(body.files) ? body.files.length : 0, "file", "files") +
          (values ? ": " + values : "");
      }
      case "eval": {
        var m = body.metrics;
        var metrics = m && typeof m === "object" && !Array.isArray(m)
          ? Object.keys(m).sort(byBytes).map(function (k) {
            var v = m[k];
            var value = v && typeof v === "object" && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, "value") ? v.value : undefined;
            return k + " " + text(value);
          }).join(", ")
          : "";
        return "Eval of checkpoint #" + b("checkpoint_seq") + " on " + b("suite") + " (" + b("harness") + "): " + metrics;
      }
      case "failure":
        return b("severity") + " " + b("class") + " failure at step " + g("step") + ": " + b("impact") + ". Action: " + b("action") + ".";
      case "restart": return "Restarted from step " + g("from_step") + ": " + b("reason");
      case "artifact.status": return b("ref") + ": " + b("from") + " \u2192 " + b("to");
      case "claim.registered": return "Claim " + b("claim") + " registered for " + b("artifact");
      case "note": return b("text");
      case "correction": return "Correction to #" + b("target_seq") + ": " + b("reason");
      case "run.end": return "Run ended (" + b("outcome") + "): " + b("summary");
      default: return "";
    }
  };
})();

// A note's pieces as the build renders them (src/ledger/inline.rs, kept equal by
// tests/fixtures/ledger/notes.json): `code`, **strong**, *emphasis* (or _emphasis_ between
// words) and [text](https://...) links, each one delimiter to its first match; the rest as
// written. Each piece is {tag, text, href}, tag "" for plain text.
var ancapexNoteParts = (function () {
  "use strict";
  var space = /[ \t\n\f\r]/;
  var word = /[A-Za-z0-9]/;
  function spanned(s, from, to) {
    return to > from && !space.test(s[from]) && !space.test(s[to - 1]);
  }
  function find(s, from, pat) {
    var j = s.indexOf(pat, from);
    return j < 0 ? null : j;
  }
  function link(s, i) {
    var close = find(s, i + 1, "](");
    if (close === null) return null;
    var text = s.slice(i + 1, close);
    var end = find(s, close + 2, ")");
    if (end === null) return null;
    var href = s.slice(close + 2, end);
    var web = href.indexOf("https://") === 0 || href.indexOf("http://") === 0;
    if (!web || !text || /[\[\]]/.test(text) || /[ \t\n\f\r\[\]]/.test(href)) return null;
    return [{ tag: "a", text: text, href: href }, end + 1];
  }
  return function parts(s) {
    var out = [];
    var i = 0, start = 0, j;
    while (i < s.length) {
      var found = null, c = s[i];
      if (c === "`") {
        j = find(s, i + 1, "`");
        if (j !== null && j > i + 1) found = [{ tag: "code", text: s.slice(i + 1, j) }, j + 1];
      } else if (c === "*" && s.indexOf("**", i) === i) {
        j = find(s, i + 2, "**");
        if (j !== null && spanned(s, i + 2, j)) found = [{ tag: "strong", text: s.slice(i + 2, j) }, j + 2];
      } else if (c === "*") {
        j = find(s, i + 1, "*");
        if (j !== null && spanned(s, i + 1, j)) found = [{ tag: "em", text: s.slice(i + 1, j) }, j + 1];
      } else if (c === "_" && (i === 0 || !word.test(s[i - 1]))) {
        j = find(s, i + 1, "_");
        if (j !== null && spanned(s, i + 1, j) && (j + 1 >= s.length || !word.test(s[j + 1]))) {
          found = [{ tag: "em", text: s.slice(i + 1, j) }, j + 1];
        }
      } else if (c === "[") {
        found = link(s, i);
      }
      if (found) {
        if (start < i) out.push({ tag: "", text: s.slice(start, i) });
        out.push(found[0]);
        i = start = found[1];
      } else {
        i += 1;
      }
    }
    if (start < s.length) out.push({ tag: "", text: s.slice(start) });
    return out;
  };
})();

(function () {
  "use strict";
  if (typeof document === "undefined") return;
  var enc = new TextEncoder();

  function b64(s) {
    var bin = atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function hex(bytes) {
    return Array.prototype.map.call(bytes, function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }
  function concat(parts) {
    var n = parts.reduce(function (a, p) { return a + p.length; }, 0);
    var out = new Uint8Array(n);
    var o = 0;
    parts.forEach(function (p) { out.set(p, o); o += p.length; });
    return out;
  }
  function equal(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  }
  function leafHash(bytes) { return sha256(concat([new Uint8Array([0]), bytes])); }
  function nodeHash(l, r) { return sha256(concat([new Uint8Array([1]), l, r])); }

  // RFC 9162 section 2.1.3.2.
  async function inclusionRoot(index, size, leaf, path) {
    if (index >= size) throw new Error("index past the tree");
    var f = index, s = size - 1, r = leaf;
    for (var i = 0; i < path.length; i++) {
      if (s === 0) throw new Error("proof too long");
      if (f % 2 === 1 || f === s) {
        r = await nodeHash(path[i], r);
        while (f % 2 === 0 && f !== 0) { f = Math.floor(f / 2); s = Math.floor(s / 2); }
      } else {
        r = await nodeHash(r, path[i]);
      }
      f = Math.floor(f / 2); s = Math.floor(s / 2);
    }
    if (s !== 0) throw new Error("proof too short");
    return r;
  }

  var verifiedNotes = new Map();
  async function checkNote(note, pin) {
    if (verifiedNotes.has(note)) return verifiedNotes.get(note);
    var result = (async function () {
      var split = note.lastIndexOf("\n\n");
      if (split < 0) throw new Error("checkpoint is not a signed note");
      var text = note.slice(0, split + 1);
      var sigs = note.slice(split + 2).split("\n").filter(Boolean);
      var key = await crypto.subtle.importKey("raw", b64(pin.key), { name: "Ed25519" }, false, ["verify"]);
      var ok = false;
      for (var i = 0; i < sigs.length && !ok; i++) {
        var m = /^\u2014 (\S+) (\S+)$/.exec(sigs[i]);
        if (!m || m[1] !== pin.name) continue;
        var blob = b64(m[2]);
        if (hex(blob.slice(0, 4)) !== pin.id || blob.length !== 68) continue;
        ok = await crypto.subtle.verify({ name: "Ed25519" }, key, blob.slice(4), enc.encode(text));
      }
      if (!ok) throw new Error("checkpoint signature does not verify with the pinned key");
      var lines = text.split("\n");
      if (lines[0] !== pin.origin) throw new Error("checkpoint is for another log");
      return { size: Number(lines[1]), root: b64(lines[2]), witnessed: await cosigners(text, sigs, pin.witnesses) };
    })();
    verifiedNotes.set(note, result);
    return result;
  }

  // The pinned witnesses, from `name vkey;name vkey`: each vkey is
  // `<key name>+<key id>+<base64(0x04 || Ed25519 public key)>`.
  function witnesses(attr) {
    if (!attr) return [];
    return attr.split(";").map(function (w) {
      var parts = w.trim().split(" ");
      var vkey = parts[1] || "";
      var first = vkey.indexOf("+"), second = vkey.indexOf("+", first + 1);
      var raw = b64(vkey.slice(second + 1));
      if (raw[0] !== 0x04 || raw.length !== 33) throw new Error("witness " + parts[0] + " has no cosignature key");
      return { name: parts[0], keyName: vkey.slice(0, first), id: vkey.slice(first + 1, second), key: raw.slice(1) };
    });
  }

  // The names of the pinned witnesses whose cosignature/v1 line verifies: over
  // "cosignature/v1\ntime <t>\n" and the note text, t the line's 8-byte big-endian time. A
  // witness's line that does not verify, or a second one, is a refusal.
  async function cosigners(text, sigs, pinned) {
    var out = [];
    for (var w = 0; w < pinned.length; w++) {
      var wit = pinned[w], seen = false;
      for (var i = 0; i < sigs.length; i++) {
        var m = /^\u2014 (\S+) (\S+)$/.exec(sigs[i]);
        if (!m || m[1] !== wit.keyName) continue;
        var blob = b64(m[2]);
        if (hex(blob.slice(0, 4)) !== wit.id) continue;
        if (seen) throw new Error("witness " + wit.name + " co-signs the checkpoint more than once");
        seen = true;
        var time = blob.length === 76 ? new DataView(blob.buffer, 4, 8).getBigUint64(0) : null;
        var key = await crypto.subtle.importKey("raw", wit.key, { name: "Ed25519" }, false, ["verify"]);
        var message = "cosignature/v1\ntime " + String(time) + "\n" + text;
        if (time === null || !(await crypto.subtle.verify({ name: "Ed25519" }, key, blob.slice(12), enc.encode(message)))) {
          throw new Error("the cosignature of witness " + wit.name + " does not verify");
        }
        out.push(wit.name);
      }
    }
    return out;
  }

  // What the entries say of the witnesses: none when the policy wants none.
  function witnessing(cp, pin) {
    if (!(pin.quorum > 0)) return "";
    return cp.witnessed.length >= pin.quorum
      ? ", witnessed by " + cp.witnessed.join(", ")
      : ", not yet witnessed (" + cp.witnessed.length + " of " + pin.quorum + " cosignatures)";
  }

  function mark(li, ok, why) {
    li.classList.add(ok ? "ledger-verified" : "ledger-unverified");
    li.setAttribute("data-verified", ok ? "true" : "false");
    var state = li.querySelector("[data-ledger-state]");
    if (state) {
      state.textContent = ok ? "verified" : "not verified";
      if (why) state.setAttribute("title", why);
    }
  }

  // The largest power of two smaller than n (n >= 2), as RFC 6962 splits a tree.
  function split(n) {
    var k = 1;
    while (k * 2 < n) k *= 2;
    return k;
  }

  // The hashes of one tree (a checkpoint's size) read from the log's tiles: a tile at level L
  // holds the hashes of subtrees of 256^L leaves, 256 to a full tile; the right edge of the
  // tree is in partial tiles `.p/<width>`. Tiles and subtree hashes are fetched and computed
  // once, for every entry of the page.
  function Tree(base, size) {
    this.base = base;
    this.size = size;
    this.tiles = new Map();
    this.nodes = new Map();
  }
  Tree.prototype.tile = function (level, index) {
    var inLevel = Math.floor(this.size / Math.pow(256, level));
    var width = Math.min(256, inLevel - index * 256);
    var n = String(index % 1000).padStart(3, "0");
    for (var rest = Math.floor(index / 1000); rest > 0; rest = Math.floor(rest / 1000)) {
      n = "x" + String(rest % 1000).padStart(3, "0") + "/" + n;
    }
    var url = this.base + level + "/" + n + (width < 256 ? ".p/" + width : "");
    if (!this.tiles.has(url)) {
      this.tiles.set(url, fetch(url).then(function (res) {
        if (!res.ok) throw new Error("tile " + url + ": HTTP " + res.status);
        return res.arrayBuffer();
      }).then(function (buf) {
        if (buf.byteLength !== width * 32) throw new Error("tile " + url + " has the wrong length");
        return new Uint8Array(buf);
      }));
    }
    return this.tiles.get(url);
  };
  // The hash of the complete subtree of 2^height leaves at position `index` of its height.
  Tree.prototype.subtree = function (height, index) {
    var key = height + ":" + index;
    if (!this.nodes.has(key)) {
      var self = this;
      var level = Math.floor(height / 8), span = Math.pow(2, height % 8);
      var first = index * span;
      this.nodes.set(key, this.tile(level, Math.floor(first / 256)).then(async function (bytes) {
        var at = first % 256;
        var row = [];
        for (var i = 0; i < span; i++) row.push(bytes.slice((at + i) * 32, (at + i + 1) * 32));
        while (row.length > 1) {
          var up = [];
          for (var j = 0; j < row.length; j += 2) up.push(await nodeHash(row[j], row[j + 1]));
          row = up;
        }
        return row[0];
      }));
    }
    return this.nodes.get(key);
  };
  // MTH of the leaves lo..hi (RFC 6962 section 2.1).
  Tree.prototype.range = async function (lo, hi) {
    var n = hi - lo;
    var height = Math.log2(n);
    if (Number.isInteger(height) && lo % n === 0) return this.subtree(height, lo / n);
    var k = split(n);
    return nodeHash(await this.range(lo, lo + k), await this.range(lo + k, hi));
  };
  // The audit path of leaf `index` (RFC 6962 section 2.1.1), from the leaf up.
  Tree.prototype.path = async function (index) {
    var path = [], lo = 0, hi = this.size;
    while (hi - lo > 1) {
      var k = split(hi - lo);
      if (index < lo + k) {
        path.unshift(await this.range(lo + k, hi));
        hi = lo + k;
      } else {
        path.unshift(await this.range(lo, lo + k));
        lo += k;
      }
    }
    return path;
  };

  var words = function (s) { return s.replace(/\s+/g, " ").trim(); };

  // A note's pieces, as shown: [tag, words, href] per element or run of text.
  function shownParts(el) {
    var out = [];
    el.childNodes.forEach(function (n) {
      if (n.nodeType === 3) {
        var last = out[out.length - 1];
        if (last && last[0] === "") last[1] = words(last[1] + " " + n.textContent);
        else out.push(["", words(n.textContent), null]);
      } else if (n.nodeType === 1) {
        out.push([n.tagName.toLowerCase(), words(n.textContent), n.getAttribute("href")]);
      }
    });
    return out.filter(function (p) { return p[0] !== "" || p[1] !== ""; });
  }

  // Reads the summary again from the stored line; false (and the line's summary shown) when
  // the one served is not the line's. A note is compared piece by piece, links' addresses
  // included, and shown again from the line's pieces.
  function summaryAgrees(li) {
    var shown = li.querySelector("[data-ledger-summary]");
    var line = li.querySelector("[data-ledger-line]");
    if (!shown || !line) return true;
    var entry;
    try { entry = JSON.parse(line.textContent); } catch (e) { return false; }
    var own = ancapexLedgerSummary(entry && entry.type, entry && entry.body);
    if (entry && entry.type === "note") {
      var parts = ancapexNoteParts(own);
      var want = parts.map(function (p) { return [p.tag, words(p.text), p.tag === "a" ? p.href : null]; })
        .filter(function (p) { return p[0] !== "" || p[1] !== ""; });
      if (JSON.stringify(shownParts(shown)) === JSON.stringify(want)) return true;
      shown.textContent = "";
      parts.forEach(function (p) {
        if (!p.tag) { shown.appendChild(document.createTextNode(p.text)); return; }
        var el = document.createElement(p.tag);
        el.textContent = p.text;
        if (p.tag === "a") el.setAttribute("href", p.href);
        shown.appendChild(el);
      });
      return false;
    }
    if (words(shown.textContent) === words(own)) return true;
    shown.textContent = own;
    return false;
  }

  async function checkEntry(li, tree, cp, pin) {
    var seq = Number(li.getAttribute("data-seq"));
    if (!(seq < cp.size)) return;
    try {
      var line = li.querySelector("[data-ledger-line]").textContent;
      var leaf = await leafHash(enc.encode(line));
      var root = await inclusionRoot(seq, cp.size, leaf, await tree.path(seq));
      if (!equal(root, cp.root)) throw new Error("entry is not in the signed tree");
      mark(li, true, "the stored line (leaf " + hex(leaf) + ") is in the tree of " + cp.size +
        " entries signed by the pinned key" + witnessing(cp, pin) + ", and the summary is read from it");
      if (pin.quorum > 0) {
        var state = li.querySelector("[data-ledger-state]");
        var met = cp.witnessed.length >= pin.quorum;
        li.setAttribute("data-witnessed", met ? "true" : "false");
        if (state) state.textContent = met ? "verified, witnessed" : "verified, not yet witnessed";
      }
    } catch (e) {
      mark(li, false, e && e.message ? e.message : String(e));
    }
  }

  async function checkList(list, pin, items) {
    var cp;
    try {
      var res = await fetch(list.getAttribute("data-ledger-checkpoint"), { cache: "no-cache" });
      if (!res.ok) throw new Error("checkpoint: HTTP " + res.status);
      cp = await checkNote(await res.text(), pin);
    } catch (e) {
      items.forEach(function (li) { mark(li, false, e && e.message ? e.message : String(e)); });
      return;
    }
    var tree = new Tree(list.getAttribute("data-ledger-tiles"), cp.size);
    items.forEach(function (li) { checkEntry(li, tree, cp, pin); });
  }

  function run() {
    var canVerify = window.crypto && crypto.subtle;
    document.querySelectorAll("[data-ledger-verify]").forEach(function (list) {
      var pin = {
        key: list.getAttribute("data-ledger-key"),
        name: list.getAttribute("data-ledger-key-name"),
        id: list.getAttribute("data-ledger-key-id"),
        origin: list.getAttribute("data-ledger-origin"),
        quorum: Number(list.getAttribute("data-ledger-quorum") || 0),
        witnesses: [],
      };
      try {
        pin.witnesses = witnesses(list.getAttribute("data-ledger-witnesses"));
      } catch (e) {
        list.querySelectorAll("li[data-seq]").forEach(function (li) { mark(li, false, e.message); });
        return;
      }
      var agreeing = [];
      list.querySelectorAll("li[data-seq]").forEach(function (li) {
        // The summary is the line's whether or not the line can be verified here.
        if (!summaryAgrees(li)) {
          mark(li, false, "the summary served was not the stored line's; the line's is shown");
          return;
        }
        agreeing.push(li);
      });
      if (!canVerify || !pin.key || !list.getAttribute("data-ledger-checkpoint") || !list.getAttribute("data-ledger-tiles")) return;
      checkList(list, pin, agreeing);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
