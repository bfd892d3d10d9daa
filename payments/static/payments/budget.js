// Budget page: when a custom amount is typed, show the fee split before saving
// (fee = budget * FEE_BPS // 10000, the payday rule).
(function () {
  "use strict";
  var form = document.querySelector(".budget-form");
  if (!form) { return; }
  var input = form.querySelector("input[name=custom_amount]");
  var preview = form.querySelector(".fee-preview");
  var bps = parseInt(form.getAttribute("data-fee-bps"), 10);
  var template = form.getAttribute("data-preview");
  var currency = form.getAttribute("data-currency") || "EUR";
  var lang = document.documentElement.lang || "en";
  var format = new Intl.NumberFormat(lang, { style: "currency", currency: currency });
  function cents(text) {
    var match = /^\s*(\d{1,9})(?:[.,](\d{1,2}))?\s*$/.exec(text || "");
    if (!match) { return null; }
    return parseInt(match[1], 10) * 100 + parseInt((match[2] || "0").padEnd(2, "0"), 10);
  }
  function update() {
    var value = cents(input.value);
    if (value === null || value <= 0) { preview.textContent = ""; return; }
    var fee = Math.floor(value * bps / 10000);
    preview.textContent = template
      .replace("%(creators)s", format.format((value - fee) / 100))
      .replace("%(fee)s", format.format(fee / 100));
    var custom = form.querySelector("input[name=choice][value=custom]");
    if (custom) { custom.checked = true; }
  }
  input.addEventListener("input", update);
  update();
})();
