// A bulk upload's page (admin/photos/photo/upload_results.html): while files are still
// being checked or processed, fetch the page again every few seconds and update each
// file's state and thumbnail in place. The caption fields are left as typed. Without
// JavaScript the page says to reload.
(function () {
  "use strict";
  var EVERY_MS = 3000;

  function pending(root) {
    return parseInt(root.getAttribute("data-upload-pending") || "0", 10);
  }

  function refresh(root) {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        var freshRoot = fresh.querySelector("[data-upload-pending]");
        if (!freshRoot) { return; }
        root.querySelectorAll("[data-upload-part]").forEach(function (part) {
          var next = fresh.getElementById(part.id);
          if (next && next.innerHTML !== part.innerHTML) { part.innerHTML = next.innerHTML; }
        });
        var status = document.getElementById("upload-progress");
        var freshStatus = fresh.getElementById("upload-progress");
        if (status && freshStatus && status.textContent !== freshStatus.textContent) {
          status.innerHTML = freshStatus.innerHTML;
        }
        root.setAttribute("data-upload-pending", freshRoot.getAttribute("data-upload-pending"));
        if (pending(root) > 0) { window.setTimeout(function () { refresh(root); }, EVERY_MS); }
      })
      .catch(function () { window.setTimeout(function () { refresh(root); }, EVERY_MS * 2); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-upload-pending]");
    if (root && pending(root) > 0) { window.setTimeout(function () { refresh(root); }, EVERY_MS); }
  });
})();
