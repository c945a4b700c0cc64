// Step through one gradient-descent step, one equation at a time. Every number shown is a field of
// the JSON that backprop's explain() returns for the current network and the picked points: the
// page formats and places them, it computes none of them.
"use strict";
const Stepper = (() => {
  let on = false, r = null, stages = [], at = 0, pick = 0, timer = null, vanishOn = false;
  const $ = id => document.getElementById(id);
  const A = () => window.App;
  const layer = l => r.layers[l - 1];

  function active() { return on; }
  // The explanation is of the weights at r.epoch; once training moves past them it is stale, and says so.
  const current = () => r && A().S.frame && r.epoch === A().S.frame.epoch;
  let shownStale = false;
  function frameChanged() {
    if (on && r && !current() !== shownStale) render();
  }

  // The steps and their equations with numbers come from the server (backprop.learn.equations).
  function buildStages() {
    stages = r.stages.map(st => Object.assign({ k: st.kind, l: st.layer }, st));
    at = Math.min(at, stages.length - 1);
  }

  function reload() {
    if (!on) return;
    const { S, api, queue } = A();
    queue(async () => {
      r = await api(`/api/explain?id=${S.id}`, { points: S.picked, learning_rate: S.settings.learning_rate });
      buildStages();
      pick = Math.min(pick, count() - 1);
      render();
      A().show(S.frame);
    });
  }

  // How many units (or weights, for BP3 and the update) the current stage has to choose from.
  function count() { return stages[at] ? stages[at].items.length : 1; }
  const edgeOf = (l, index) => [Math.floor(index / r.sizes[l - 1]), index % r.sizes[l - 1]];
  // The update's items: every weight of every layer, then every bias: [l, j, k] or [l, j, null].
  function updateEdge(index) {
    for (let l = 1; l <= r.layers.length; l++) {
      const n = layer(l).W.length * layer(l).W[0].length;
      if (index < n) return [l, ...edgeOf(l, index)];
      index -= n;
    }
    for (let l = 1; l <= r.layers.length; l++) {
      if (index < layer(l).b.length) return [l, index, null];
      index -= layer(l).b.length;
    }
    return [1, 0, 0];
  }

  // ---- the table of the stage's numbers ------------------------------------------------------
  function tableHtml(st) {
    const { fmt } = A(), l = st.l, ly = layer(l), m = r.samples, rows = [];
    const cells = (q, values, i, k) => values.map((v, s) => `<td data-q="${q}" data-l="${l}" data-i="${i}"${k === undefined ? "" : ` data-k="${k}"`} data-s="${s}">${fmt(v)}</td>`).join("");
    const head = (extra) => `<tr><th>quantity</th>${Array.from({ length: m }, (_, s) => `<th>sample ${s + 1} (point ${r.rows[s]})</th>`).join("")}${extra || ""}</tr>`;
    const row = (i, label, html) => `<tr data-row="${i}" class="${i === pick ? "current" : ""}"><td class="label">${label}</td>${html}</tr>`;
    if (["z", "a", "bp1", "bp2"].includes(st.k)) {
      const qs = { z: ["z"], a: ["z", "a"], bp1: ["a", "delta"], bp2: ["delta"] }[st.k];
      let html = head();
      ly.z.forEach((_, i) => qs.forEach(q => { html += row(i, `${q === "delta" ? "\u03b4" : q}_${l}[${i + 1}]`, cells(q, ly[q][i], i)); }));
      if (st.k === "bp1") r.y.forEach((vals, i) => { html += `<tr><td class="label">y[${i + 1}]</td>${vals.map(v => `<td>${fmt(v)}</td>`).join("")}</tr>`; });
      if (st.k === "bp2" && ly.sigma_prime) ly.sigma_prime.forEach((vals, i) => { html += `<tr><td class="label">\u03c3'(z_${l}[${i + 1}])</td>${vals.map(v => `<td>${fmt(v)}</td>`).join("")}</tr>`; });
      return html;
    }
    if (st.k === "cost") return `<tr><th>C</th><td data-q="cost">${fmt(r.cost)}</td></tr>`;
    const check = (q, label, idx) => `<td><button type="button" class="checkbtn" data-check="${q}" data-l="${l}" data-idx="${idx}" aria-label="Check ${label}">Check</button></td><td class="check" data-out="${q}-${l}-${idx}"></td>`;
    const gradHead = `<tr><th>gradient</th><th>backprop</th><th></th><th>finite difference, relative error</th></tr>`;
    if (st.k === "bp3") {
      let html = gradHead;
      ly.dC_dW.forEach((vals, j) => vals.forEach((g, k) => {
        const label = `\u2202C/\u2202W_${l}[${j + 1},${k + 1}]`, idx = j * vals.length + k;
        html += row(idx, label, `<td data-q="dC_dW" data-l="${l}" data-i="${j}" data-k="${k}">${fmt(g)}</td>` + check("dC_dW", `dC/dW_${l}[${j + 1},${k + 1}]`, idx));
      }));
      return html;
    }
    if (st.k === "bp4") {
      let html = gradHead;
      ly.dC_db.forEach((g, j) => {
        html += row(j, `\u2202C/\u2202b_${l}[${j + 1}]`, `<td data-q="dC_db" data-l="${l}" data-i="${j}">${fmt(g)}</td>` + check("dC_db", `dC/db_${l}[${j + 1}]`, j));
      });
      return html;
    }
    let html = `<tr><th>parameter</th><th>before</th><th>gradient</th><th>after</th></tr>`, idx = 0;
    r.layers.forEach((u, li) => u.W.forEach((ws, j) => ws.forEach((w, k) => {
      html += row(idx++, `W_${li + 1}[${j + 1},${k + 1}]`, `<td>${fmt(w)}</td><td>${fmt(u.dC_dW[j][k])}</td><td data-q="W_new" data-l="${li + 1}" data-i="${j}" data-k="${k}">${fmt(u.W_new[j][k])}</td>`);
    })));
    r.layers.forEach((u, li) => u.b.forEach((b, j) => {
      html += row(idx++, `b_${li + 1}[${j + 1}]`, `<td>${fmt(b)}</td><td>${fmt(u.dC_db[j])}</td><td data-q="b_new" data-l="${li + 1}" data-i="${j}">${fmt(u.b_new[j])}</td>`);
    }));
    return html + `<tr><td class="label">cost</td><td data-q="cost">${fmt(r.cost)}</td><td></td><td data-q="cost_after">${fmt(r.cost_after)}</td></tr>`;
  }

  function render() {
    const box = $("stage");
    $("stage-count").textContent = on && r ? `step ${at + 1} of ${stages.length}` : "";
    for (const id of ["prev", "next", "autoplay"]) $(id).disabled = !on || !r;
    const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; e.textContent = text; return e; };
    shownStale = on && r && !current();
    if (!on || !r) { box.replaceChildren(); return; }
    if (shownStale) {
      const note = el("p", "stale", `Training has moved on to epoch ${A().S.frame.epoch}; the step shown was for epoch ` +
        `${r.epoch}, so it is hidden. Pause (or press Step) to step through the current weights.`);
      note.id = "stale-note";
      box.replaceChildren(note);
      decorate();
      return;
    }
    const st = stages[at];
    const title = el("h3", "", st.title); title.id = "stage-title";
    const hint = `training point(s) ${r.rows.join(", ")}: m = ${r.samples}; \u03b4 is each sample's own, the 1/m is in BP3 and BP4; ` +
      `\u2191/\u2193 choose the ${st.k === "bp3" || st.k === "update" ? "weight" : "unit"}.`;
    const table = document.createElement("table");
    table.innerHTML = tableHtml(st);
    box.replaceChildren(title, ...st.general.map(g => el("div", "general", g)),
      ...st.items[Math.min(pick, st.items.length - 1)].map(e => el("div", "equation", e)), el("p", "hint", hint), table);
    box.querySelectorAll("tr[data-row]").forEach(tr => { tr.onclick = () => { pick = Number(tr.dataset.row); render(); decorate(); }; });
    box.querySelectorAll("button[data-check]").forEach(b => { b.onclick = e => { e.stopPropagation(); showCheck(b); }; });
    decorate();
  }

  function showCheck(button) {
    const { fmt } = A(), q = button.dataset.check, l = Number(button.dataset.l), idx = Number(button.dataset.idx), ly = layer(l);
    const [num, err] = q === "dC_dW"
      ? (() => { const [j, k] = edgeOf(l, idx); return [ly.dC_dW_numeric[j][k], ly.dC_dW_errors[j][k]]; })()
      : [ly.dC_db_numeric[idx], ly.dC_db_errors[idx]];
    const out = document.querySelector(`[data-out="${q}-${l}-${idx}"]`);
    out.innerHTML = `<span data-q="${q}_numeric">${fmt(num)}</span>, relative error <span data-q="${q}_error">${err.toExponential(1)}</span>`;
  }

  // ---- marks on the network diagram ----------------------------------------------------------
  function decorate() {
    const { S, short } = A();
    if (!S.nodes) return;
    S.nodes.forEach(layerNodes => layerNodes.forEach(n => { n.classList.remove("lit", "picked"); n.querySelector(".val").textContent = ""; }));
    S.edges.forEach(ls => ls && ls.forEach(js => js.forEach(e => e.classList.remove("lit", "back"))));
    if (!on || !r || !current() || !stages[at] || r.sizes.length !== S.nodes.length) return;
    const st = stages[at], l = st.l, L = r.layers.length;
    const q = { z: "z", a: "a", cost: "a", bp1: "delta", bp2: "delta", bp4: "dC_db" }[st.k];
    if (q) S.nodes[l].forEach((n, i) => {
      n.classList.add("lit");
      const v = q === "dC_db" ? layer(l).dC_db[i] : layer(l)[q][i][0];
      n.querySelector(".val").textContent = `${q === "delta" ? "\u03b4" : q === "dC_db" ? "\u2202b" : q}=${short(v)}`;
    });
    if (["z", "a", "bp1", "bp2", "bp4"].includes(st.k) && S.nodes[l][pick]) S.nodes[l][pick].classList.add("picked");
    if (st.k === "z") S.edges[l].forEach(js => js.forEach(e => e.classList.add("lit")));
    if (st.k === "bp2") S.edges[l + 1].forEach(js => js.forEach(e => e.classList.add("back")));
    if (st.k === "bp3") { const [j, k] = edgeOf(l, pick); S.edges[l].forEach(js => js.forEach(e => e.classList.add("lit"))); S.edges[l][j][k].classList.add("back"); }
    if (st.k === "update") {
      const [m, j, k] = updateEdge(pick);
      if (k === null) S.nodes[m][j].classList.add("picked"); else S.edges[m][j][k].classList.add("back");
    }
    if (l === L && st.k === "cost") S.nodes[L].forEach(n => n.classList.add("lit"));
  }

  function hoverLines(t) {
    const { fmt } = A();
    if (!on || !r || !current() || r.sizes.length !== A().S.nodes.length) return [];
    if (t.kind === "edge") {
      const ly = layer(t.l);
      return [`gradient \u2202C/\u2202W_${t.l}[${t.j + 1},${t.k + 1}] = ${fmt(ly.dC_dW[t.j][t.k])}`];
    }
    const of = r.samples > 1 ? ` (sample 1 of ${r.samples})` : "";
    if (t.l === 0) return [`a_0[${t.j + 1}] = x = ${fmt(r.x[t.j][0])}${of}`];
    const ly = layer(t.l), j = t.j, sfx = `_${t.l}[${j + 1}]`;
    return [`z${sfx} = ${fmt(ly.z[j][0])}${of}`, `a${sfx} = ${fmt(ly.a[j][0])}${of}`,
      `\u03b4${sfx} = ${fmt(ly.delta[j][0])}${of}`, `gradient \u2202C/\u2202b${sfx} = ${fmt(ly.dC_db[j])}`];
  }

  // ---- moving through the steps ------------------------------------------------------------
  function go(d) {
    if (!r) return;
    const next = Math.max(0, Math.min(stages.length - 1, at + d));
    if (next !== at) { at = next; pick = 0; }
    render();
    if (at === stages.length - 1) stopAuto();
  }
  function stopAuto() {
    if (timer) clearInterval(timer);
    timer = null;
    $("autoplay").setAttribute("aria-label", "Play steps"); $("autoplay").textContent = "Play steps";
  }
  function toggleAuto() {
    if (timer) return stopAuto();
    if (!on) return;
    A().pause();
    if (at === stages.length - 1) { at = 0; render(); }
    timer = setInterval(() => go(1), 900);
    $("autoplay").setAttribute("aria-label", "Pause steps"); $("autoplay").textContent = "Pause steps";
  }
  function setOn(value) {
    on = value;
    $("step-through").setAttribute("aria-pressed", String(on));
    if (!on) { stopAuto(); r = null; render(); A().show(A().S.frame); return; }
    A().pause();
    at = 0; pick = 0;
    reload();
  }

  function wire() {
    $("step-through").onclick = () => setOn(!on);
    $("prev").onclick = () => go(-1);
    $("next").onclick = () => go(1);
    $("autoplay").onclick = () => toggleAuto();
    $("worked-example").onclick = () => {
      const { S } = A();
      Object.assign(S.settings, { dataset: "worked-example", problem: "regression", learning_rate: 0.5 });
      on = true; at = 0; pick = 0;
      $("step-through").setAttribute("aria-pressed", "true");
      A().queue(async () => { await window.newSession(); });
    };
    $("vanishing").onclick = () => {
      vanishOn = !vanishOn;
      $("vanishing").setAttribute("aria-pressed", String(vanishOn));
      $("vanish").hidden = !vanishOn;
      if (vanishOn) A().queue(async () => Vanish.render($("vanish"), await A().api(`/api/vanishing?id=${A().S.id}`)));
    };
    document.addEventListener("keydown", e => {
      if (!on || e.altKey || e.ctrlKey || e.metaKey) return;
      const tag = (e.target.tagName || "").toLowerCase();
      if (["input", "select", "textarea"].includes(tag)) return;
      // Space and Enter press the focused control (a button, a link, the Features list): theirs, not ours.
      if ((e.key === " " || e.key === "Enter") && ["button", "a", "summary"].includes(tag)) return;
      if (e.key === "ArrowRight") { e.preventDefault(); stopAuto(); go(1); }
      else if (e.key === "ArrowLeft") { e.preventDefault(); stopAuto(); go(-1); }
      else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        if (r) { pick = (pick + (e.key === "ArrowDown" ? 1 : count() - 1)) % count(); render(); }
      } else if (e.key === " ") { e.preventDefault(); toggleAuto(); }
    });
  }
  document.addEventListener("DOMContentLoaded", wire);
  return { active, reload, decorate, hoverLines, stopAuto, render, frameChanged };
})();

