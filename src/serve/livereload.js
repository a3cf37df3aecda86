// ancapex serve: live reload. Injected by `ancapex serve` only, never by `build`. Listens on
// /__ancapex/events: `reload` reloads the page, `css` swaps a stylesheet for its new
// fingerprinted URL, `problems` shows the build's problems over the page, `ok` hides them.
// Everything shown is set as text, never as markup; styles are set through the CSSOM, which
// the site's Content-Security-Policy allows.
(function () {
  "use strict";
  if (!window.EventSource) {
    return;
  }
  var overlay = null;

  function el(tag, text, css) {
    var e = document.createElement(tag);
    if (text) {
      e.textContent = text;
    }
    if (css) {
      e.style.cssText = css;
    }
    return e;
  }

  function hide() {
    if (overlay) {
      overlay.remove();
      overlay = null;
    }
  }

  function where(d) {
    if (!d.file) {
      return "";
    }
    if (d.line) {
      return d.file + ":" + d.line + ":" + d.column;
    }
    return d.file;
  }

  function show(data) {
    hide();
    var list = data.diagnostics || [];
    overlay = el("div", "", "position:fixed;inset:0;z-index:2147483647;overflow:auto;" +
      "background:rgba(20,20,24,0.94);color:#eee;font:14px/1.5 ui-monospace,monospace;padding:24px");
    overlay.id = "ancapex-problems";
    overlay.setAttribute("role", "alert");
    var hidden = data.hidden || { errors: 0, warnings: 0 };
    var errors = list.filter(function (d) { return d.severity === "error"; }).length +
      hidden.errors;
    var head = el("div", "", "display:flex;justify-content:space-between;align-items:center");
    head.appendChild(el("strong", "ancapex: the build has " + errors + " error" +
      (errors === 1 ? "" : "s") + "; the last good site is still served", "color:#ff8080"));
    var close = el("button", "close", "font:inherit;cursor:pointer");
    close.addEventListener("click", hide);
    head.appendChild(close);
    overlay.appendChild(head);
    // One card per problem: the terminal's report of it (message, place, the line with a caret,
    // help) when there is one, else its parts.
    list.forEach(function (d) {
      var box = el("div", "", "margin:16px 0;padding:12px;border-left:4px solid " +
        (d.severity === "error" ? "#ff8080" : "#ffd080") + ";background:#222");
      box.className = "ancapex-problem";
      if (d.rendered) {
        box.appendChild(el("pre", d.rendered, "margin:0;white-space:pre-wrap;font:inherit"));
      } else {
        var loc = where(d);
        if (loc) {
          box.appendChild(el("div", loc, "color:#9cf"));
        }
        box.appendChild(el("div", d.severity + ": " + d.message, "font-weight:bold"));
        if (d.label) {
          box.appendChild(el("div", d.label, "color:#ccc"));
        }
        if (d.help) {
          box.appendChild(el("div", "help: " + d.help, "color:#8f8"));
        }
      }
      overlay.appendChild(box);
    });
    // A run with many problems shows the first ones, as the terminal does.
    if (hidden.errors + hidden.warnings > 0) {
      overlay.appendChild(el("p", "… and " + (hidden.errors + hidden.warnings) +
        " more in the terminal (`--all-problems` shows every one)", "color:#ccc"));
    }
    document.body.appendChild(overlay);
  }

  function swap(moves) {
    var links = document.querySelectorAll("link[rel=stylesheet]");
    Array.prototype.forEach.call(links, function (link) {
      var path = new URL(link.href, location.href).pathname;
      moves.forEach(function (m) {
        if (m.from !== path) {
          return;
        }
        var next = link.cloneNode();
        if (link.integrity) {
          next.integrity = m.integrity;
        }
        next.href = m.to;
        next.addEventListener("load", function () { link.remove(); });
        link.after(next);
      });
    });
  }

  var events = new EventSource("/__ancapex/events");
  events.addEventListener("reload", function () { location.reload(); });
  events.addEventListener("ok", hide);
  events.addEventListener("problems", function (e) { show(JSON.parse(e.data)); });
  events.addEventListener("css", function (e) { swap(JSON.parse(e.data)); });
})();
