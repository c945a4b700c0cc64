// Drawing only: every number drawn here came from the server (backprop's own engine).
"use strict";
const Draw = (() => {
  const NEG = [245, 147, 34], POS = [8, 119, 189], WHITE = [255, 255, 255];
  const PALETTE = [[245, 147, 34], [8, 119, 189], [46, 160, 44], [148, 103, 189], [214, 39, 40]];
  const mix = (a, b, t) => [0, 1, 2].map(i => Math.round(a[i] + (b[i] - a[i]) * t));
  const css = c => `rgb(${c[0]},${c[1]},${c[2]})`;
  // v in [-1, 1] -> orange (negative) .. white .. blue (positive)
  const diverging = v => v < 0 ? mix(WHITE, NEG, Math.min(1, -v)) : mix(WHITE, POS, Math.min(1, v));

  function bytes(b64) {
    const s = atob(b64), out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  // Fill a size x size canvas from a function of the pixel index giving [r, g, b].
  function paint(canvas, size, colour) {
    if (canvas.width !== size) { canvas.width = size; canvas.height = size; }
    const ctx = canvas.getContext("2d"), img = ctx.createImageData(size, size);
    for (let i = 0; i < size * size; i++) {
      const c = colour(i);
      img.data[4 * i] = c[0]; img.data[4 * i + 1] = c[1]; img.data[4 * i + 2] = c[2]; img.data[4 * i + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  function unitMap(canvas, size, map) {
    const v = bytes(map.data);
    paint(canvas, size, i => diverging(v[i] / 127.5 - 1));
  }

  // discrete: every pixel in its class's (or side's) full colour, as TF Playground's "discretize output"
  function outputColour(output, discrete) {
    if (output.kind === "classes") {
      const k = bytes(output.class), c = bytes(output.confidence);
      return i => mix(WHITE, PALETTE[k[i] % PALETTE.length], discrete ? 0.6 : 0.25 + 0.6 * c[i] / 255);
    }
    const v = bytes(output.kind === "binary" ? output.p : output.v);
    return discrete ? i => diverging(v[i] >= 127.5 ? 0.6 : -0.6) : i => diverging((v[i] / 255 * 2 - 1) * 0.85);
  }

  // Ticks and numbers along the bottom and left edges of the map, in the data's own coordinates.
  function axes(ctx, domain, W, H) {
    const [x0, x1, y0, y1] = domain, span = Math.max(x1 - x0, y1 - y0);
    const step = [0.5, 1, 2, 5, 10, 20, 50, 100].find(s => span / s <= 8) || span / 4;
    ctx.font = "10px sans-serif"; ctx.fillStyle = "#333"; ctx.strokeStyle = "#333"; ctx.lineWidth = 1;
    for (let v = Math.ceil(x0 / step) * step; v <= x1 + 1e-9; v += step) {
      const px = (v - x0) / (x1 - x0) * W;
      ctx.beginPath(); ctx.moveTo(px, H); ctx.lineTo(px, H - 5); ctx.stroke();
      if (px > 8 && px < W - 8) ctx.fillText(String(+v.toFixed(2)), px - 6, H - 7);
    }
    for (let v = Math.ceil(y0 / step) * step; v <= y1 + 1e-9; v += step) {
      const py = (y1 - v) / (y1 - y0) * H;
      ctx.beginPath(); ctx.moveTo(0, py); ctx.lineTo(5, py); ctx.stroke();
      if (py > 8 && py < H - 14) ctx.fillText(String(+v.toFixed(2)), 7, py + 3);
    }
    ctx.fillText("x1 \u2192", W - 34, H - 16); ctx.fillText("x2 \u2191", 7, 12);
  }

  // The colour scale under the map: what a colour means, from low to high.
  function scale(canvas, data, discrete) {
    const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
    ctx.clearRect(0, 0, W, H);
    ctx.font = "11px sans-serif"; ctx.fillStyle = "#333";
    if (data.task === "classification" && data.classes.length > 2) {
      ctx.fillText(discrete ? "class with the highest probability" : "class; paler where its probability is lower", 0, 11);
      return;
    }
    const left = 40, right = W - 40;
    for (let x = left; x < right; x++) {
      const t = (x - left) / (right - left) * 2 - 1;
      ctx.fillStyle = css(diverging(discrete ? (t >= 0 ? 0.6 : -0.6) : t * 0.85));
      ctx.fillRect(x, 2, 1, 10);
    }
    ctx.fillStyle = "#333";
    const [lo, hi] = data.task === "classification" ? [0, 1] : data.target_range;
    const label = data.task === "classification" ? `P(${data.classes[1]})` : "output";
    ctx.fillText(String(+lo.toPrecision(3)), 0, 11); ctx.fillText(String(+hi.toPrecision(3)), right + 4, 11);
    ctx.fillText(`${label}: ${+lo.toPrecision(3)} .. ${+hi.toPrecision(3)}; unit maps: \u2212max|a| .. +max|a|`, 0, 26);
  }

  function pointColour(data, value) {
    if (data.task === "classification") {
      if (data.classes.length === 2) return css(value >= 0.5 ? POS : NEG);
      return css(PALETTE[value % PALETTE.length]);
    }
    const [lo, hi] = data.target_range;
    return css(diverging(((value - lo) / Math.max(hi - lo, 1e-12)) * 2 - 1));
  }

  // The big output map: the network's output over the plane, then the points.
  function outputMap(canvas, data, frame, options) {
    const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
    ctx.clearRect(0, 0, W, H);
    if (!data.plane || !frame.maps) {
      ctx.fillStyle = "#666"; ctx.font = "13px sans-serif";
      ctx.fillText("more than two features: no plane to draw", 12, H / 2);
      return;
    }
    const off = document.createElement("canvas");
    paint(off, data.grid, outputColour(frame.maps.output, options.discrete));
    ctx.imageSmoothingEnabled = !options.discrete;
    ctx.drawImage(off, 0, 0, W, H);
    const [x0, x1, y0, y1] = data.domain;
    const at = p => [(p[0] - x0) / (x1 - x0) * W, (y1 - p[1]) / (y1 - y0) * H];
    const dot = (p, test, picked) => {
      const [px, py] = at(p);
      ctx.beginPath(); ctx.arc(px, py, picked ? 6 : 3.5, 0, 2 * Math.PI);
      ctx.fillStyle = pointColour(data, p[2]); ctx.fill();
      ctx.lineWidth = picked ? 3 : 1; ctx.strokeStyle = picked ? "#ffb300" : test ? "#000" : "#fff"; ctx.stroke();
    };
    data.train.forEach((p, i) => dot(p, false, options.picked.includes(i)));
    if (options.showTest) data.test.forEach(p => dot(p, true, false));
    axes(ctx, data.domain, W, H);
  }

  function curve(canvas, rows) {
    const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
    ctx.clearRect(0, 0, W, H);
    if (rows.length < 2) return;
    const top = Math.max(...rows.map(r => Math.max(r[1], r[2] ?? 0))) || 1;
    const n = rows.length;
    [[1, "#183d4e"], [2, "#9e9e9e"]].forEach(([k, colour]) => {
      ctx.beginPath(); ctx.strokeStyle = colour; ctx.lineWidth = 1.5;
      rows.forEach((r, i) => {
        if (r[k] === null) return;
        const x = i / (n - 1) * (W - 4) + 2, y = H - 2 - Math.min(r[k] / top, 1) * (H - 4);
        i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
      });
      ctx.stroke();
    });
  }

  return { bytes, paint, unitMap, outputMap, outputColour, curve, scale, diverging, css, PALETTE, NEG, POS };
})();
