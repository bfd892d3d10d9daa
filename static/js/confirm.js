/* The confirmation window: after a flattr, tell the button that opened us (our own origin
   only) the new count and what was flattred (a thing, or a platform account), then close; that
   button tells the page's other buttons of the same target. Also wires the "Close" buttons,
   and lets the confirm form go only once (a double click is one POST; the server would refuse
   a second flattr this month anyway). */
(function () {
  "use strict";
  var CLOSE_AFTER_MS = 1500;
  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("[data-close-window]")) { window.close(); }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-once")) { return; }
    if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
    form.setAttribute("data-sent", "1");
    var button = form.querySelector("button[type=submit]");
    if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
  });
  var done = document.getElementById("flattr-confirmed");
  if (!done) { return; }
  var opener = window.opener;
  if (!opener || opener.closed) { return; }
  var message = {
    type: "flattr:flattred",
    kind: done.getAttribute("data-kind") || "thing",
    thing: Number(done.getAttribute("data-thing")),
    count: Number(done.getAttribute("data-count")),
    url: done.getAttribute("data-url") || "",
    uid: done.getAttribute("data-uid") || "",
    platform: done.getAttribute("data-platform") || "",
    account: done.getAttribute("data-account") || "",
    confirmUrl: done.getAttribute("data-confirm-url") ||
      window.location.pathname + "?thing=" + done.getAttribute("data-thing")
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
