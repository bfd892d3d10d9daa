/* Copy buttons on the embed page: <button data-copy="ID"> copies the text of #ID. */
(function () {
  "use strict";
  function copied(button) {
    var label = button.textContent;
    button.textContent = button.getAttribute("data-copied") || "Copied!";
    window.setTimeout(function () { button.textContent = label; }, 1600);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) { return; }
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source) { return; }
    var text = source.value !== undefined ? source.value : source.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button); }, function () {
        source.select(); document.execCommand("copy"); copied(button);
      });
    } else {
      source.select();
      document.execCommand("copy");
      copied(button);
    }
  });
}());
