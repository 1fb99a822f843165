// "Someone else saved this story": a notice while the change form is open.
// Without JavaScript the save itself is refused (the form carries the version it was
// opened at); this only warns earlier. The server writes the message; this file only
// shows it. Same-origin JSON, no inline script (CSP-friendly).
(function () {
  "use strict";

  function show(message) {
    var banner = document.getElementById("story-conflict-banner");
    if (!banner) {
      banner = document.createElement("div");
      banner.id = "story-conflict-banner";
      banner.className = "story-conflict-banner";
      banner.setAttribute("role", "alert");
      var main = document.getElementById("content-main") || document.body;
      main.insertBefore(banner, main.firstChild);
    }
    banner.textContent = message;
  }

  function start() {
    var input = document.querySelector("input[name='loaded_version'][data-version-url]");
    if (!input || !window.fetch) {
      return;
    }
    var url = input.getAttribute("data-version-url");
    var loaded = Number(input.value);
    var seconds = Number(input.getAttribute("data-poll-seconds")) || 20;
    var timer = null;

    function check() {
      fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.ok ? response.json() : null;
        })
        .then(function (data) {
          if (data && data.version !== loaded) {
            show(data.message);
            window.clearInterval(timer);
          }
        })
        .catch(function () {
          // Offline, or the server restarting: ask again next time.
        });
    }

    timer = window.setInterval(check, seconds * 1000);
  }

  // The admin puts form media in <head>, before the form exists.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
