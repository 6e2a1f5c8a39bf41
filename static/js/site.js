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
