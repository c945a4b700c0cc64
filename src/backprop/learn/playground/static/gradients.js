// "Show gradients": the backward pass on the network. Each edge is drawn by its dC/dW_l[j,k] over every
// training point (colour: the sign, thickness: the size against the largest in the frame) and each unit by
// dC/db_l[j], the mean of its delta over the training points. Selecting an edge (click, or Enter on a
// focused edge) shows its (BP3) line for the picked training points, with the numbers, and its finite
// difference; every number comes from the server (backprop's explain()).
"use strict";
const Grad = (() => {
  let on = false, chosen = null;
  const $ = id => document.getElementById(id);
  const A = () => window.App;

  function active() { return on; }

  // Draw edges and units from the frame's gradients (called by updateNetwork while on).
  function draw() {
    const { S } = A(), f = S.frame;
    if (!on || !f || !f.grad_w || !S.edges) return false;
    const top = Math.max(1e-300, ...f.grad_w.flat(2).map(Math.abs));
    f.grad_w.forEach((rows, li) => rows.forEach((row, j) => row.forEach((g, k) => {
      const e = S.edges[li + 1][j][k], t = Math.abs(g) / top;
      e.setAttribute("stroke", Draw.css(g >= 0 ? Draw.POS : Draw.NEG));
      e.setAttribute("stroke-width", (0.5 + 7.5 * t).toFixed(2));
      e.setAttribute("stroke-opacity", (0.3 + 0.7 * t).toFixed(2));
    })));
    const topB = Math.max(1e-300, ...f.grad_b.flat().map(Math.abs));
    S.nodes.forEach((nodes, l) => nodes.forEach((n, i) => {
      const d = l ? f.grad_b[l - 1][i] : 0, t = Math.abs(d) / topB;
      n.style.boxShadow = l ? `0 0 0 ${(1 + 5 * t).toFixed(1)}px ${Draw.css(d >= 0 ? Draw.POS : Draw.NEG)}` : "";
      n.dataset.delta = l ? String(d) : "";
    }));
    document.querySelectorAll("line.edge.chosen").forEach(e => e.classList.remove("chosen"));
    if (chosen && S.edges[chosen.l]) S.edges[chosen.l][chosen.j][chosen.k].classList.add("chosen");
    return true;
  }

  function clear() {
    const { S } = A();
    if (S.nodes) S.nodes.forEach(nodes => nodes.forEach(n => { n.style.boxShadow = ""; n.dataset.delta = ""; }));
    document.querySelectorAll("line.edge.chosen").forEach(e => e.classList.remove("chosen"));
  }

  // Hit lines are focusable while on, so that an edge can be chosen from the keyboard.
  function focusable() {
    document.querySelectorAll("line.hit").forEach(h => {
      if (on) { h.setAttribute("tabindex", "0"); h.setAttribute("role", "button"); }
      else { h.removeAttribute("tabindex"); h.removeAttribute("role"); }
    });
  }

  async function choose(l, j, k) {
    const { S, api, fmt } = A();
    if (!on) return;
    chosen = { l, j, k };
    A().show(S.frame);
    const box = $("edge-panel"), f = S.frame, m = S.picked.length;
    const r = await api(`/api/explain?id=${S.id}`, { points: S.picked, learning_rate: S.settings.learning_rate });
    const stage = r.stages.find(st => st.kind === "bp3" && st.layer === l), ly = r.layers[l - 1];
    const idx = j * ly.W[0].length + k, el = (tag, text, q) => {
      const e = document.createElement(tag); e.textContent = text; if (q) e.dataset.q = q; return e;
    };
    const g = f.grad_w[l - 1][j][k];
    box.replaceChildren(
      el("h3", `Edge W_${l}[${j + 1},${k + 1}]: from ${l === 1 ? S.data.features[k] : `unit ${k + 1} of layer ${l - 1}`} to unit ${j + 1} of layer ${l}`),
      el("p", `weight ${fmt(f.weights[l - 1][j][k])}; over all ${S.data.n_train} training points \u2202C/\u2202W_${l}[${j + 1},${k + 1}] = ${fmt(g)} (the edge's colour and thickness)`),
      el("p", `On the training point(s) ${r.rows.join(", ")} (m = ${m}), the chain rule (BP3), each \u03b4 and a of its sample:`),
      ...stage.general.map(t => el("div", t)),
      ...stage.items[idx].map(t => el("div", t, "chain")),
      el("p", `finite difference (C(W + \u03b5) \u2212 C(W \u2212 \u03b5)) / (2\u03b5) = ${fmt(ly.dC_dW_numeric[j][k])}; relative error ` +
        `|backprop \u2212 numeric| / (|backprop| + |numeric|) = ${ly.dC_dW_errors[j][k].toExponential(1)}`, "check"));
    box.hidden = false;
  }

  function toggle(value) {
    on = value;
    $("show-gradients").checked = on;
    $("grad-legend").hidden = !on;
    if (!on) { chosen = null; $("edge-panel").hidden = true; clear(); }
    focusable();
    const { S } = A();
    if (S.frame) A().show(S.frame);
  }

  function wire() {
    $("show-gradients").onchange = e => toggle(e.target.checked);
    $("network").addEventListener("click", e => {
      const edge = e.target.dataset && e.target.dataset.edge;
      if (on && edge) { const [l, j, k] = edge.split("-").map(Number); A().queue(() => choose(l, j, k)); }
    });
    $("network").addEventListener("keydown", e => {
      const edge = e.target.dataset && e.target.dataset.edge;
      if (on && edge && (e.key === "Enter" || e.key === " ")) {
        e.preventDefault();
        e.stopPropagation();  // the key chose this edge; it does not also play the step-through
        const [l, j, k] = edge.split("-").map(Number);
        A().queue(() => choose(l, j, k));
      }
    });
  }
  document.addEventListener("DOMContentLoaded", wire);
  return { active, draw, focusable, refresh: () => chosen && on && A().queue(() => choose(chosen.l, chosen.j, chosen.k)),
    reset: () => { chosen = null; $("edge-panel").hidden = true; } };
})();
