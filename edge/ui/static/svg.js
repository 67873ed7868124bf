// What the camera page's editors (editor.js: lines and ROI, zones.js: zones) share about
// their SVG layers over the picture, whose viewBox is in the camera's pixel coordinates.
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  window.EdgeSvg = {
    // A new SVG element with these attributes, appended to parent (or to svg).
    el: function (svg, name, attrs, parent) {
      var e = document.createElementNS(NS, name);
      Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
      (parent || svg).appendChild(e);
      return e;
    },
    // A pointer event's position in picture pixels, clamped to the picture.
    point: function (svg, ev) {
      var pt = svg.createSVGPoint();
      pt.x = ev.clientX; pt.y = ev.clientY;
      var p = pt.matrixTransform(svg.getScreenCTM().inverse());
      var vb = svg.viewBox.baseVal;
      return { x: Math.max(0, Math.min(vb.width, p.x)), y: Math.max(0, Math.min(vb.height, p.y)) };
    },
    // The picture's longer side in pixels (handle sizes and stroke widths scale with it).
    size: function (svg) { var vb = svg.viewBox.baseVal; return Math.max(vb.width, vb.height); }
  };
})();
