// The site frame: on narrow screens the main navigation folds behind a "Menu" button.
// Without JavaScript the links simply stay visible (the button is hidden until this runs).
(function () {
  "use strict";
  var button = document.querySelector(".nav-toggle");
  var menu = document.getElementById("site-menu");
  if (!button || !menu) {
    return;
  }
  document.documentElement.classList.add("js");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = button.getAttribute("aria-expanded") === "true";
    button.setAttribute("aria-expanded", String(!open));
    menu.classList.toggle("open", !open);
  });
})();
