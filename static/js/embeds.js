/*
 * Embeds: the provider's frame only when the reader asks (progressive enhancement).
 *
 * Each embed is a <figure data-embed-src …> rendered by articles/blocks.py: without
 * JavaScript it is a caption with a link to the original. Here its facade (a notice and
 * a "Load <provider> content" button) is shown; a click replaces the facade with the
 * provider's iframe, built from the figure's data attributes (address, title, sandbox,
 * permissions). Nothing is requested from any provider before that click. The CSP's
 * frame-src allows only the allow-listed providers' hosts, so a forged address would
 * not load either.
 */
(function () {
  "use strict";

  function load(figure) {
    var src = figure.getAttribute("data-embed-src") || "";
    if (src.indexOf("https://") !== 0) {
      return;
    }
    var frame = document.createElement("iframe");
    frame.src = src;
    frame.title = figure.getAttribute("data-embed-title") || "Embedded content";
    frame.loading = "lazy";
    frame.referrerPolicy = "strict-origin-when-cross-origin";
    frame.allowFullscreen = true;
    frame.setAttribute("allow", figure.getAttribute("data-embed-allow") || "");
    var sandbox = figure.getAttribute("data-embed-sandbox");
    if (sandbox) {
      frame.setAttribute("sandbox", sandbox);
    }
    var holder = document.createElement("div");
    holder.className = "embed__frame";
    holder.appendChild(frame);
    var facade = figure.querySelector(".embed__facade");
    figure.replaceChild(holder, facade);
    // The button the reader pressed is gone: keep keyboard focus where they were.
    frame.focus();
  }

  var figures = document.querySelectorAll("figure[data-embed-src]");
  Array.prototype.forEach.call(figures, function (figure) {
    var facade = figure.querySelector(".embed__facade");
    var button = figure.querySelector(".embed__load");
    if (!facade || !button) {
      return;
    }
    button.addEventListener("click", function () {
      load(figure);
    });
    facade.hidden = false;
  });
})();
