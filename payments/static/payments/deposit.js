// The deposit page waits for Stripe's webhook: poll the deposit's status and reload the page
// when it changes. Never credits anything itself; it only shows what the server knows.
(function () {
  "use strict";
  var box = document.querySelector("[data-status-url]");
  if (!box) { return; }
  var waiting = ["pending", "processing"];
  var initial = box.getAttribute("data-status");
  if (waiting.indexOf(initial) === -1) { return; }
  var url = box.getAttribute("data-status-url");
  var started = Date.now();
  var limitMs = 3 * 60 * 1000;
  function poll() {
    if (Date.now() - started > limitMs) { return; }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.status !== initial) { window.location.reload(); return; }
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 3000); });
  }
  window.setTimeout(poll, 1000);
})();
