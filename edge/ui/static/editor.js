// Line and ROI editor on the camera page. The SVG lies over the picture with a viewBox in
// the camera's pixel coordinates, so a click maps straight to the numbers the YAML holds.
// The form fields are the single source of truth: clicks and drags write them, and the
// drawing is redrawn from them; saving is a plain form POST checked by the server.
(function () {
  "use strict";
  var svg, form, roiForm, hint, data, mode = "idle", pending = null, drag = null;

  function el(name, attrs, parent) { return EdgeSvg.el(svg, name, attrs, parent); }
  function field(f, name) { return f.elements.namedItem(name); }
  function num(f, name) { var v = parseFloat(field(f, name).value); return isNaN(v) ? null : v; }
  function setNum(f, name, v) { field(f, name).value = Math.round(v); }
  function side() { var c = form.querySelector("input[name=in_side]:checked"); return c ? c.value : "right"; }
  function point(ev) { return EdgeSvg.point(svg, ev); }
  function size() { return EdgeSvg.size(svg); }

  function arrow(x1, y1, x2, y2, inSide, colourIn, colourOut, g) {
    var len = Math.hypot(x2 - x1, y2 - y1) || 1;
    var nx = -(y2 - y1) / len, ny = (x2 - x1) / len;   // points to the "right" side
    if (inSide === "left") { nx = -nx; ny = -ny; }
    var mx = (x1 + x2) / 2, my = (y1 + y2) / 2, arm = size() * 0.05;
    [[1, colourIn, "IN"], [-1, colourOut, "OUT"]].forEach(function (a) {
      var tx = mx + a[0] * nx * arm, ty = my + a[0] * ny * arm;
      el("line", { x1: mx, y1: my, x2: tx, y2: ty, stroke: a[1], "stroke-width": size() / 250,
                   "marker-end": "url(#head-" + (a[0] > 0 ? "in" : "out") + ")" }, g);
      var t = el("text", { x: mx + a[0] * nx * arm * 1.6, y: my + a[0] * ny * arm * 1.6 + size() / 120,
                           fill: a[1], "font-size": size() / 40, "text-anchor": "middle",
                           "font-weight": "700", class: "label" }, g);
      t.textContent = a[2];
    });
  }

  function draw() {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var defs = el("defs", {});
    [["in", "#35c15a"], ["out", "#e8483b"]].forEach(function (m) {
      var mk = el("marker", { id: "head-" + m[0], viewBox: "0 0 10 10", refX: 8, refY: 5,
                              markerWidth: 5, markerHeight: 5, orient: "auto-start-reverse" }, defs);
      el("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: m[1] }, mk);
    });
    var editing = field(form, "original_id").value;
    data.lines.forEach(function (ln) {
      if (ln.id === editing) return;
      var g = el("g", { class: "line", "data-line": ln.id });
      el("line", { x1: ln.start[0], y1: ln.start[1], x2: ln.end[0], y2: ln.end[1], stroke: "#fff",
                   "stroke-width": size() / 200, class: "hit" }, g);
      var t = el("text", { x: ln.start[0] + 4, y: ln.start[1] - 6, fill: "#fff", "font-size": size() / 45, class: "label" }, g);
      t.textContent = ln.id;
      arrow(ln.start[0], ln.start[1], ln.end[0], ln.end[1], ln.in_side, "#35c15a", "#e8483b", g);
      g.addEventListener("click", function (ev) { ev.stopPropagation(); select(ln.id); });
    });
    var roi = [num(roiForm, "rx1"), num(roiForm, "ry1"), num(roiForm, "rx2"), num(roiForm, "ry2")];
    if (roi.every(function (v) { return v !== null; })) {
      el("rect", { x: Math.min(roi[0], roi[2]), y: Math.min(roi[1], roi[3]), width: Math.abs(roi[2] - roi[0]),
                   height: Math.abs(roi[3] - roi[1]), fill: "rgba(255,215,0,0.08)", stroke: "#ffd700",
                   "stroke-dasharray": "8 6", "stroke-width": size() / 300, class: "roi" });
    }
    var x1 = num(form, "x1"), y1 = num(form, "y1"), x2 = num(form, "x2"), y2 = num(form, "y2");
    if (x1 !== null && y1 !== null && x2 !== null && y2 !== null) {
      var g2 = el("g", { class: "editing" });
      el("line", { x1: x1, y1: y1, x2: x2, y2: y2, stroke: "#4fa3ff", "stroke-width": size() / 160 }, g2);
      arrow(x1, y1, x2, y2, side(), "#35c15a", "#e8483b", g2);
      [["1", x1, y1], ["2", x2, y2]].forEach(function (h) {
        var c = el("circle", { cx: h[1], cy: h[2], r: size() / 90, fill: "#4fa3ff", stroke: "#fff",
                               "stroke-width": 2, class: "handle", "data-handle": h[0] }, g2);
        c.addEventListener("pointerdown", function (ev) {
          ev.stopPropagation(); drag = h[0]; svg.setPointerCapture(ev.pointerId);
        });
      });
    } else if (pending) {
      el("circle", { cx: pending.x, cy: pending.y, r: size() / 90, fill: "#4fa3ff", class: "handle" });
    }
  }

  function select(id) {
    var ln = data.lines.filter(function (l) { return l.id === id; })[0];
    if (!ln) return;
    field(form, "original_id").value = ln.id;
    field(form, "id").value = ln.id;
    setNum(form, "x1", ln.start[0]); setNum(form, "y1", ln.start[1]);
    setNum(form, "x2", ln.end[0]); setNum(form, "y2", ln.end[1]);
    form.querySelectorAll("input[name=in_side]").forEach(function (r) { r.checked = r.value === ln.in_side; });
    form.querySelectorAll("input[name=classes]").forEach(function (c) { c.checked = ln.classes.indexOf(c.value) >= 0; });
    field(form, "counts_occupancy").checked = ln.counts_occupancy;
    document.getElementById("line-form-title").textContent = "Edit line " + ln.id;
    mode = "idle";
    hint.textContent = "Drag the blue handles to move the line; pick the IN side; then Save line.";
    draw();
  }

  function newLine() {
    field(form, "original_id").value = "";
    field(form, "id").value = "";
    ["x1", "y1", "x2", "y2"].forEach(function (n) { field(form, n).value = ""; });
    document.getElementById("line-form-title").textContent = "New line";
    mode = "line"; pending = null;
    hint.textContent = "Click the line's first point on the picture.";
    draw();
  }

  function onDown(ev) {
    var p = point(ev);
    if (mode === "line") {
      if (!pending) {
        pending = p;
        hint.textContent = "Click the second point.";
        draw();
      } else {
        setNum(form, "x1", pending.x); setNum(form, "y1", pending.y);
        setNum(form, "x2", p.x); setNum(form, "y2", p.y);
        pending = null; mode = "idle";
        hint.textContent = "Name the line, pick the IN side (green arrow), then Save line.";
        draw();
        field(form, "id").focus();
      }
    } else if (mode === "roi") {
      drag = "roi"; pending = p;
      setNum(roiForm, "rx1", p.x); setNum(roiForm, "ry1", p.y);
      setNum(roiForm, "rx2", p.x); setNum(roiForm, "ry2", p.y);
      svg.setPointerCapture(ev.pointerId);
    }
  }
  function onMove(ev) {
    if (!drag) return;
    var p = point(ev);
    if (drag === "roi") { setNum(roiForm, "rx2", p.x); setNum(roiForm, "ry2", p.y); }
    else { setNum(form, "x" + drag, p.x); setNum(form, "y" + drag, p.y); }
    draw();
  }
  function onUp() {
    if (drag === "roi") {
      var a = [num(roiForm, "rx1"), num(roiForm, "ry1"), num(roiForm, "rx2"), num(roiForm, "ry2")];
      setNum(roiForm, "rx1", Math.min(a[0], a[2])); setNum(roiForm, "rx2", Math.max(a[0], a[2]));
      setNum(roiForm, "ry1", Math.min(a[1], a[3])); setNum(roiForm, "ry2", Math.max(a[1], a[3]));
      mode = "idle"; pending = null;
      hint.textContent = "Save ROI to apply it.";
      draw();
    }
    drag = null;
  }

  document.addEventListener("DOMContentLoaded", function () {
    svg = document.getElementById("overlay");
    form = document.getElementById("line-form");
    roiForm = document.getElementById("roi-form");
    hint = document.getElementById("hint");
    if (!svg || !form) return;
    data = JSON.parse(document.getElementById("editor-data").textContent);
    svg.addEventListener("pointerdown", onDown);
    svg.addEventListener("pointermove", onMove);
    svg.addEventListener("pointerup", onUp);
    document.getElementById("new-line").addEventListener("click", newLine);
    document.getElementById("draw-roi").addEventListener("click", function () {
      mode = "roi"; hint.textContent = "Drag a rectangle on the picture.";
    });
    document.querySelectorAll("[data-select]").forEach(function (b) {
      b.addEventListener("click", function () { select(b.getAttribute("data-select")); });
    });
    form.addEventListener("input", draw);
    form.addEventListener("change", draw);
    roiForm.addEventListener("input", draw);
    draw();
  });
})();
