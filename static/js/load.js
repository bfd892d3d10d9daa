/* Flattr button loader, compatible with every Flattr loader path (/js/0.5.0/load.js,
 * /js/0.6/load.js, /js/load.js …) and every markup variant old sites carry:
 *
 *   <a class="FlattrButton" href="URL" title="Title"
 *      rel="flattr;uid:USER;category:text;tags:a,b;language:en_GB;button:compact;">Description</a>
 *   <a class="FlattrButton" style="display:none" href="URL" rev="flattr;uid:USER;button:compact;">…</a>
 *   <a class="FlattrButton" href="…" data-flattr-uid="USER" data-flattr-url="URL"
 *      data-flattr-button="compact">Flattr this</a>
 *   <script src="https://flattr.example/js/0.6/load.js?mode=auto&uid=USER&button=compact"></script>
 *
 * Every matching anchor becomes an iframe button (large 55x62 with the count, or compact
 * 110x20). Without JavaScript the anchor stays a link. One script serves any number of buttons.
 *
 * Script options (query string): mode=auto|manual, and defaults for the buttons: uid, button,
 * category, language, popout, hidden; html5-key-prefix (default data-flattr); https (accepted;
 * the buttons always come from the origin this script was loaded from).
 *
 * API, callable at any time, before or after the page has loaded, any number of times:
 *   FlattrLoader.setup()                   draw every button not yet drawn; returns how many
 *   FlattrLoader.render(params, target, method)
 *       params: {uid, url, title, description, category, language, tags, button, hidden}
 *       target: an element or an element id (an id not on the page yet is waited for until the
 *       page has loaded, then ignored); method: replace (default), append, prepend, before, after
 *
 * Nothing here may break the host page: every entry point catches its own errors.
 */
