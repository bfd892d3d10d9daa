/* Flattr button loader, compatible with Flattr's /js/0.6/load.js.
 *
 *   <a class="FlattrButton" href="URL" title="Title"
 *      rel="flattr;uid:USER;category:text;tags:a,b;language:en_GB;button:compact;">Description</a>
 *   <a class="FlattrButton" href="https://flattr.example/thing/1/" data-flattr-uid="USER"
 *      data-flattr-url="URL" data-flattr-button="compact">Flattr this</a>
 *   <script src="https://flattr.example/js/load.js?mode=auto" async></script>
 *
 * Every matching anchor becomes an iframe button (large 55x62 with the count, or compact
 * 110x20); without JavaScript the anchor simply stays a link. One script serves any number of
 * buttons. API: FlattrLoader.setup() scans the page again; FlattrLoader.render(params, target,
 * method) draws one button (method: replace, append, prepend, before, after).
 * Script options (query string): mode=auto|manual, uid, button, category, language,
 * html5-key-prefix (default data-flattr).
 */
(function (window, document) {
  "use strict";
  if (window.FlattrLoader && window.FlattrLoader.isFlattrLoader) {
    window.FlattrLoader.setup();
    return;
  }

  function findScript() {
    if (document.currentScript) { return document.currentScript; }
    var scripts = document.getElementsByTagName("script");
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (/\/js\/(0\.6\/)?load\.js(\?|$)/.test(scripts[i].src)) { return scripts[i]; }
    }
    return null;
  }

  var script = findScript();
  var scriptUrl = new URL(script ? script.src : "/js/load.js", document.baseURI);
  var ORIGIN = scriptUrl.origin;
  var SIZES = { large: [55, 62], compact: [110, 20] };
  // Parameters that name a platform account alone: platform + account, and each platform's
  // own older parameter, which /js/load.js fills in from the server's platform registry.
  var ACCOUNT_KEYS = ["account"].concat(/*platform-params*/[]);
  var KEYS = ["uid", "url", "title", "description", "category", "language", "tags", "button",
              "hidden", "platform"].concat(ACCOUNT_KEYS);
  var DESCRIPTION_MAX = 1000;
  var options = { mode: "auto", "html5-key-prefix": "data-flattr" };
  scriptUrl.searchParams.forEach(function (value, key) { options[key] = value; });

  function parseRel(rel) {
    // "flattr;uid:pat;category:text;tags:a,b;" -> {uid: "pat", category: "text", tags: "a,b"}
    var result = {};
    (rel || "").split(";").forEach(function (part) {
      var colon = part.indexOf(":");
      if (colon > 0) { result[part.slice(0, colon).trim()] = part.slice(colon + 1).trim(); }
    });
    return result;
  }

  function namesAccount(params) {
    return ACCOUNT_KEYS.some(function (key) { return !!params[key]; });
  }

  function paramsFrom(anchor) {
    var params = {};
    ["uid", "category", "language", "button"].forEach(function (key) {
      if (options[key]) { params[key] = options[key]; }
    });
    var rel = anchor.getAttribute("rel") || "";
    if (rel.indexOf("flattr") === 0) {
      var fromRel = parseRel(rel);
      Object.keys(fromRel).forEach(function (key) { params[key] = fromRel[key]; });
    }
    var prefix = options["html5-key-prefix"];
    KEYS.forEach(function (key) {
      var value = anchor.getAttribute(prefix + "-" + key);
      if (value !== null && value !== "") { params[key] = value; }
    });
    var text = (anchor.textContent || "").replace(/\s+/g, " ").trim();
    if (!params.url && !(namesAccount(params) && !params.uid)) { params.url = anchor.href; }
    if (!params.title) { params.title = anchor.getAttribute("title") || text || document.title; }
    if (!params.description && text && text !== params.title) { params.description = text; }
    return params;
  }

  function iframeFor(params) {
    var type = params.button === "compact" ? "compact" : "large";
    var query = new URLSearchParams();
    KEYS.forEach(function (key) {
      var value = params[key];
      if (value === undefined || value === null || value === "") { return; }
      value = String(value);
      if (key === "description") { value = value.slice(0, DESCRIPTION_MAX); }
      query.set(key, value);
    });
    query.set("button", type);
    var iframe = document.createElement("iframe");
    iframe.src = ORIGIN + "/button/view/?" + query.toString();
    iframe.width = String(SIZES[type][0]);
    iframe.height = String(SIZES[type][1]);
    iframe.title = "Flattr" + (params.title ? ": " + params.title : "");
    iframe.className = "FlattrButton FlattrButton-" + type;
    iframe.setAttribute("scrolling", "no");
    iframe.setAttribute("frameborder", "0");
    iframe.setAttribute("loading", "lazy");
    iframe.style.border = "0";
    iframe.style.overflow = "hidden";
    iframe.style.verticalAlign = "middle";
    return iframe;
  }

  function place(iframe, target, method) {
    if (typeof target === "string") { target = document.getElementById(target); }
    if (!target) { return null; }
    switch (method || "replace") {
      case "append": target.appendChild(iframe); break;
      case "prepend": target.insertBefore(iframe, target.firstChild); break;
      case "before": target.parentNode.insertBefore(iframe, target); break;
      case "after": target.parentNode.insertBefore(iframe, target.nextSibling); break;
      default: target.parentNode.replaceChild(iframe, target);
    }
    return iframe;
  }

  function render(params, target, method) {
    if (!params || !((params.url && params.uid) || namesAccount(params))) { return null; }
    return place(iframeFor(params), target, method);
  }

  function setup() {
    var prefix = options["html5-key-prefix"];
    var selector = "a.FlattrButton, a[" + prefix + "-uid], a[" + prefix + "-url]";
    var anchors = document.querySelectorAll(selector);
    var drawn = 0;
    for (var i = 0; i < anchors.length; i++) {
      var anchor = anchors[i];
      if (anchor.getAttribute("data-flattr-loaded")) { continue; }
      anchor.setAttribute("data-flattr-loaded", "1");
      if (render(paramsFrom(anchor), anchor, "replace")) { drawn++; }
    }
    return drawn;
  }

  window.FlattrLoader = {
    isFlattrLoader: true,
    origin: ORIGIN,
    options: options,
    setup: setup,
    render: render
  };

  if (options.mode !== "manual") {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", setup);
    } else {
      setup();
    }
  }
}(window, document));
