// Cairn's small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Ask before destructive form submissions: <form data-confirm="Really?">.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();

// Active learning time. A page marked <main data-heartbeat="url" data-heartbeat-content="id">
// reports the seconds the learner really spent on it: time counts only while the tab is visible
// and the learner has used the keyboard, mouse or touch in the last minute, so an idle open tab
// adds nothing. Beats go out every 30 s and when the page is hidden.
(function () {
  "use strict";
  var target = document.querySelector("[data-heartbeat]");
  if (!target || !window.fetch) { return; }
  var url = target.getAttribute("data-heartbeat");
  var content = target.getAttribute("data-heartbeat-content") || "";
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  var IDLE_AFTER_MS = 60000;
  var lastInput = Date.now();
  var pending = 0;

  ["mousemove", "keydown", "scroll", "touchstart", "click"].forEach(function (name) {
    window.addEventListener(name, function () { lastInput = Date.now(); }, { passive: true });
  });

  setInterval(function () {
    if (document.visibilityState === "visible" && Date.now() - lastInput < IDLE_AFTER_MS) {
      pending += 1;
    }
  }, 1000);

  function flush(useBeacon) {
    if (pending < 1) { return; }
    var seconds = Math.min(pending, 60);
    pending -= seconds;
    var body = new URLSearchParams({ seconds: String(seconds), content: content });
    body.append("csrfmiddlewaretoken", tokenMeta ? tokenMeta.content : "");
    if (useBeacon && navigator.sendBeacon) {
      navigator.sendBeacon(url, body);
    } else {
      fetch(url, { method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": tokenMeta ? tokenMeta.content : "" } }).catch(function () {});
    }
  }

  setInterval(function () { flush(false); }, 30000);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") { flush(true); }
  });
})();
