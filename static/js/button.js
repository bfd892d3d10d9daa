/* The button inside the iframe. A click opens the confirmation window on our origin (the iframe
   itself never moves money); that window posts {type: "flattr:flattred", count} back to us.
   We accept messages only from our own origin, and refresh the count when the window closes in
   case the message never came (for example after a two-factor step severed window.opener). */
(function () {
  "use strict";
  var root = document.getElementById("flattr-button");
  if (!root) { return; }
  var link = root.querySelector(".fb-action");
  var countEl = root.querySelector(".fb-count");
  var popup = null;
  var watch = null;
  var WIDTH = 480;
  var HEIGHT = 640;

  function show(count, flattred) {
    if (typeof count === "number" && isFinite(count) && count >= 0) {
      countEl.textContent = String(count);
    }
    if (flattred) {
      root.classList.add("is-flattred");
      link.setAttribute("aria-label", root.getAttribute("data-flattred-label") || "Flattred");
    }
  }

  function refresh() {
    if (!window.fetch) { return; }
    fetch(root.getAttribute("data-count-url"), { cache: "no-cache", credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { show(data.count, false); } })
      .catch(function () { /* offline: keep the old count */ });
  }

  function watchPopup() {
    if (watch) { window.clearInterval(watch); }
    watch = window.setInterval(function () {
      if (!popup || popup.closed) {
        window.clearInterval(watch);
        watch = null;
        popup = null;
        refresh();
      }
    }, 700);
  }

  link.addEventListener("click", function (event) {
    var left = Math.max(0, (window.screen.width - WIDTH) / 2);
    var top = Math.max(0, (window.screen.height - HEIGHT) / 3);
    var features = "popup=yes,width=" + WIDTH + ",height=" + HEIGHT + ",left=" + left + ",top=" + top;
    // A window of its own per click, so its opener is always this button.
    var name = "flattr_confirm_" + Math.random().toString(36).slice(2);
    var opened = window.open(link.href, name, features);
    if (opened) {
      // Otherwise the link opens in a new tab by itself (target=_blank rel=opener).
      event.preventDefault();
      popup = opened;
      try { popup.focus(); } catch (e) { /* ignore */ }
      watchPopup();
    }
  });

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin) { return; }
    var data = event.data;
    if (!data || data.type !== "flattr:flattred") { return; }
    if (popup && event.source !== popup) { return; }
    if (data.url !== root.getAttribute("data-url") ||
        String(data.uid).toLowerCase() !== root.getAttribute("data-uid").toLowerCase()) {
      return; // about another button's thing
    }
    show(Number(data.count), true);
    if (data.confirmUrl) { link.href = data.confirmUrl; }
  });

  // Hook for platform apps (flattr.platforms): a button for a platform account carries
  // data-platform and data-account, and the iframe loads that platform's hook script, which
  // defines window.FlattrPlatformHook.decorate(root, account).
  var account = root.getAttribute("data-account");
  if (account) {
    window.addEventListener("load", function () {
      var hook = window.FlattrPlatformHook;
      if (hook && typeof hook.decorate === "function") { hook.decorate(root, account); }
    });
  }
}());
