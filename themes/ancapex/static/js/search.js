// Site search, in the browser, with no service behind it: loads the index the build wrote
// (its URL is in the form's data-search-index), matches every word of the query against each
// entry's title, summary and text, and lists the best matches under the form. The status line
// is a polite live region, so screen readers hear how many results there are. Without
// JavaScript the form still submits to this page, which links to every section.
(function () {
  "use strict";
  var form = document.querySelector("[data-search]");
  if (!form) return;
  var input = form.querySelector("input[type=search]");
  var list = document.querySelector("[data-search-results]");
  var status = document.querySelector("[data-search-status]");
  var MAX = 20;
  var entries = null;

  function load() {
    if (!entries) {
      entries = fetch(form.getAttribute("data-search-index"))
        .then(function (r) {
          if (!r.ok) throw new Error("search index: HTTP " + r.status);
          return r.json();
        })
        .then(function (index) {
          return index.entries.map(function (e) {
            e.hay = [e.title, e.summary, e.text, e.url].join(" ").toLowerCase();
            e.low = e.title.toLowerCase();
            return e;
          });
        });
    }
    return entries;
  }

  function score(e, terms) {
    var total = 0;
    for (var i = 0; i < terms.length; i++) {
      var t = terms[i];
      if (e.hay.indexOf(t) < 0) return 0;
      total += 1;
      if (e.low.indexOf(t) >= 0) total += 4;
      if (e.url.toLowerCase().indexOf(t) >= 0) total += 2;
    }
    return total;
  }

  function show(query, found) {
    while (list.firstChild) list.removeChild(list.firstChild);
    found.slice(0, MAX).forEach(function (e) {
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
      list.appendChild(li);
    });
    list.hidden = found.length === 0;
    status.textContent = query
      ? found.length + (found.length === 1 ? " result" : " results") + " for \u201c" + query + "\u201d" +
        (found.length > MAX ? ", the first " + MAX + " shown" : "")
      : "";
  }

  var pending = 0;
  function run() {
    var query = input.value.trim();
    var terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    var ticket = ++pending;
    if (!terms.length) {
      show("", []);
      return;
    }
    load().then(function (all) {
      if (ticket !== pending) return;
      var found = all
        .map(function (e) { return { e: e, s: score(e, terms) }; })
        .filter(function (x) { return x.s > 0; })
        .sort(function (a, b) { return b.s - a.s; })
        .map(function (x) { return x.e; });
      show(query, found);
    }, function () {
      status.textContent = "Search is unavailable; the links below lead to every section.";
    });
  }

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
