/* Behaviour of every page, kept out of the HTML so that the Content Security Policy allows no inline script. */
(function () {
  "use strict";

  // The language menu switches as soon as a language is chosen (without JavaScript, its button does).
  var select = document.getElementById("language-select");
  if (select && select.form) {
    select.addEventListener("change", function () { select.form.submit(); });
  }

  // A bulletin's rendering: poll its JSON status until it is finished.
  function watch(box) {
    if (!window.fetch) { return; }
    var label = box.querySelector("[data-role=label]"), bar = box.querySelector("[data-role=bar]");
    var result = box.querySelector("[data-role=result]"), downloadText = box.getAttribute("data-download-text");
    function poll() {
      fetch(box.getAttribute("data-status-url"), {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (response) { return response.json(); })
        .then(function (state) {
          label.textContent = state.label;
          label.className = "badge " + state.status;
          if (!state.finished) { setTimeout(poll, 1500); return; }
          bar.setAttribute("max", "1"); bar.setAttribute("value", "1");
          if (state.download_url) {
            var link = document.createElement("a");
            link.href = state.download_url; link.textContent = downloadText;
            result.replaceChildren(link);
            if (state.ofd_download_url) {
              var ofdLink = document.createElement("a");
              ofdLink.href = state.ofd_download_url; ofdLink.textContent = box.getAttribute("data-ofd-text");
              result.append(" ", ofdLink);
            }
          }
        })
        .catch(function () { setTimeout(poll, 5000); });
    }
    if (label && label.className.match(/pending|rendering/)) { setTimeout(poll, 1000); }
  }
  Array.prototype.forEach.call(document.querySelectorAll(".bulletin-progress[data-status-url]"), watch);
})();

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
