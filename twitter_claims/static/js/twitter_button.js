/* Twitter/X hook for the flattr button iframe (flattr/templates/flattr/button.html loads it, as
   twitter_claims registered it in flattr.platforms, when the button names an X account:
   data-flattr-twitter="handle", or data-flattr-platform="twitter" data-flattr-account="handle").
   The button then flattrs that Twitter/X account: its action opens the same small confirmation
   window as a thing's (the server points it there: /flattr/confirm/?twitter=handle, one
   CSRF-protected POST), and its count is the account's. */
(function () {
  "use strict";
  var HANDLE = /^[A-Za-z0-9_]{1,15}$/;

  function decorate(root, handle) {
    if (!root || !HANDLE.test(handle || "")) { return; }
    var base = "/twitter/" + encodeURIComponent(handle) + "/";
    var link = root.querySelector(".fb-action");
    if (link) { link.title = "Flattr @" + handle; }
    root.setAttribute("data-count-url", base + "count.json");
    if (!window.fetch) { return; }
    fetch(base + "count.json", { cache: "no-cache", credentials: "omit" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        var count = root.querySelector(".fb-count");
        if (data && count && typeof data.count === "number") { count.textContent = String(data.count); }
      })
      .catch(function () { /* offline: keep the count we have */ });
  }

  window.FlattrPlatformHook = { decorate: decorate };
}());
