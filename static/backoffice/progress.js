/* A background job's progress in the admin (a bulk operation, a history import): the element
   with data-progress-url is polled for JSON until the job is finished, then the page reloads to
   show the result. Each element with data-progress-field="name" shows that value of the JSON (a
   <progress> takes it as its value). No inline script (CSP). */
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box || box.dataset.finished === "1") return;

  function show(state) {
    document.querySelectorAll("[data-progress-field]").forEach(function (node) {
      var value = state[node.dataset.progressField];
      if (value === null || value === undefined) return;
      if (node.tagName === "PROGRESS") {
        node.value = value;
        node.textContent = value + "%";
      } else {
        node.textContent = value;
      }
    });
  }

  function poll() {
    fetch(box.dataset.progressUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (state.finished) window.location.reload();
        else window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 1000);
})();