// The vanishing-gradient view: |delta| per unit of a deep sigmoid and a deep relu network, on a log scale.
const Vanish = (() => {
  const LOW = -8;  // 1e-8 .. 1 on the colour scale
  const colour = v => {
    const t = Math.max(0, Math.min(1, (Math.log10(Math.max(v, 1e-300)) - LOW) / -LOW));
    const a = [68, 1, 84], b = [33, 145, 140], c = [253, 231, 37];
    const mix = (x, y, s) => x.map((xi, i) => Math.round(xi + (y[i] - xi) * s));
    return Draw.css(t < 0.5 ? mix(a, b, t * 2) : mix(b, c, (t - 0.5) * 2));
  };
  const mean = xs => xs.reduce((s, x) => s + x, 0) / xs.length;
  function figure(name, r) {
    const layers = r.layers, W = 64 * layers.length + 40, maxN = Math.max(...r.sizes.slice(1)), H = maxN * 30 + 20;
    let svg = `<svg width="${W}" height="${H}" role="img" aria-label="${name}: size of delta per unit">`;
    const rows = [];
    layers.forEach((ly, li) => {
      const sizes = ly.delta.map(row => mean(row.map(Math.abs)));
      rows.push([ly.layer, mean(sizes)]);
      sizes.forEach((v, i) => {
        const x = 24 + li * 64, y = 16 + i * 30;
        const sp = ly.sigma_prime ? ly.sigma_prime[i] : null;
        const dead = sp && ly.activation === "relu" && sp.every(s => s === 0);
        const saturated = sp && ly.activation === "sigmoid" && Math.max(...sp) < 0.02;
        svg += `<circle cx="${x}" cy="${y}" r="10" fill="${colour(v)}" stroke="#333"><title>layer ${ly.layer} unit ${i + 1}: mean |\u03b4| = ${v.toExponential(2)}${dead ? " (dead)" : ""}${saturated ? " (saturated)" : ""}</title></circle>`;
        if (dead || saturated) svg += `<text x="${x + 11}" y="${y - 6}" font-size="10" fill="#b00020" data-mark="${dead ? "dead" : "saturated"}">${dead ? "dead" : "sat"}</text>`;
      });
      svg += `<text x="${24 + li * 64}" y="${H - 2}" font-size="10" text-anchor="middle">l=${ly.layer}</text>`;
    });
    svg += "</svg>";
    const table = `<table><tr><th>layer</th><th>mean |\u03b4_l|</th></tr>${rows.map(([l, v]) => `<tr><td>${l}</td><td data-vanish="${name}-${l}">${v.toExponential(2)}</td></tr>`).join("")}</table>`;
    return `<figure><figcaption>${name}</figcaption>${svg}${table}</figure>`;
  }
  function render(box, data) {
    const stops = [0, 0.25, 0.5, 0.75, 1].map(t => `<span style="display:inline-block;width:40px;height:10px;background:${colour(10 ** (LOW + t * -LOW))}"></span>`).join("");
    box.innerHTML = figure("sigmoid", data.sigmoid) + figure("relu", data.relu) +
      `<p class="scale">mean |\u03b4| per unit, log scale: 1e-8 ${stops} 1; "sat": a saturated sigmoid unit (\u03c3' &lt; 0.02 on every point), "dead": a relu unit with \u03c3' = 0 on every point.</p>`;
  }
  return { render };
})();
