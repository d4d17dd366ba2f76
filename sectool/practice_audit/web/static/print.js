// Progressive enhancement only: the page works without it (the print stylesheet applies to
// the browser's own print command). Reveals a print button. No inline scripts (CSP).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".print-button").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll(".print-hint").forEach(function (hint) { hint.hidden = true; });
});
