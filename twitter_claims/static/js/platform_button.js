/* Hook for the flattr button iframe of a platform account (GitHub, …): flattr/templates/
   flattr/button.html loads it, as twitter_claims registered it in flattr.platforms, when the
   button says data-flattr-platform and data-flattr-account. The iframe then shows that
   account's count from /<platform>/<account>/count.json. */
(function () {
  "use strict";
  var PLATFORM = /^[a-z][a-z0-9_-]{1,19}$/;

  function decorate(root, account) {
    var platform = root ? root.getAttribute("data-platform") : "";
    if (!PLATFORM.test(platform || "") || !account || account.length > 200) { return; }
    var base = "/" + platform + "/" + encodeURIComponent(account) + "/";
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
