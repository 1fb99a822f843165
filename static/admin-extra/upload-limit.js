// Refuse a file past the upload limit in the page, before anything is sent: without
// this the server's 413 (newsroom/uploads.py, the backstop) replaced the form. A file
// input states its limits (articles/photos/forms.py, upload_limit_attrs):
// data-max-bytes for one file, data-max-total-bytes for all the form's files,
// data-max-files for a multiple input. The message goes beside the field, announced,
// and named by the field's aria-describedby; the form is not sent while a chosen file
// is past a limit.
(function () {
  "use strict";

  var SELECTOR = 'input[type="file"][data-max-bytes]';

  function megabytes(bytes, digits) {
    return (bytes / (1024 * 1024)).toFixed(digits) + " MB";
  }

  function filesOf(input) {
    return Array.prototype.slice.call(input.files || []);
  }

  function problem(input) {
    var files = filesOf(input);
    var maxBytes = Number(input.dataset.maxBytes);
    var maxFiles = Number(input.dataset.maxFiles || 0);
    var maxTotal = Number(input.dataset.maxTotalBytes || 0);
    for (var i = 0; i < files.length; i++) {
      if (files[i].size > maxBytes) {
        return "“" + files[i].name + "” is " + megabytes(files[i].size, 1) +
          ": a photo may have up to " + megabytes(maxBytes, 0) +
          ". Choose a smaller file; nothing has been sent.";
      }
    }
    if (maxFiles && files.length > maxFiles) {
      return "At most " + maxFiles + " photos can be uploaded at once; you chose " +
        files.length + ". Nothing has been sent.";
    }
    if (maxTotal && input.form) {
      var total = 0;
      input.form.querySelectorAll(SELECTOR).forEach(function (other) {
        filesOf(other).forEach(function (file) { total += file.size; });
      });
      if (total > maxTotal) {
        return "The files chosen come to " + megabytes(total, 1) + ": at most " +
          megabytes(maxTotal, 0) + " can be sent at once. Choose fewer or smaller " +
          "files; nothing has been sent.";
      }
    }
    return "";
  }

  function noteFor(input) {
    var id = (input.id || input.name) + "-upload-limit";
    var note = document.getElementById(id);
    if (!note) {
      note = document.createElement("p");
      note.id = id;
      note.className = "upload-limit-error";
      note.setAttribute("role", "alert");
      note.hidden = true;
      input.insertAdjacentElement("afterend", note);
      var described = (input.getAttribute("aria-describedby") || "").split(" ");
      if (described.indexOf(id) === -1) {
        described.push(id);
        input.setAttribute("aria-describedby", described.join(" ").trim());
      }
    }
    return note;
  }

  // Whether the input's files are within its limits; shows or clears its message.
  function check(input) {
    var text = problem(input);
    if (!text && !document.getElementById((input.id || input.name) + "-upload-limit")) {
      return true;
    }
    var note = noteFor(input);
    note.textContent = text;
    note.hidden = !text;
    // The admin's error style (.errornote sets its own display, overriding `hidden`).
    note.classList.toggle("errornote", Boolean(text));
    if (text) {
      input.setAttribute("aria-invalid", "true");
    } else {
      input.removeAttribute("aria-invalid");
    }
    return !text;
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches(SELECTOR)) {
      check(event.target);
    }
  });

  // Capturing, so the form is stopped before any other script acts on its sending.
  document.addEventListener("submit", function (event) {
    var first = null;
    event.target.querySelectorAll(SELECTOR).forEach(function (input) {
      if (!check(input) && !first) {
        first = input;
      }
    });
    if (first) {
      event.preventDefault();
      event.stopImmediatePropagation();
      first.focus();
    }
  }, true);
})();
