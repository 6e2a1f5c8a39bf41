/* Small behaviours of the pages, without inline script (the pages' Content-Security-Policy allows none):
 * - form[data-autosubmit]: a changed select or checkbox submits the form at once (a search field on Enter), and
 *   the form's [data-js-hide] button, needed without script only, is hidden;
 * - [data-confirm]: a form (or button) with this attribute asks its question before submitting;
 * - [data-check-all]: a checkbox that ticks every checkbox named by its value in its form. */
(function () {
  "use strict";
  function submit(form) {
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }
  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      if (event.target.matches("select, input[type=checkbox], input[type=radio]")) { submit(form); }
    });
    form.querySelectorAll("[data-js-hide]").forEach(function (element) { element.hidden = true; });
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = event.submitter;
    var question = (button && button.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  }, true);
  document.querySelectorAll("input[data-check-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      var name = box.getAttribute("data-check-all");
      box.form.querySelectorAll("input[type=checkbox][name='" + name + "']").forEach(function (other) {
        other.checked = box.checked;
      });
    });
  });
}());

/* form[data-unique-message]: a unit already chosen in another row is refused as soon as it is chosen: the row says
 * so and the form is not sent while two rows hold one unit. The choice is left as it is (arrow keys step through
 * the options one by one; resetting it would trap a keyboard user). */
(function () {
  "use strict";
  function check(form) {
    var selects = Array.prototype.slice.call(form.querySelectorAll("select[data-unique]"));
    var clash = null;
    selects.forEach(function (select) {
      var twice = !!select.value && selects.some(function (other) {
        return other !== select && other.value === select.value && selects.indexOf(other) < selects.indexOf(select);
      });
      var row = select.closest("fieldset");
      var error = row && row.querySelector("[data-unique-error]");
      if (error) {
        error.hidden = !twice;
        error.textContent = twice ? form.getAttribute("data-unique-message") : "";
      }
      select.setAttribute("aria-invalid", twice ? "true" : "false");
      if (twice && !clash) { clash = select; }
    });
    return clash;
  }
  document.querySelectorAll("form[data-unique-message]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      if (event.target.matches("select[data-unique]")) { check(form); }
    });
    form.addEventListener("submit", function (event) {
      var clash = check(form);
      if (clash) { event.preventDefault(); clash.focus(); }
    });
  });
}());
