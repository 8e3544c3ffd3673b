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
  // A form control's value as the conditions below read it: a checkbox is "on" or "", a select or field its value.
  function valueOf(form, name) {
    const control = form.elements.namedItem(name);
    if (!control) return null;
    if (control.type === "checkbox") return control.checked ? "on" : "";
    return control.value;
  }
  // data-required-unless="ok-0": the field is required while the checkbox ok-0 is unticked (the server checks the
  // same; without scripts the page simply does not ask first).
  // data-show-for="requester_type:court party": the block is shown only while that control holds one of the
  // values; a hidden block's fields are disabled, so what does not apply is neither asked for nor sent.
  function apply(form) {
    form.querySelectorAll("[data-required-unless]").forEach(function (field) {
      field.required = valueOf(form, field.dataset.requiredUnless) === "";
    });
    form.querySelectorAll("[data-show-for]").forEach(function (block) {
      const spec = block.dataset.showFor;
      const name = spec.slice(0, spec.indexOf(":"));
      const values = spec.slice(spec.indexOf(":") + 1).split(" ");
      const current = valueOf(form, name);
      const shown = current === null || values.indexOf(current) !== -1;
      block.hidden = !shown;
      block.querySelectorAll("input, select, textarea").forEach(function (field) {
        field.disabled = !shown;
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(apply);
  });
  document.addEventListener("change", function (event) {
    const form = event.target.form;
    if (form) apply(form);
  });
})();
