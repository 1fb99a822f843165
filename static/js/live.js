/*
 * Live coverage: new updates without a reload (progressive enhancement).
 *
 * The live page's section carries data-live-poll (the poll URL), data-live-after (the
 * newest update shown), data-live-since (the last change the page shows),
 * data-live-interval and data-live-jitter (milliseconds). Every interval plus a random
 * part of the jitter, while the tab is visible, it asks `<poll>?after=<id>&since=<n>`;
 * `cache: "no-cache"` makes the browser send If-None-Match with the ETag it holds, so
 * an unchanged answer is a 304 with no body. New updates go in at the top of the list,
 * edited ones replace what is shown and deleted ones go, all without moving what the
 * reader is reading (scroll position kept); an aria-live region says how many new
 * ones arrived. Polling stops for good when the answer says the coverage has ended,
 * and pauses while the tab is hidden.
 */
(function () {
  "use strict";
  var section = document.querySelector("[data-live-poll]");
  if (!section || !window.fetch) {
    return;
  }
  var list = section.querySelector(".live__updates");
  var notice = section.querySelector(".live__notice");
  var url = section.getAttribute("data-live-poll");
  var after = section.getAttribute("data-live-after") || "0";
  var since = section.getAttribute("data-live-since") || "0";
  var interval = parseInt(section.getAttribute("data-live-interval"), 10) || 15000;
  var jitter = parseInt(section.getAttribute("data-live-jitter"), 10) || 0;
  var timer = null;
  var stopped = false;
  var busy = false;

  function schedule() {
    if (stopped || document.hidden) {
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(poll, interval + Math.floor(Math.random() * (jitter + 1)));
  }

  function stop() {
    stopped = true;
    window.clearTimeout(timer);
    section.removeAttribute("data-live-poll");
    section.setAttribute("data-live-stopped", "");
  }

  function announce(count) {
    if (!notice || count < 1) {
      return;
    }
    notice.textContent = count === 1 ? "1 new update" : count + " new updates";
  }

  // The first update at or below the top of the viewport (not `except`, which is
  // about to go), and where it is now: after a change it is put back at the same
  // place on screen.
  function place(except) {
    var children = list.children;
    for (var i = 0; i < children.length; i++) {
      if (except && except[children[i].id]) {
        continue;
      }
      var rect = children[i].getBoundingClientRect();
      if (rect.bottom > 0) {
        return { element: children[i], top: rect.top };
      }
    }
    return null;
  }

  function keep(anchor) {
    if (anchor && window.scrollY > 0 && anchor.element.isConnected) {
      var moved = anchor.element.getBoundingClientRect().top - anchor.top;
      if (moved) {
        window.scrollTo({ top: window.scrollY + moved, behavior: "instant" });
      }
    }
  }

  function parse(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    return template.content.firstElementChild;
  }

  // Edited updates replace the ones shown; deleted ones are taken away.
  function apply(changed, removed) {
    var going = {};
    for (var i = 0; i < removed.length; i++) {
      going["update-" + removed[i]] = true;
    }
    var anchor = place(going);
    for (var j = 0; j < changed.length; j++) {
      var shown = document.getElementById("update-" + changed[j].id);
      var fresh = parse(changed[j].html);
      if (shown && fresh && shown.outerHTML !== fresh.outerHTML) {
        if (anchor && anchor.element === shown) {
          anchor.element = fresh;
        }
        shown.replaceWith(fresh);
      }
    }
    for (var id in going) {
      var gone = document.getElementById(id);
      if (gone && gone.parentNode === list) {
        gone.remove();
      }
    }
    keep(anchor);
  }

  function insert(updates) {
    var anchor = place(null);
    var fragment = document.createDocumentFragment();
    var template = document.createElement("template");
    for (var j = 0; j < updates.length; j++) {
      if (document.getElementById("update-" + updates[j].id)) {
        continue; // already shown
      }
      template.innerHTML = updates[j].html;
      fragment.appendChild(template.content);
      template = document.createElement("template");
    }
    var empty = list.querySelector(".live__empty");
    if (empty) {
      empty.remove();
    }
    var added = fragment.children.length;
    list.insertBefore(fragment, list.firstChild);
    keep(anchor);
    return added;
  }

  function poll() {
    if (stopped || busy || document.hidden) {
      return;
    }
    busy = true;
    var separator = url.indexOf("?") === -1 ? "?" : "&";
    var query = "after=" + encodeURIComponent(after) + "&since=" + encodeURIComponent(since);
    fetch(url + separator + query, {
      cache: "no-cache",
      credentials: "omit",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (response.status === 404) {
          stop(); // unpublished: nothing more to show
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (answer) {
        if (answer) {
          if ((answer.changed || []).length || (answer.removed || []).length) {
            apply(answer.changed || [], answer.removed || []);
          }
          if (answer.updates && answer.updates.length) {
            announce(insert(answer.updates));
          }
          if (answer.since) {
            since = String(answer.since);
            section.setAttribute("data-live-since", since);
          }
          if (answer.latest) {
            after = String(answer.latest);
            section.setAttribute("data-live-after", after);
          }
          if (!answer.live) {
            stop();
          }
        }
      })
      .catch(function () {
        /* offline or a network error: try again at the next interval */
      })
      .then(function () {
        busy = false;
        schedule();
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      window.clearTimeout(timer);
    } else if (!stopped) {
      poll(); // back in view: catch up at once, then resume the interval
    }
  });
  // The page keeps the reader's place itself (insert): the browser's own scroll
  // anchoring would adjust a second time, or pick another element to keep still.
  document.documentElement.classList.add("live-following");
  section.setAttribute("data-live-polling", "");
  schedule();
})();
