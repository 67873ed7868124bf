// Zone editor on the camera page. A second SVG layer over the picture, in the camera's pixel
// coordinates like the line editor's (editor.js). It lets clicks through to the line editor
// except while a zone is being drawn ("New zone": each click adds a corner; a double-click,
// Enter or "Close polygon" finishes it) and on the corner handles of the zone being edited.
// The form's "points" field is the single source of truth: clicks and drags write it, and
// the drawing is redrawn from it; saving is a plain form POST checked by the server.
(function () {
  "use strict";
  var BLUE = "#4fa3ff", ZONE = "#3ca0eb", RESTRICTED = "#eb3c28";
  var svg, form, hint, closeBtn, zones = [], drawing = false, drag = null;

  function el(name, attrs, parent) { return EdgeSvg.el(svg, name, attrs, parent); }
  function field(name) { return form.elements.namedItem(name); }
  function size() { return EdgeSvg.size(svg); }
  function point(ev) { return EdgeSvg.point(svg, ev); }

  // "0,288 768,288; 768,576" -> [{x, y}, ...]; what cannot be read is skipped (the server
  // names it when the form is saved).
  function readPoints() {
    var raw = field("points").value.replace(/\s*,\s*/g, ",").trim();
    if (!raw) return [];
    return raw.split(/[;\s]+/).map(function (t) {
      var m = /^(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)$/.exec(t);
      return m ? { x: parseFloat(m[1]), y: parseFloat(m[2]) } : null;
    }).filter(function (p) { return p !== null; });
  }
  function writePoints(pts) {
    field("points").value = pts.map(function (p) {
      return Math.round(p.x) + "," + Math.round(p.y);
    }).join(" ");
  }
  function flat(pts) { return pts.map(function (p) { return p.x + "," + p.y; }).join(" "); }
  function topmost(pts) {
    return pts.reduce(function (a, p) { return p.y < a.y ? p : a; }, pts[0]);
  }

  function label(text, p, colour) {
    var t = el("text", { x: p.x + 4, y: p.y + size() / 40, fill: colour, "font-size": size() / 45,
                         "font-weight": "700", class: "label" });
    t.textContent = text;
  }

  function draw() {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var editing = field("original_zone_id").value;
    zones.forEach(function (z) {
      if (z.id === editing) return;
      var pts = z.polygon.map(function (p) { return { x: p[0], y: p[1] }; });
      var colour = z.restricted ? RESTRICTED : ZONE;
      el("polygon", { points: flat(pts), fill: colour, "fill-opacity": 0.18, stroke: colour,
                      "stroke-width": size() / 300, class: "zone", "data-zone": z.id });
      label(z.id, topmost(pts), "#fff");
    });
    var pts = readPoints();
    if (!pts.length) return;
    var g = el("g", { class: "editing-zone" });
    if (drawing || pts.length < 3) {
      el("polyline", { points: flat(pts), fill: "none", stroke: BLUE, "stroke-width": size() / 200,
                       "stroke-dasharray": drawing ? "10 6" : "" }, g);
    } else {
      el("polygon", { points: flat(pts), fill: BLUE, "fill-opacity": 0.25, stroke: BLUE,
                      "stroke-width": size() / 200 }, g);
      if (field("zone_id").value) label(field("zone_id").value, topmost(pts), BLUE);
    }
    pts.forEach(function (p, i) {
      var c = el("circle", { cx: p.x, cy: p.y, r: size() / 110, fill: BLUE, stroke: "#fff",
                             "stroke-width": 2, class: "handle", "data-corner": i }, g);
      c.addEventListener("pointerdown", function (ev) {
        if (drawing) return;  // while drawing, a click on a corner is a click on the picture
        ev.stopPropagation();
        drag = i;
        svg.classList.add("drawing");
        svg.setPointerCapture(ev.pointerId);
      });
    });
  }

  function setDrawing(on) {
    drawing = on;
    svg.classList.toggle("drawing", on);
    closeBtn.disabled = !on || readPoints().length < 3;
  }

  function newZone() {
    ["original_zone_id", "zone_id", "points", "dwell_s"].forEach(function (n) { field(n).value = ""; });
    field("restricted").checked = false;
    form.querySelectorAll("input[name=zone_classes]").forEach(function (c) { c.checked = c.value === "person"; });
    field("anchor").value = "bottom_center";
    document.getElementById("zone-form-title").textContent = "New zone";
    setDrawing(true);
    hint.textContent = "Click the zone's corners on the picture; double-click (or Close polygon) to finish.";
    draw();
    // The button may sit below the picture on a small screen: bring the picture back.
    var r = svg.getBoundingClientRect();
    if (r.top < 0 || r.bottom > window.innerHeight) document.getElementById("stage").scrollIntoView();
  }

  function finish() {
    var pts = readPoints();
    if (pts.length < 3) {
      hint.textContent = "A zone needs at least 3 corners; click " + (3 - pts.length) + " more.";
      return;
    }
    setDrawing(false);
    hint.textContent = "Name the zone, set its dwell time or mark it restricted, then Save zone.";
    draw();
    if (!field("zone_id").value) field("zone_id").focus();
  }

  function select(id) {
    var z = zones.filter(function (x) { return x.id === id; })[0];
    if (!z) return;
    setDrawing(false);
    field("original_zone_id").value = z.id;
    field("zone_id").value = z.id;
    writePoints(z.polygon.map(function (p) { return { x: p[0], y: p[1] }; }));
    field("dwell_s").value = z.dwell_s === null ? "" : z.dwell_s;
    field("restricted").checked = z.restricted;
    form.querySelectorAll("input[name=zone_classes]").forEach(function (c) {
      c.checked = z.classes.indexOf(c.value) >= 0;
    });
    field("anchor").value = z.anchor;
    document.getElementById("zone-form-title").textContent = "Edit zone " + z.id;
    hint.textContent = "Drag the blue corners to move them, then Save zone.";
    draw();
  }

  function onDown(ev) {
    if (!drawing) return;
    var p = point(ev), pts = readPoints(), last = pts[pts.length - 1];
    // The second press of a double-click lands on the corner just added: not a new corner.
    if (last && Math.hypot(p.x - last.x, p.y - last.y) < size() / 150) return;
    pts.push(p);
    writePoints(pts);
    closeBtn.disabled = pts.length < 3;
    hint.textContent = pts.length + " corner(s); double-click (or Close polygon) to finish.";
    draw();
  }
  function onMove(ev) {
    if (drag === null) return;
    var pts = readPoints();
    if (drag >= pts.length) return;
    pts[drag] = point(ev);
    writePoints(pts);
    draw();
  }
  function onUp() {
    if (drag === null) return;
    drag = null;
    if (!drawing) svg.classList.remove("drawing");
  }

  document.addEventListener("DOMContentLoaded", function () {
    svg = document.getElementById("zone-overlay");
    form = document.getElementById("zone-form");
    hint = document.getElementById("hint");
    closeBtn = document.getElementById("zone-close");
    if (!svg || !form) return;
    zones = JSON.parse(document.getElementById("editor-data").textContent).zones || [];
    svg.addEventListener("pointerdown", onDown);
    svg.addEventListener("pointermove", onMove);
    svg.addEventListener("pointerup", onUp);
    svg.addEventListener("dblclick", function (ev) { ev.preventDefault(); if (drawing) finish(); });
    document.getElementById("new-zone").addEventListener("click", newZone);
    closeBtn.addEventListener("click", finish);
    document.addEventListener("keydown", function (ev) {
      if (!drawing) return;
      if (ev.key === "Enter") { ev.preventDefault(); finish(); }
      if (ev.key === "Escape") { setDrawing(false); hint.textContent = "Zone drawing stopped."; draw(); }
    });
    // The line and ROI tools need the clicks: starting one stops drawing a zone.
    ["new-line", "draw-roi"].forEach(function (id) {
      var b = document.getElementById(id);
      if (b) b.addEventListener("click", function () { setDrawing(false); draw(); });
    });
    document.querySelectorAll("[data-zone-select]").forEach(function (b) {
      b.addEventListener("click", function () { select(b.getAttribute("data-zone-select")); });
    });
    form.addEventListener("input", draw);
    form.addEventListener("change", draw);
    draw();
  });
})();
