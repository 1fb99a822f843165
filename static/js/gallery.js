/*
 * Galleries: a keyboard-operable viewer over the list of figures (progressive enhancement).
 *
 * Each gallery is a <figure data-gallery> rendered by articles/inline_media.py: without
 * JavaScript a grid of photos, each linking its full-size image. Here a link opens a
 * modal <dialog> instead, showing the photo full size with its caption: Left and Right
 * arrows (or the buttons) move through the photos, Escape (or Close) closes it, and
 * focus goes back to the photo the reader opened. The modal dialog keeps Tab inside it.
 */
(function () {
  "use strict";

  function button(label, text, className) {
    var element = document.createElement("button");
    element.type = "button";
    element.className = className;
    element.setAttribute("aria-label", label);
    element.textContent = text;
    return element;
  }

  function enhance(gallery, number) {
    var items = Array.prototype.slice.call(gallery.querySelectorAll(".gallery__item"));
    var title = gallery.querySelector(".gallery__title");
    if (!items.length || typeof HTMLDialogElement !== "function") {
      return;
    }
    var dialog = document.createElement("dialog");
    dialog.className = "gallery-viewer";
    var heading = document.createElement("h2");
    heading.className = "gallery-viewer__title";
    heading.id = "gallery-viewer-" + number;
    heading.textContent = title ? title.firstChild.textContent.trim() : "Photo gallery";
    dialog.setAttribute("aria-labelledby", heading.id);
    var status = document.createElement("p");
    status.className = "gallery-viewer__status";
    status.setAttribute("aria-live", "polite");
    var image = document.createElement("img");
    image.className = "gallery-viewer__image";
    image.sizes = "100vw";
    var caption = document.createElement("p");
    caption.className = "gallery-viewer__caption";
    var previous = button("Previous photo", "‹ Previous", "gallery-viewer__previous");
    var next = button("Next photo", "Next ›", "gallery-viewer__next");
    var close = button("Close the gallery", "Close ×", "gallery-viewer__close");
    var controls = document.createElement("div");
    controls.className = "gallery-viewer__controls";
    controls.append(previous, status, next, close);
    dialog.append(heading, image, caption, controls);
    gallery.appendChild(dialog);

    var current = 0;
    var opener = null;

    function show(index) {
      current = (index + items.length) % items.length;
      var item = items[current];
      var thumbnail = item.querySelector("img");
      var text = item.querySelector("figcaption");
      image.src = item.getAttribute("data-full-src");
      image.srcset = item.getAttribute("data-full-srcset") || "";
      image.width = Number(item.getAttribute("data-full-width")) || 0;
      image.height = Number(item.getAttribute("data-full-height")) || 0;
      image.alt = thumbnail ? thumbnail.alt : "";
      caption.textContent = text ? text.textContent : "";
      status.textContent = "Photo " + (current + 1) + " of " + items.length;
    }

    items.forEach(function (item, index) {
      var link = item.querySelector(".gallery__open");
      if (!link) {
        return;
      }
      link.addEventListener("click", function (event) {
        event.preventDefault();
        opener = link;
        show(index);
        dialog.showModal();
        next.focus();
      });
    });
    previous.addEventListener("click", function () {
      show(current - 1);
    });
    next.addEventListener("click", function () {
      show(current + 1);
    });
    close.addEventListener("click", function () {
      dialog.close();
    });
    dialog.addEventListener("keydown", function (event) {
      if (event.key === "ArrowLeft") {
        event.preventDefault();
        show(current - 1);
      } else if (event.key === "ArrowRight") {
        event.preventDefault();
        show(current + 1);
      }
    });
    // Escape closes a modal dialog by itself; either way the reader is back where they were.
    dialog.addEventListener("close", function () {
      var back = items[current].querySelector(".gallery__open") || opener;
      if (back) {
        back.focus();
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("figure[data-gallery]"), enhance);
})();
