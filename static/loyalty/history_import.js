// The history import's job page: poll the job's progress until it ends, then reload the page
// (its report and the "run for real" button appear with the finished job).
(function () {
  "use strict";
  var bar = document.getElementById("job-progress");
  if (!bar || bar.dataset.finished === "1") {
    return;
  }
  var fields = ["processed", "imported", "skipped", "failed"];

  function show(state) {
    bar.value = state.percent;
    bar.textContent = state.percent + "%";
    document.getElementById("job-percent").textContent = state.percent;
    document.getElementById("job-status").textContent = state.status_label;
    if (state.rows_total !== null) {
      document.getElementById("job-total").textContent = state.rows_total;
    }
    fields.forEach(function (name) {
      document.getElementById("job-" + name).textContent = state["rows_" + name];
    });
  }

  function poll() {
    fetch(bar.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (state) {
        show(state);
        if (state.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1500);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }

  window.setTimeout(poll, 1000);
})();
