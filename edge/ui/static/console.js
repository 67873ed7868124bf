// Console behaviour shared by every page: live pictures, confirmations.
// Live pictures are polled (one request at a time per picture) only while the page is
// visible and the picture is on screen, so a closed or hidden tab costs the daemon nothing.
(function () {
  "use strict";
  // The server draws at most ui.live_fps pictures per camera and second; asking again one
  // period after each answer keeps every answer a new picture.
  var PERIOD_MS = parseInt(document.documentElement.getAttribute("data-live-period"), 10) || 334;

  function poll(img) {
    var base = img.getAttribute("data-live");
    var visible = true;
    var timer = null;
    var tile = img.closest(".pic, .stage");
    if ("IntersectionObserver" in window) {
      new IntersectionObserver(function (entries) {
        visible = entries[0].isIntersecting;
        if (visible) schedule(0);
      }).observe(img);
    }
    function schedule(delay) {
      if (timer) clearTimeout(timer);
      timer = setTimeout(next, delay);
    }
    function next() {
      timer = null;
      if (document.hidden || !visible) return;
      var url = base + (base.indexOf("?") < 0 ? "?" : "&") + "t=" + Date.now();
      fetch(url, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        var seq = r.headers.get("X-Frame-Seq");
        return r.blob().then(function (b) { return [b, seq]; });
      }).then(function (got) {
        var old = img.src;
        img.src = URL.createObjectURL(got[0]);
        if (old && old.indexOf("blob:") === 0) URL.revokeObjectURL(old);
        img.setAttribute("data-seq", got[1] || "");
        if (tile) tile.classList.add("has-pic");
        schedule(PERIOD_MS);
      }).catch(function () {
        if (tile) tile.classList.remove("has-pic");
        schedule(1000);
      });
    }
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) schedule(0);
    });
    schedule(0);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("img[data-live]").forEach(poll);
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (ev) {
        if (!window.confirm(form.getAttribute("data-confirm"))) ev.preventDefault();
      });
    });
    document.querySelectorAll("a[data-back]").forEach(function (a) {
      a.addEventListener("click", function (ev) { ev.preventDefault(); history.back(); });
    });
  });
})();
