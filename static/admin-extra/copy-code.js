/*
 * "Copy" beside a photo's or gallery's short code in the library (articles/photos/admin.py):
 * the editor pastes it on a paragraph of its own in a story's body. Without JavaScript
 * (or without clipboard access) the code is still there to select: the button stays hidden.
 */
(function () {
  "use strict";
  // Django's admin loads form media in the <head>: wait for the page.
  function ready() {
    if (!navigator.clipboard) {
      return;
    }
    document.querySelectorAll(".paste-code__copy").forEach(function (button) {
      var done = button.parentNode.querySelector(".paste-code__done");
      button.hidden = false;
      button.addEventListener("click", function (event) {
        // A button inside a form (the library's grid of cards): copy, never submit.
        event.preventDefault();
        navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
          if (done) {
            done.textContent = "Copied: paste it on a line of its own in the story.";
          }
        });
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
