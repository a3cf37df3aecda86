// Site search, in the browser, with no service behind it and no framework. The build writes a
// sharded index under /search/index/ (its entry point is the form's data-search-index): a
// meta file with the first word of each shard, the shards (each word with its document
// frequency and its heaviest postings, document and BM25 weight), and the shown fields of the
// documents in chunks of 32. A query fetches the meta once, the shard of each of its words
// (the last word, as typed, also matches as a prefix) and the chunks of the results it shows;
// each file is fetched once per visit. Every word must match, except words so common that
// only their heaviest postings are kept, which only add to the score. The status line is a
// polite live region, so screen readers hear how many results there are. Without JavaScript
// the form still submits to this page, which links to every section.
(function () {
  "use strict";
  var form = document.querySelector("[data-search]");
  if (!form) return;
  var input = form.querySelector("input[type=search]");
  var list = document.querySelector("[data-search-results]");
  var status = document.querySelector("[data-search-status]");
  var PAGE = 10;
  var base = form.getAttribute("data-search-index").replace(/[^/]*$/, "");
  var files = new Map();

  function get(path) {
    if (!files.has(path)) {
      files.set(path, fetch(base + path).then(function (r) {
        if (!r.ok) throw new Error("search index: HTTP " + r.status);
        return r.json();
      }));
    }
    return files.get(path);
  }

  // The words of a text as the build indexes them: runs of letters and digits, lowercased,
  // with a plural's s taken off (Harman's S stemmer, as src/render/search.rs does).
  function stem(w) {
    var n = w.length;
    if (n < 3 || w[n - 1] !== "s") return w;
    var p = w[n - 2];
    if (p === "u" || p === "s") return w;
    if (p === "e") {
      if (n > 3 && w[n - 3] === "i" && w[n - 4] !== "a" && w[n - 4] !== "e") return w.slice(0, n - 3) + "y";
      if ("iaoe".indexOf(w[n - 3]) >= 0) return w;
    }
    return w.slice(0, n - 1);
  }
  function words(text) {
    return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) || [])
      .filter(function (w) { return Array.from(w).length <= 40; })
      .map(stem);
  }

  // The shard that holds `word`: the last whose first word is not after it, comparing UTF-8
  // bytes as the build sorts words.
  var utf8 = new TextEncoder();
  function before(a, b) {
    var x = utf8.encode(a), y = utf8.encode(b);
    for (var i = 0; i < x.length && i < y.length; i++) if (x[i] !== y[i]) return x[i] < y[i];
    return x.length <= y.length;
  }
  function shardOf(meta, word) {
    var lo = 0, hi = meta.shards.length - 1;
    while (lo < hi) {
      var mid = Math.ceil((lo + hi) / 2);
      if (before(meta.shards[mid], word)) lo = mid; else hi = mid - 1;
    }
    return lo;
  }

  // The postings of `word` as {df, docs: Map(doc -> weight)}; with `prefix`, of every word
  // starting with it (the heaviest weight of each document), from at most three shards.
  async function postings(meta, word, prefix) {
    var first = shardOf(meta, word);
    var last = prefix ? shardOf(meta, word + "\uffff") : first;
    var out = { df: 0, complete: true, docs: new Map() };
    for (var s = first, read = 0; s <= last && read < 3; s++) {
      // A shard whose first word is the next one's is empty (a word before it filled more
      // than its share): skipped, not counted.
      if (s > first && meta.shards[s + 1] === meta.shards[s]) continue;
      read += 1;
      var shard = await get("t/" + s + ".json");
      var keys = prefix ? Object.keys(shard).filter(function (k) { return k.indexOf(word) === 0; }) : [word];
      keys.forEach(function (k) {
        var p = shard[k];
        if (!p) return;
        out.df += p[0];
        if (p[0] > (p.length - 1) / 2) out.complete = false;
        var doc = 0;
        for (var i = 1; i < p.length; i += 2) {
          doc += p[i];
          out.docs.set(doc, Math.max(out.docs.get(doc) || 0, p[i + 1]));
        }
      });
    }
    return out;
  }

  // Documents ranked by the sum of idf x weight of the query's words.
  async function search(query) {
    var meta = await get("meta.json");
    var terms = words(query);
    var open = /[\p{L}\p{N}]$/u.test(query);
    var lists = await Promise.all(terms.map(function (t, i) {
      return postings(meta, t, open && i === terms.length - 1 && t.length >= 3);
    }));
    var n = meta.docs;
    // Complete lists must all match. Lists cut to their heaviest postings only add to the
    // score, unless every list is cut: then the documents in the most of them come first.
    var required = lists.filter(function (l) { return l.complete; });
    var cut = !required.length;
    if (cut) required = lists;
    if (!required.length) return { docs: [], count: 0, estimate: false };
    var found = new Map();
    var start = cut ? lists : [required.slice().sort(function (a, b) { return a.docs.size - b.docs.size; })[0]];
    start.forEach(function (l) {
      l.docs.forEach(function (_, doc) {
        if (!found.has(doc) && (cut || required.every(function (r) { return r.docs.has(doc); }))) {
          found.set(doc, { matched: 0, score: 0 });
        }
      });
    });
    lists.forEach(function (l) {
      var idf = Math.log(1 + (n - l.df + 0.5) / (l.df + 0.5));
      found.forEach(function (f, doc) {
        var w = l.docs.get(doc);
        if (w) {
          f.matched += 1;
          f.score += idf * w;
        }
      });
    });
    var ranked = Array.from(found).sort(function (a, b) {
      return b[1].matched - a[1].matched || b[1].score - a[1].score || a[0] - b[0];
    }).map(function (x) { return x[0]; });
    // With every list cut the count is an estimate: the share of documents holding every
    // word, as if the words were independent.
    var count = cut
      ? Math.round(lists.reduce(function (e, l) { return e * Math.min(1, l.df / n); }, n))
      : ranked.length;
    return { docs: ranked, count: count, estimate: cut };
  }

  // The shown fields of documents, from their chunks.
  function shown(meta, docs) {
    return Promise.all(docs.map(function (d) {
      return get("d/" + Math.floor(d / meta.chunk) + ".json").then(function (chunk) {
        var e = chunk[d % meta.chunk];
        return { title: e[0], url: e[1], kind: e[2], summary: e[3] };
      });
    }));
  }

  var found = [];
  var count = 0;
  var estimate = false;
  var showing = 0;
  var more = document.createElement("button");
  more.type = "button";
  more.className = "button search-more";
  more.setAttribute("data-search-more", "");
  more.textContent = "More results";
  more.hidden = true;
  list.parentNode.insertBefore(more, list.nextSibling);

  function item(e) {
    var li = document.createElement("li");
    li.className = "search-result";
    var a = document.createElement("a");
    a.href = e.url;
    a.textContent = e.title;
    var kind = document.createElement("span");
    kind.className = "search-kind";
    kind.textContent = e.kind;
    var p = document.createElement("p");
    p.textContent = e.summary;
    li.appendChild(a);
    li.appendChild(document.createTextNode(" "));
    li.appendChild(kind);
    li.appendChild(p);
    return li;
  }

  function say(query) {
    var text = estimate
      ? "about " + count.toLocaleString("en") + " results"
      : count.toLocaleString("en") + (count === 1 ? " result" : " results");
    status.textContent = query
      ? text + " for \u201c" + query + "\u201d" + (count > showing ? ", the best " + showing + " shown" : "")
      : "";
  }

  async function showMore(query, ticket) {
    var meta = await get("meta.json");
    var next = found.slice(showing, showing + PAGE);
    var entries = await shown(meta, next);
    if (ticket !== pending) return;
    entries.forEach(function (e) { list.appendChild(item(e)); });
    showing += next.length;
    list.hidden = showing === 0;
    more.hidden = showing >= found.length;
    say(query);
  }

  var pending = 0;
  function run() {
    var query = input.value.trim();
    var ticket = ++pending;
    if (!words(query).length) {
      found = [];
      count = 0;
      estimate = false;
      showing = 0;
      while (list.firstChild) list.removeChild(list.firstChild);
      list.hidden = true;
      more.hidden = true;
      say("");
      return;
    }
    search(query).then(function (result) {
      if (ticket !== pending) return;
      found = result.docs;
      count = result.count;
      estimate = result.estimate;
      showing = 0;
      while (list.firstChild) list.removeChild(list.firstChild);
      return showMore(query, ticket);
    }).catch(function () {
      if (ticket === pending) status.textContent = "Search is unavailable; the links below lead to every section.";
    });
  }

  more.addEventListener("click", function () {
    showMore(input.value.trim(), pending);
  });
  var timer = 0;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(run, 120);
  });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    history.replaceState(null, "", "?q=" + encodeURIComponent(input.value.trim()));
    run();
  });
  var q = new URLSearchParams(location.search).get("q");
  if (q) {
    input.value = q;
    run();
  }
})();
