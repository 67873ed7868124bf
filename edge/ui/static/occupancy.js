// Today's entries and exits per hour, drawn with the vendored uPlot.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("hourly");
    if (!el || !window.uPlot) return;
    fetch(el.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (d) {
        var bars = uPlot.paths.bars({ size: [0.4, 40] });
        var opts = {
          width: Math.max(320, el.clientWidth - 8), height: 260,
          scales: { x: { time: false, range: [-0.5, 23.5] } },
          axes: [{ label: "hour (" + d.timezone + ")", values: function (u, v) { return v.map(function (h) { return h + ":00"; }); } },
                 { label: "people" }],
          series: [{},
            { label: "entries", stroke: "#2e9d4f", fill: "rgba(46,157,79,0.55)", paths: bars },
            { label: "exits", stroke: "#d0453a", fill: "rgba(208,69,58,0.45)", paths: bars }],
        };
        new uPlot(opts, [d.hours, d.entries, d.exits], el);
        el.setAttribute("data-ready", "1");
      });
  });
})();
