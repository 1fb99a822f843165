// The lead photo's focal point: clicking the preview fills the x and y fields (0–1)
// and moves the marker; typing in the fields moves it too. Without JavaScript the
// fields still work on their own.
(function () {
  "use strict";

  function setUp() {
    const preview = document.querySelector(".focal-preview");
    const x = document.querySelector('input[data-focal="x"]');
    const y = document.querySelector('input[data-focal="y"]');
    if (!preview || !x || !y) return;
    const image = preview.querySelector("img");
    const marker = preview.querySelector(".focal-preview__marker");

    function clamp(value) {
      const number = parseFloat(value);
      return Number.isFinite(number) ? Math.min(Math.max(number, 0), 1) : 0.5;
    }
    function place() {
      marker.style.left = clamp(x.value) * 100 + "%";
      marker.style.top = clamp(y.value) * 100 + "%";
      marker.hidden = false;
    }
    image.addEventListener("click", function (event) {
      const box = image.getBoundingClientRect();
      x.value = clamp((event.clientX - box.left) / box.width).toFixed(2);
      y.value = clamp((event.clientY - box.top) / box.height).toFixed(2);
      place();
    });
    x.addEventListener("input", place);
    y.addEventListener("input", place);
    place();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
