/* A bulk operation's progress bar: polls the operation's progress/ (JSON) every two seconds
   until it is finished, then reloads the page to show the result. No inline script (CSP). */
(function () {
    "use strict";

    const box = document.getElementById("bulk-progress");
    if (!box || box.dataset.finished === "1") return;
    const url = box.dataset.url;

    function put(id, value) {
        const node = document.getElementById(id);
        if (node) node.textContent = value;
    }

    function poll() {
        fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
            .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
            .then((data) => {
                document.getElementById("bulk-progress-bar").value = data.percent;
                put("bulk-percent", data.percent);
                put("bulk-status", data.status_label);
                put("bulk-processed", data.processed);
                put("bulk-applied", data.applied);
                put("bulk-skipped", data.skipped);
                put("bulk-points", data.points_moved);
                put("bulk-undo-status", data.undo_status_label);
                put("bulk-undo-processed", data.undo_processed);
                put("bulk-undo-points", data.undo_points);
                put("bulk-undo-shortfall", data.undo_shortfall);
                if (data.finished) {
                    window.location.reload();
                } else {
                    window.setTimeout(poll, 2000);
                }
            })
            .catch(() => window.setTimeout(poll, 5000));
    }

    window.setTimeout(poll, 1000);
})();
