// Checks every ledger entry shown on the page, in the browser, with no dependencies: the
// entry's stored line is hashed as an RFC 6962 leaf, its C2SP tlog-proof is fetched, the
// inclusion path is checked against the proof's checkpoint, and the checkpoint's Ed25519
// signature is checked (WebCrypto) against the verifier key pinned in the page's data
// attributes. Each entry is then marked verified or not verified. Without JavaScript the
// entries and their proof links are still there.
(function () {
  "use strict";
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

  function parseProof(text) {
    var split = text.indexOf("\n\n");
    if (split < 0) throw new Error("no checkpoint in the proof");
    var head = text.slice(0, split).split("\n");
    var note = text.slice(split + 2);
    if (head.shift() !== "c2sp.org/tlog-proof@v1") throw new Error("not a tlog-proof");
    if (head[0] && head[0].indexOf("extra ") === 0) head.shift();
    var m = /^index (\d+)$/.exec(head.shift() || "");
    if (!m) throw new Error("no index line");
    return { index: Number(m[1]), path: head.map(b64), note: note };
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
      return { size: Number(lines[1]), root: b64(lines[2]) };
    })();
    verifiedNotes.set(note, result);
    return result;
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

  async function checkEntry(li, pin) {
    var proofUrl = li.getAttribute("data-proof");
    if (!proofUrl) return;
    try {
      var line = li.querySelector("[data-ledger-line]").textContent;
      var leaf = await leafHash(enc.encode(line));
      var res = await fetch(proofUrl, { cache: "no-cache" });
      if (!res.ok) throw new Error("proof not found");
      var proof = parseProof(await res.text());
      if (String(proof.index) !== li.getAttribute("data-seq")) throw new Error("proof is for another entry");
      var cp = await checkNote(proof.note, pin);
      var root = await inclusionRoot(proof.index, cp.size, leaf, proof.path);
      if (!equal(root, cp.root)) throw new Error("entry is not in the signed tree");
      mark(li, true, "leaf " + hex(leaf) + " is in the tree of " + cp.size + " entries");
    } catch (e) {
      mark(li, false, e && e.message ? e.message : String(e));
    }
  }

  function run() {
    if (!window.crypto || !crypto.subtle) return;
    document.querySelectorAll("[data-ledger-verify]").forEach(function (list) {
      var pin = {
        key: list.getAttribute("data-ledger-key"),
        name: list.getAttribute("data-ledger-key-name"),
        id: list.getAttribute("data-ledger-key-id"),
        origin: list.getAttribute("data-ledger-origin"),
      };
      if (!pin.key) return;
      list.querySelectorAll("li[data-seq]").forEach(function (li) { checkEntry(li, pin); });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
