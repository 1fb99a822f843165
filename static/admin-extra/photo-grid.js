/*
 * Selecting photos for an action in the library's grid of cards
 * (admin/photos/photo/change_list_results.html). Django's actions.js does this for a
 * table's rows only; this is its behaviour for cards: "select all on this page", the
 * "N of M selected" counter and, once the whole page is selected, the offer to select
 * every photo the search and filters found.
 */
(function () {
  "use strict";
  // Django's admin loads form media in the <head>: wait for the page.
  function ready() {
    var toggle = document.getElementById("action-toggle");
    var grid = document.querySelector(".photo-grid");
    if (!toggle || !grid) {
      return;
    }
    var boxes = Array.prototype.slice.call(grid.querySelectorAll("input.action-select"));
    var counter = document.querySelector("div.actions span.action-counter");

    function shown(selector, visible) {
      document.querySelectorAll(selector).forEach(function (el) {
        el.classList.toggle("hidden", !visible);
      });
    }

    function across(value) {
      document.querySelectorAll("div.actions input.select-across").forEach(function (input) {
        input.value = value;
      });
    }

    function update() {
      var selected = boxes.filter(function (box) {
        return box.checked;
      }).length;
      boxes.forEach(function (box) {
        box.closest(".photo-card").classList.toggle("selected", box.checked);
      });
      toggle.checked = selected > 0 && selected === boxes.length;
      if (counter) {
        var total = Number(counter.dataset.actionsIcnt);
        counter.textContent = window.interpolate
          ? interpolate(ngettext("%(sel)s of %(cnt)s selected", "%(sel)s of %(cnt)s selected", selected), { sel: selected, cnt: total }, true)
          : selected + " of " + total + " selected";
      }
      // A part selection never stands for every photo found.
      across(0);
      shown("div.actions span.all", false);
      shown("div.actions span.clear", false);
      shown("div.actions span.action-counter", true);
      shown("div.actions span.question", toggle.checked);
    }

    toggle.addEventListener("change", function () {
      boxes.forEach(function (box) {
        box.checked = toggle.checked;
      });
      update();
    });
    grid.addEventListener("change", function (event) {
      if (event.target.classList.contains("action-select")) {
        update();
      }
    });
    document.querySelectorAll("div.actions span.question a").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        across(1);
        shown("div.actions span.question", false);
        shown("div.actions span.clear", true);
        shown("div.actions span.all", true);
        shown("div.actions span.action-counter", false);
      });
    });
    document.querySelectorAll("div.actions span.clear a").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        boxes.forEach(function (box) {
          box.checked = false;
        });
        update();
      });
    });
    // Back to the page: the browser may have kept the boxes ticked.
    window.addEventListener("pageshow", update);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
