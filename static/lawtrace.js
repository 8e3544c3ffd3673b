// Page behaviour that would otherwise sit in inline handlers, which the Content-Security-Policy forbids
// (lawtrace/middleware.py: script-src 'self', no inline script).
(function () {
  "use strict";
  // <button data-print>: print the page.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) {
      window.print();
    }
  });
  // data-no-context-menu: the player offers no "save video as" menu (the original is not for download).
  document.addEventListener("contextmenu", function (event) {
    if (event.target.closest("[data-no-context-menu]")) {
      event.preventDefault();
    }
  });
})();
