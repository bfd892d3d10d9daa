// The site frame: on narrow screens the main navigation folds behind a "Menu" button.
// Without JavaScript the links simply stay visible (the button is hidden until this runs).
(function () {
  "use strict";
  var button = document.querySelector(".nav-toggle");
  var links = document.getElementById("nav-links");
  if (!button || !links) {
    return;
  }
  document.documentElement.classList.add("js");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", String(!open));
    links.classList.toggle("open", !open);
  });
})();
