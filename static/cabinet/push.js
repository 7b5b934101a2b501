// "Turn on notifications in this browser": registers the service worker (/sw.js), subscribes
// with the program's VAPID key and hands the subscription to the cabinet; the second button
// undoes both. Without this file (or push support) the page says the browser cannot.
(function () {
  "use strict";
  var box = document.getElementById("push-controls");
  if (!box) return;
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !window.fetch) return;

  var status = document.getElementById("push-status");
  var on = document.getElementById("push-subscribe");
  var off = document.getElementById("push-unsubscribe");
  var csrf = document.querySelector("input[name=csrfmiddlewaretoken]");

  function keyBytes(base64url) {
    var padded = base64url + "=".repeat((4 - (base64url.length % 4)) % 4);
    var raw = window.atob(padded.replace(/-/g, "+").replace(/_/g, "/"));
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function show(subscribed, text) {
    on.hidden = subscribed;
    off.hidden = !subscribed;
    status.textContent = text || box.dataset[subscribed ? "textOn" : "textOff"];
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.value : "" },
      body: JSON.stringify(body),
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response;
    });
  }

  function registration() {
    return navigator.serviceWorker.register(box.dataset.workerUrl, { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    });
  }

  on.addEventListener("click", function () {
    on.disabled = true;
    Notification.requestPermission()
      .then(function (permission) {
        if (permission !== "granted") throw new Error("denied");
        return registration();
      })
      .then(function (reg) {
        return reg.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: keyBytes(box.dataset.vapidKey),
        });
      })
      .then(function (subscription) {
        return post(box.dataset.subscribeUrl, subscription.toJSON());
      })
      .then(function () { show(true); })
      .catch(function (error) {
        show(false, box.dataset[error && error.message === "denied" ? "textDenied" : "textFailed"]);
      })
      .then(function () { on.disabled = false; });
  });

  off.addEventListener("click", function () {
    off.disabled = true;
    registration()
      .then(function (reg) { return reg.pushManager.getSubscription(); })
      .then(function (subscription) {
        if (!subscription) return null;
        return post(box.dataset.unsubscribeUrl, { endpoint: subscription.endpoint }).then(
          function () { return subscription.unsubscribe(); }
        );
      })
      .then(function () { show(false); })
      .catch(function () { show(true, box.dataset.textFailed); })
      .then(function () { off.disabled = false; });
  });

  box.hidden = false;
  document.getElementById("push-unsupported").hidden = true;
  navigator.serviceWorker.getRegistration("/")
    .then(function (reg) { return reg ? reg.pushManager.getSubscription() : null; })
    .then(function (subscription) { show(Boolean(subscription)); })
    .catch(function () { show(false); });
})();