(function (window, document) {
  "use strict";

  var SCRIPT_PATH = /\/(js\/([0-9][0-9.]*\/)?load\.js|api\/flattr\.js|button\/load\.js)(\?|#|$)/;
  var SIZES = { large: [55, 62], compact: [110, 20] };
  // Parameters that name a platform account alone: platform + account, and each platform's
  // own older parameter, which /js/load.js fills in from the server's platform registry.
  var ACCOUNT_KEYS = ["account"].concat(/*platform-params*/[]);
  var KEYS = ["uid", "url", "title", "description", "category", "language", "tags", "button",
              "hidden", "popout", "platform"].concat(ACCOUNT_KEYS);
  var CATEGORIES = ["text", "images", "video", "audio", "software", "people", "rest"];
  var LANGUAGE = /^[a-z]{2,3}([_-][a-z]{2})?$/i;
  var TITLE_MAX = 100;
  var DESCRIPTION_MAX = 1000;
  var TAGS_MAX = 20;
  // Link texts that are a call to action, not a title ("Flattr this!", "Flattr").
  var GENERIC_TEXT = /^(flattr( (this|me|us|it|my work))?!?|donate|support( me| us)?)\.?$/i;

  function report(error) {
    try {
      if (window.console && window.console.warn) { window.console.warn("Flattr:", error); }
    } catch (ignored) { /* nothing */ }
  }

  function guarded(fn, fallback) {
    return function () {
      try { return fn.apply(this, arguments); } catch (error) { report(error); return fallback; }
    };
  }

  function findScript() {
    if (document.currentScript && document.currentScript.src) { return document.currentScript; }
    var scripts = document.getElementsByTagName("script");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (SCRIPT_PATH.test(scripts[i].src || "")) { return scripts[i]; }
    }
    return null;
  }

  function readOptions(url) {
    var options = { mode: "auto", "html5-key-prefix": "data-flattr" };
    url.searchParams.forEach(function (value, key) {
      key = key.toLowerCase();
      if (key === "lang") { key = "language"; }
      options[key] = value;
    });
    if (!/^[a-z][a-z0-9-]*$/i.test(options["html5-key-prefix"])) {
      options["html5-key-prefix"] = "data-flattr";
    }
    return options;
  }

  // A second loader on the same page (another version, or added late): keep the first one, let
  // it take this script's defaults for anchors it has not drawn yet, and scan again.
  if (window.FlattrLoader && window.FlattrLoader.isFlattrLoader) {
    try {
      var again = findScript();
      var extra = again ? readOptions(new URL(again.src, document.baseURI)) : { mode: "auto" };
      window.FlattrLoader.options.extra = extra;
      if (extra.mode !== "manual") {
        if (document.readyState === "loading") {
          document.addEventListener("DOMContentLoaded", window.FlattrLoader.setup);
        } else {
          window.FlattrLoader.setup();
        }
      }
    } catch (error) { report(error); }
    return;
  }

  var ORIGIN = "";
  var options = { mode: "auto", "html5-key-prefix": "data-flattr" };
  try {
    var script = findScript();
    var scriptUrl = new URL(script ? script.src : "/js/load.js", document.baseURI);
    ORIGIN = scriptUrl.origin;
    options = readOptions(scriptUrl);
  } catch (error) {
    report(error);
    return;
  }

  function namesAccount(params) {
    return ACCOUNT_KEYS.some(function (key) { return !!params[key]; });
  }

  function parseFlattrList(text) {
    // "nofollow flattr;uid:pat;category:text;tags:a,b;" -> {uid: "pat", category: "text", …}
    var result = {};
    var start = text.toLowerCase().indexOf("flattr;");
    if (start < 0) { return result; }
    text.slice(start + 7).split(";").forEach(function (part) {
      var colon = part.indexOf(":");
      if (colon > 0) {
        var key = part.slice(0, colon).trim().toLowerCase();
        if (key === "lang") { key = "language"; }
        result[key] = part.slice(colon + 1).trim();
      }
    });
    return result;
  }

  function attribute(element, name) {
    var value = element.getAttribute(name);
    return value === null ? "" : String(value).trim();
  }

  function defaults(params) {
    var extra = options.extra || {};
    ["uid", "category", "language", "button", "popout", "hidden"].forEach(function (key) {
      var value = options[key] || extra[key];
      if (value) { params[key] = value; }
    });
    return params;
  }

  function paramsFrom(anchor) {
    var params = defaults({});
    var lang = attribute(anchor, "lang") || attribute(anchor, "hreflang");
    if (lang) { params.language = lang; }
    [attribute(anchor, "rev"), attribute(anchor, "rel")].forEach(function (list) {
      var parsed = parseFlattrList(list);
      Object.keys(parsed).forEach(function (key) { if (parsed[key]) { params[key] = parsed[key]; } });
    });
    var prefix = options["html5-key-prefix"];
    KEYS.concat(["lang"]).forEach(function (key) {
      var value = attribute(anchor, prefix + "-" + key);
      if (value) { params[key === "lang" ? "language" : key] = value; }
    });
    var text = (anchor.textContent || "").replace(/\s+/g, " ").trim();
    var href = attribute(anchor, "href");
    // An anchor for a platform account alone (no uid) may link to the account's page for
    // readers without JavaScript; that link is not a thing's URL.
    var accountAlone = namesAccount(params) && !params.uid;
    if (!params.url && href && !accountAlone && !/^(#|javascript:|mailto:)/i.test(href)) {
      params.url = anchor.href;
    }
    if (!params.url && !namesAccount(params)) { params.url = window.location.href.split("#")[0]; }
    if (!params.title) { params.title = attribute(anchor, "title"); }
    if (!params.title && text && !GENERIC_TEXT.test(text) && text.length <= TITLE_MAX) {
      params.title = text;
    }
    if (!params.title && params.url === window.location.href.split("#")[0]) {
      params.title = document.title;
    }
    if (!params.description && text && text !== params.title && !GENERIC_TEXT.test(text)) {
      params.description = text;
    }
    return params;
  }

  function shorten(value, max) {
    value = String(value).replace(/\s+/g, " ").trim();
    if (value.length <= max) { return value; }
    var cut = value.slice(0, max - 1);
    var space = cut.lastIndexOf(" ");
    return (space > max / 2 ? cut.slice(0, space) : cut) + "\u2026";
  }

  function clean(params) {
    // Values the server would refuse are dropped (it then uses its defaults), so an old button
    // with a 300-character title or an unknown category still works.
    var out = {};
    KEYS.forEach(function (key) {
      var value = params[key];
      if (value === undefined || value === null) { return; }
      value = String(value).trim();
      if (value) { out[key] = value; }
    });
    if (out.title) { out.title = shorten(out.title, TITLE_MAX); }
    if (out.description) { out.description = shorten(out.description, DESCRIPTION_MAX); }
    if (out.category) {
      out.category = out.category.toLowerCase();
      if (CATEGORIES.indexOf(out.category) < 0) { delete out.category; }
    }
    if (out.language && !LANGUAGE.test(out.language)) { delete out.language; }
    if (out.tags) {
      out.tags = out.tags.split(",").map(function (tag) { return tag.trim().slice(0, 40); })
        .filter(Boolean).slice(0, TAGS_MAX).join(",");
    }
    if (out.hidden) { out.hidden = /^(1|true|yes|on)$/i.test(out.hidden) ? "1" : ""; }
    if (!out.hidden) { delete out.hidden; }
    delete out.popout; // the click always opens the confirmation window (see /migrate/)
    out.button = out.button && out.button.toLowerCase() === "compact" ? "compact" : "large";
    return out;
  }

  function iframeFor(params) {
    var type = params.button;
    var query = new URLSearchParams();
    Object.keys(params).forEach(function (key) { query.set(key, params[key]); });
    var iframe = document.createElement("iframe");
    iframe.src = ORIGIN + "/button/view/?" + query.toString();
    iframe.width = String(SIZES[type][0]);
    iframe.height = String(SIZES[type][1]);
    iframe.title = "Flattr" + (params.title ? ": " + params.title : "");
    iframe.className = "FlattrButton FlattrButton-" + type;
    iframe.setAttribute("scrolling", "no");
    iframe.setAttribute("frameborder", "0");
    iframe.setAttribute("allowtransparency", "true");
    iframe.style.border = "0";
    iframe.style.overflow = "hidden";
    iframe.style.verticalAlign = "middle";
    iframe.style.display = "inline-block";
    return iframe;
  }

  function place(iframe, target, method) {
    var parent = target.parentNode;
    switch (String(method || "replace").toLowerCase()) {
      case "append": target.appendChild(iframe); break;
      case "prepend": target.insertBefore(iframe, target.firstChild); break;
      case "before": if (!parent) { return null; } parent.insertBefore(iframe, target); break;
      case "after": if (!parent) { return null; } parent.insertBefore(iframe, target.nextSibling); break;
      default:
        if (!parent) { return null; }
        parent.replaceChild(iframe, target);
    }
    return iframe;
  }

  var waiting = [];

  function render(params, target, method) {
    if (!params || typeof params !== "object") { return null; }
    // The loader's query gives defaults; what the page passes wins.
    var merged = defaults({});
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      if (value !== undefined && value !== null && value !== "") { merged[key] = value; }
    });
    var cleaned = clean(merged);
    if (!cleaned.url && !namesAccount(cleaned)) { cleaned.url = window.location.href.split("#")[0]; }
    if (!cleaned.uid && !namesAccount(cleaned)) { return null; }
    var element = target;
    if (typeof target === "string") {
      element = document.getElementById(target.replace(/^#/, ""));
      if (!element) {
        // Pages call render() from the <head> with the id of an element still to come.
        if (document.readyState === "loading") { waiting.push([params, target, method]); }
        return null;
      }
    }
    if (!element || !element.nodeType) { return null; }
    return place(iframeFor(cleaned), element, method);
  }

  function selector() {
    var prefix = options["html5-key-prefix"];
    // Mostly anchors; a few sites put the class or the uid on a span or a div. Our own iframes
    // carry the FlattrButton class too, and are never drawn again.
    var not = ":not(iframe):not(script)";
    return ".FlattrButton" + not + ", [" + prefix + "-uid]" + not + ", a[" + prefix + "-url], " +
           "a[rel*='flattr;'], a[rev*='flattr;']";
  }

  function setup() {
    var anchors = document.querySelectorAll(selector());
    var drawn = 0;
    for (var i = 0; i < anchors.length; i++) {
      var anchor = anchors[i];
      if (anchor.getAttribute("data-flattr-loaded")) { continue; }
      anchor.setAttribute("data-flattr-loaded", "1");
      try {
        if (render(paramsFrom(anchor), anchor, "replace")) { drawn++; }
      } catch (error) { report(error); }
    }
    return drawn;
  }

  function flushWaiting() {
    var queue = waiting;
    waiting = [];
    queue.forEach(function (call) {
      try { render(call[0], call[1], call[2]); } catch (error) { report(error); }
    });
  }

  // Buttons that arrive after the page has loaded (infinite scroll, comments, single-page
  // apps) are drawn too, in auto mode: a light observer, at most one scan per frame.
  function watch() {
    if (!window.MutationObserver) { return; }
    var scheduled = false;
    new window.MutationObserver(function (mutations) {
      if (scheduled) { return; }
      for (var i = 0; i < mutations.length; i++) {
        if (mutations[i].addedNodes.length) {
          scheduled = true;
          window.setTimeout(function () { scheduled = false; guarded(setup)(); }, 50);
          return;
        }
      }
    }).observe(document.documentElement, { childList: true, subtree: true });
  }

  window.FlattrLoader = {
    isFlattrLoader: true,
    origin: ORIGIN,
    options: options,
    setup: guarded(setup, 0),
    render: guarded(render, null),
    // Flattr's loader had these too; pages that call them get the same effect.
    init: guarded(setup, 0),
    loadButtons: guarded(setup, 0)
  };

  function start() {
    flushWaiting();
    if (options.mode !== "manual") {
      setup();
      watch();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", guarded(start));
  } else {
    guarded(start)();
  }
}(window, document));
