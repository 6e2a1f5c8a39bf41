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
 * so and the form is not sent while two rows hold one unit. The choice is left as it is (resetting it would trap a
 * keyboard user). A row's unit is the id its chooser keeps ([data-chooser-value]), else the name typed. */
(function () {
  "use strict";
  function key(field) {
    var box = field.closest(".chooser");
    var hidden = box && box.querySelector("input[data-chooser-value]");
    return (hidden && hidden.value) ? "#" + hidden.value : field.value.trim().toLowerCase();
  }
  function check(form) {
    var fields = Array.prototype.slice.call(form.querySelectorAll("[data-unique]"));
    var keys = fields.map(key);
    var clash = null;
    fields.forEach(function (field, index) {
      var twice = !!keys[index] && keys.indexOf(keys[index]) < index;
      var row = field.closest("fieldset");
      var error = row && row.querySelector("[data-unique-error]");
      if (error) {
        error.hidden = !twice;
        error.textContent = twice ? form.getAttribute("data-unique-message") : "";
      }
      field.setAttribute("aria-invalid", twice ? "true" : "false");
      if (twice && !clash) { clash = field; }
    });
    return clash;
  }
  document.querySelectorAll("form[data-unique-message]").forEach(function (form) {
    form.addEventListener("change", function (event) {
      if (event.target.matches("[data-unique]")) { check(form); }
    });
    form.addEventListener("submit", function (event) {
      var clash = check(form);
      if (clash) { event.preventDefault(); clash.focus(); }
    });
  });
}());

/* input[data-chooser]: a chooser that asks the page's JSON view (the attribute's address, ?q=…) for the options
 * matching what is typed, at most a score of them, instead of the page listing every option. An ARIA 1.2 combobox:
 * the list opens as the person types (or on Alt+Down), the arrow keys move through it, Enter chooses, Escape closes
 * it (a second Escape clears nothing: the text stays). The id of the option chosen goes in the hidden
 * [data-chooser-value] input beside it; typing again empties that input, and the server then looks the typed text up
 * itself, as it does without JavaScript. In a form[data-autosubmit] a choice submits the form. Used by the list
 * editor's units (nominations:units) and the review queue's bureau and measure filters (reviews:queue_choices). */
