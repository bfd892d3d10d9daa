/* The confirmation window: after a flattr, tell the button that opened us (our own origin
   only) the new count, then close. Also wires the "Close" buttons. */
(function () {
  "use strict";
  var CLOSE_AFTER_MS = 1500;
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-close-window]")) { window.close(); }
  });
  var done = document.getElementById("flattr-confirmed");
  if (!done) { return; }
  var opener = window.opener;
  if (!opener || opener.closed) { return; }
  var message = {
    type: "flattr:flattred",
    thing: Number(done.getAttribute("data-thing")),
    count: Number(done.getAttribute("data-count")),
    url: done.getAttribute("data-url"),
    uid: done.getAttribute("data-uid"),
    confirmUrl: window.location.pathname + "?thing=" + done.getAttribute("data-thing")
  };
  try {
    opener.postMessage(message, window.location.origin);
  } catch (error) {
    return;
  }
  if (done.getAttribute("data-autoclose") === "1") {
    window.setTimeout(function () { window.close(); }, CLOSE_AFTER_MS);
  }
}());
