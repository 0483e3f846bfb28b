// Taking an assessment: a countdown, answer-save errors shown in place, and no submit while an
// answer is still on its way. The page works without this file: the server keeps the time and
// the "Save answers" button posts every answer.
(function () {
  "use strict";

  // The countdown starts from the seconds the server computed, so a wrong clock on this device
  // does not matter. At zero the page reloads shortly after the server's grace period; the server
  // then grades what was saved and shows the result.
  var timer = document.querySelector("[data-seconds-left]");
  if (timer) {
    var text = timer.querySelector("[data-timer-text]");
    var end = Date.now() + parseInt(timer.getAttribute("data-seconds-left"), 10) * 1000;
    var reloading = false;
    var tick = function () {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      var minutes = Math.floor(left / 60);
      var seconds = left % 60;
      text.textContent = left > 0 ? minutes + ":" + (seconds < 10 ? "0" : "") + seconds : "time is up";
      if (left <= 60) {
        timer.classList.remove("badge--blue");
        timer.classList.add("badge--red");
      }
      if (left === 0 && !reloading) {
        reloading = true;
        window.setTimeout(function () { window.location.reload(); }, 12000);
      }
    };
    tick();
    window.setInterval(tick, 1000);
  }

  // A refused answer (400) carries its message for the question's status line: show it there
  // rather than treating it as a failed request.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (event.detail.xhr.status === 400 && target && target.hasAttribute("data-answer-status")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Submitting while an autosave is in flight could grade the attempt without that answer:
  // wait for the saves, then submit.
  var pending = 0;
  var waiting = null;
  document.addEventListener("htmx:beforeRequest", function () { pending += 1; });
  document.addEventListener("htmx:afterRequest", function () {
    pending = Math.max(0, pending - 1);
    if (pending === 0 && waiting) {
      var form = waiting;
      waiting = null;
      form.submit();
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (pending > 0 && form.hasAttribute && form.hasAttribute("data-submit-attempt")) {
      event.preventDefault();
      waiting = form;
    }
  });
})();