(function () {
  "use strict";
  if (!window.fetch) { return; }
  var counter = 0;

  function setup(input) {
    var box = input.closest(".chooser") || input.parentElement;
    var hidden = box.querySelector("input[data-chooser-value]");
    var list = document.createElement("ul");
    var status = document.createElement("span");
    var id = (input.id || "chooser-" + (++counter)) + "-options";
    var options = [], active = -1, timer = null, asked = null, chosenText = input.value;
    list.id = id;
    list.className = "chooser-options";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", input.labels && input.labels[0] ? input.labels[0].textContent : "");
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);
    input.after(list, status);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(index) {
      var items = list.children;
      if (active >= 0 && items[active]) { items[active].setAttribute("aria-selected", "false"); }
      active = index;
      if (active >= 0 && items[active]) {
        items[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", items[active].id);
        items[active].scrollIntoView({block: "nearest"});
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function choose(index) {
      var option = options[index];
      if (!option) { return; }
      input.value = option.label;
      chosenText = option.label;
      if (hidden) { hidden.value = option.id; }
      close();
      input.dispatchEvent(new Event("change", {bubbles: true}));
      var form = input.form;
      if (form && form.hasAttribute("data-autosubmit")) {
        if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
      }
    }
    function show(results) {
      options = results;
      list.replaceChildren();
      results.forEach(function (option, index) {
        var item = document.createElement("li");
        item.id = id + "-" + index;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.textContent = option.label;
        if (option.detail && option.detail !== option.label) {
          var detail = document.createElement("span");
          detail.className = "muted";
          detail.textContent = " " + option.detail;
          item.append(detail);
        }
        // mousedown, not click: the input keeps its focus and the list is not closed by the blur first.
        item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(index); });
        list.append(item);
      });
      active = -1;
      list.hidden = results.length === 0;
      input.setAttribute("aria-expanded", results.length ? "true" : "false");
      status.textContent = results.length ? (input.getAttribute("data-chooser-count") || "").replace("%s", results.length)
        : (input.getAttribute("data-chooser-none") || "");
    }
    function ask() {
      var text = input.value.trim();
      if (text === asked && options.length) { show(options); return; }
      asked = text;
      var url = input.getAttribute("data-chooser");
      fetch(url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(text),
            {headers: {"Accept": "application/json"}, credentials: "same-origin"})
        .then(function (response) { return response.ok ? response.json() : {results: []}; })
        .then(function (data) {
          if (asked === text && document.activeElement === input) { show(data.results || []); }
        })
        .catch(function () { close(); });
    }
    input.addEventListener("input", function () {
      if (hidden && input.value !== chosenText) { hidden.value = ""; }
      clearTimeout(timer);
      timer = setTimeout(ask, 150);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { ask(); return; }
        highlight(Math.min(active + 1, options.length - 1));
      } else if (event.key === "ArrowUp") {
        if (!open) { return; }
        event.preventDefault();
        highlight(Math.max(active - 1, 0));
      } else if (event.key === "Enter") {
        if (open && active >= 0) { event.preventDefault(); choose(active); }
      } else if (event.key === "Escape") {
        if (open) { event.preventDefault(); close(); }
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }
  document.querySelectorAll("input[data-chooser]").forEach(setup);
}());

/* [data-focus-on-load]: a refused form's error summary takes the focus as the page opens (autofocus does not reach
 * every element in every browser); else an error message of the page's top does. */
(function () {
  "use strict";
  var target = document.querySelector("[data-focus-on-load]");
  if (!target) {
    var error = document.querySelector(".messages .message.error");
    target = error && error.parentElement;
    if (target) { target.setAttribute("tabindex", "-1"); target.setAttribute("role", "alert"); }
  }
  if (target && document.activeElement !== target) {
    target.focus();
    if (target.scrollIntoView) { target.scrollIntoView({block: "start"}); }
  }
}());

/* form[data-editor]: the list editor.
 * - Move up / Move down reorder the rows in place (the page is not sent): the rows' hidden ranks follow their new
 *   places, the keyboard focus stays on the button pressed (or its twin at the top or bottom), and a live region
 *   says where the row went. Without script the buttons send the form and the server moves the row.
 * - Leaving with changes not saved asks first (beforeunload).
 * - The draft is kept as the clerk types: a few seconds after the last change the form (without its files and the
 *   evidence ticked for removal, which wait for "Save the draft") is posted to [data-autosave], which saves it as a
 *   draft through the same service and never submits it; the list's version in the form follows. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-editor]");
  if (!form) { return; }
  var dirty = false, timer = null, saving = false, again = false;
  var status = form.querySelector("[data-autosave-status]");
  function delay() { return parseInt(form.getAttribute("data-autosave-delay"), 10) || 4000; }

  function say(text) { if (status) { status.textContent = text; } }
  function rows() { return Array.prototype.slice.call(form.querySelectorAll("[data-row]")); }
  function renumber() {
    var all = rows();
    all.forEach(function (row, index) {
      var n = String(index + 1);
      var rank = row.querySelector("input[name$='-rank']");
      if (rank) { rank.value = n; }
      var label = row.querySelector("[data-row-label]");
      if (label) { label.textContent = form.getAttribute("data-row-text").replace("%s", n); }
      var shown = row.querySelector("[data-rank-label]");
      if (shown) { shown.textContent = form.getAttribute("data-rank-text").replace("%s", n); }
      row.querySelectorAll("[data-move] .visually-hidden").forEach(function (span) {
        span.textContent = " (" + form.getAttribute("data-row-text").replace("%s", n) + ")";
      });
      var up = row.querySelector("[data-move=up]"), down = row.querySelector("[data-move=down]");
      if (up) { up.disabled = index === 0; }
      if (down) { down.disabled = index === all.length - 1; }
    });
  }
  function changed() {
    dirty = true;
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(autosave, delay());
  }
  function hasFiles() {
    return Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (input) {
      return input.files && input.files.length > 0;
    }) || !!form.querySelector("input[name=remove_evidence]:checked");
  }
  function autosave() {
    timer = null;
    var url = form.getAttribute("data-autosave");
    if (!url || !window.fetch || !window.FormData) { return; }
    if (saving) { again = true; return; }
    var data = new FormData(form);
    data.delete("remove_evidence");
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) { data.delete(input.name); });
    data.set("action", "save");
    saving = true;
    say(form.getAttribute("data-saving-text"));
    fetch(url, {method: "POST", body: data, credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        say(answer.message || "");
        if (answer.saved) {
          var version = form.querySelector("input[name=version]");
          if (version) { version.value = answer.version; }
          if (!again) { dirty = hasFiles(); }
        }
      })
      .catch(function () { say(""); })
      .then(function () {
        saving = false;
        if (again) { again = false; autosave(); }
      });
  }

  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  form.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-move]");
    if (!button || !form.contains(button)) { return; }
    event.preventDefault();
    var row = button.closest("[data-row]");
    var all = rows(), index = all.indexOf(row);
    var other = button.getAttribute("data-move") === "up" ? all[index - 1] : all[index + 1];
    if (!other) { return; }
    if (button.getAttribute("data-move") === "up") { other.before(row); } else { other.after(row); }
    renumber();
    var place = rows().indexOf(row) + 1;
    var focus = button.disabled ? row.querySelector("[data-move]:not([disabled])") : button;
    if (focus) { focus.focus(); }
    say(form.getAttribute("data-moved-text").replace("%s", String(place)));
    changed();
  });
  form.addEventListener("submit", function () {
    dirty = false;
    if (timer) { clearTimeout(timer); timer = null; }
  });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) { return; }
    event.preventDefault();
    event.returnValue = "";
  });
}());

/* table[data-collapse-after="N"]: on a phone (the width at which the queue reads as cards), only its first N rows
 * show; the button [data-show-all] naming the table shows the others and takes the focus to the first of them
 * (the row itself, which may hold no link).
 * Without script, or on a wider screen, every row shows. */
(function () {
  "use strict";
  if (!window.matchMedia || !window.matchMedia("(max-width: 640px)").matches) { return; }
  document.querySelectorAll("table[data-collapse-after]").forEach(function (table) {
    var keep = parseInt(table.getAttribute("data-collapse-after"), 10);
    var rows = Array.prototype.slice.call(table.tBodies[0] ? table.tBodies[0].rows : []).slice(keep);
    var button = document.querySelector("[data-show-all='" + table.id + "']");
    if (!rows.length || !button) { return; }
    rows.forEach(function (row) { row.hidden = true; });
    button.closest(".queue-more").hidden = false;
    button.addEventListener("click", function () {
      rows.forEach(function (row) { row.hidden = false; });
      button.setAttribute("aria-expanded", "true");
      button.closest(".queue-more").hidden = true;
      rows[0].tabIndex = -1;  // focusable by script only: the next Tab goes on from there
      rows[0].focus();
    });
  });
}());
