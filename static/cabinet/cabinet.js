// Progressive enhancement only: every page and form works without this file.
document.addEventListener("DOMContentLoaded", function () {
  // After a failed submit, put the keyboard focus on the first field with an error.
  var invalid = document.querySelector(".field-error input, .field-error select");
  if (invalid) {
    invalid.setAttribute("aria-invalid", "true");
    invalid.focus();
  }

  // The card's QR code changes every window (loyalty.services.presence): fetch the new one
  // while the page is open, so the code shown at the till is always the live one.
  var qr = document.getElementById("card-qr");
  if (qr && window.fetch) {
    var seconds = Number(qr.dataset.refreshSeconds) || 30;
    var refresh = function () {
      if (document.hidden) return;
      fetch(qr.dataset.refreshUrl, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (svg) { if (svg) qr.innerHTML = svg; })
        .catch(function () {});
    };
    // Swap right after each window starts; also at once when the page comes back into view.
    var untilNext = seconds * 1000 - (Date.now() % (seconds * 1000)) + 500;
    window.setTimeout(function () {
      refresh();
      window.setInterval(refresh, seconds * 1000);
    }, untilNext);
    document.addEventListener("visibilitychange", refresh);
  }
});
