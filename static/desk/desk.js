/* Cashier desk: keyboard shortcuts and the live quote. No framework, no network but our own. */
(function () {
  "use strict";

  // Esc goes back (the page's [data-esc] link); a focused field with text is cleared first.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var el = document.activeElement;
    if (el && el.tagName === "INPUT" && el.type === "text" && el.value) {
      el.value = "";
      el.dispatchEvent(new Event("input", { bubbles: true }));
      return;
    }
    var back = document.querySelector("[data-esc]");
    if (back) window.location.href = back.href;
  });

  // After an error the field keeps what was typed, selected, so the next scan replaces it.
  var focused = document.querySelector("input[autofocus]");
  if (focused && focused.value && focused.select) focused.select();

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // A button that cannot be taken back asks first (e.g. refunding the whole check).
  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (event) {
      if (!window.confirm(button.dataset.confirm)) event.preventDefault();
    });
  });

  // One submission per form; the server's token makes a repeat harmless anyway.
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function () {
      window.setTimeout(function () {
        form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });

  var form = document.getElementById("check-form");
  if (!form) return;
  var lang = document.documentElement.lang || "ru";
  var points = new Intl.NumberFormat(lang, { maximumFractionDigits: 0 });
  var money = new Intl.NumberFormat(lang, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var redeem = document.getElementById("id_redeem_points");
  var errorsBox = document.getElementById("quote-errors");
  var timer = null, seq = 0, last = null;

  function set(id, text) { document.getElementById(id).textContent = text; }

  function hasCheck() {
    if (form.elements.total.value.trim()) return true;
    return Array.prototype.some.call(form.querySelectorAll("[name$='-price']"), function (i) {
      return i.value.trim() !== "";
    });
  }

  function show(data) {
    var has = data && data.max_redeem_points !== undefined;
    set("quote-max", has ? points.format(data.max_redeem_points) : "—");
    set("quote-earn", has && data.ok ? points.format(data.earn_points) : "—");
    set("quote-bonus", has && data.ok ? points.format(data.bonus_points) : "—");
    set("quote-discount", has && data.ok ? money.format(Number(data.discount)) : "—");
    set("quote-to-pay", has && data.ok ? money.format(Number(data.to_pay)) : "—");
    var campaigns = document.getElementById("quote-campaigns");
    campaigns.textContent = has ? (data.campaigns.length ? data.campaigns.join(", ") : campaigns.dataset.none) : "—";
    errorsBox.innerHTML = "";
    var messages = [];
    if (data && data.errors) {
      Object.keys(data.errors).forEach(function (k) { messages = messages.concat(data.errors[k]); });
    }
    messages.forEach(function (m) {
      var p = document.createElement("p");
      p.className = "error";
      p.textContent = m;
      errorsBox.appendChild(p);
    });
    errorsBox.hidden = messages.length === 0;
  }

  function requestQuote() {
    if (!hasCheck()) { last = null; show(null); return Promise.resolve(null); }
    var mine = ++seq;
    return fetch(form.dataset.quoteUrl, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (mine !== seq) return last;  // a newer request is on its way
      last = data;
      show(data);
      return data;
    }).catch(function () { return null; });
  }

  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(requestQuote, 200);
  });

  var total = form.elements.total;
  var confirmButton = document.getElementById("confirm");
  var hint = document.getElementById("redeem-hint");

  function takeMaximum() {
    redeem.value = "0";
    window.clearTimeout(timer);
    requestQuote().then(function (data) {
      if (data && data.max_redeem_points !== undefined) {
        redeem.value = String(data.max_redeem_points);
        requestQuote();
      }
      hint.hidden = true;
      confirmButton.focus();
    });
  }

  document.getElementById("redeem-max").addEventListener("click", takeMaximum);

  // The common sale in the fewest keys. "+" in the total or the points field takes the maximum
  // (then Enter confirms). Enter in the total confirms at once only when nothing could be
  // spent; when the customer has points and none are chosen, it stops at the points field
  // first, so spending is never forgotten: Enter again confirms without spending.
  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "+" && (target === total || target === redeem)) {
      event.preventDefault();
      takeMaximum();
      return;
    }
    if (event.key !== "Enter" || target !== total) return;
    event.preventDefault();
    window.clearTimeout(timer);
    requestQuote().then(function (data) {
      var spendable = data && data.ok && data.max_redeem_points > 0;
      if (spendable && Number(redeem.value || 0) === 0) {
        hint.hidden = false;
        redeem.focus();
        redeem.select();
      } else if (!confirmButton.disabled) {
        form.requestSubmit(confirmButton);
      }
    });
  });

  // "Send code": the SMS code that lets this check spend points; the check stays as typed.
  var sendCode = document.getElementById("send-code");
  if (sendCode) {
    sendCode.addEventListener("click", function (event) {
      event.preventDefault();
      var status = document.getElementById("send-code-status");
      sendCode.disabled = true;
      fetch(sendCode.dataset.url, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch" },
      }).then(function (r) { return r.json(); }).then(function (data) {
        status.textContent = data.message;
        status.className = data.ok ? "muted" : "error";
        document.getElementById("id_confirmation_code").focus();
      }).catch(function () { status.className = "error"; }).finally(function () {
        sendCode.disabled = false;
      });
    });
  }

  // After a refused submit the fields carry the server's errors: the quote at load fills in the
  // figures but does not repeat those errors in the box above.
  var serverErrors = form.querySelector(".field-error, [role=alert].error, .errorlist");
  if (hasCheck()) {
    requestQuote().then(function () {
      if (serverErrors) { errorsBox.innerHTML = ""; errorsBox.hidden = true; }
    });
  }
})();
