// The playground page: controls, the URL, and drawing what the server sends. No backprop here.
"use strict";
const $ = id => document.getElementById(id);
// What each setting may be, its default and the network's limits: the server's option specs (GET /api/options).
let OPTIONS, DEFAULTS, FEATURES, DATASETS;
const TUNABLE = ["learning_rate", "optimizer", "l2", "l1", "batch_size"];  // change without a reset
const S = { id: null, data: null, frame: null, curve: [], playing: false, settings: null, picked: [0],
  showTest: false, hasUpload: false, hover: null, busy: Promise.resolve(), changes: 0 };

function fmt(v) {
  if (v === null || v === undefined) return "-";
  return v !== 0 && Math.abs(v) < 1e-4 ? v.toExponential(6) : v.toFixed(8);
}
const short = v => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3));

// ---- the URL holds the whole setup ----------------------------------------------------------
// What a link may hold: a check per setting (true, or why not), from the server's specs (GET /api/options).
// A bad one is named and replaced by its default.
function allowed(spec, v) {  // the server's Spec.check, for one value of a link
  if (spec.choices.length) return spec.choices.includes(v) || "one of " + spec.choices.join(", ");
  const whole = spec.kind === "int", lo = spec.low, hi = spec.high;
  const ok = Number.isFinite(v) && (!whole || Number.isInteger(v)) && (lo === null || (spec.low_open ? v > lo : v >= lo)) &&
    (hi === null || (spec.high_open ? v < hi : v <= hi));
  return ok || `not ${whole ? "a whole number" : "a number"} in ${spec.low_open ? "(" : "["}${lo}, ${hi}${spec.high_open ? ")" : "]"}`;
}
const LINK_CHECKS = {
  features: v => (v.length > 0 && v.every(f => FEATURES.includes(f)) && new Set(v).size === v.length) || "features from " + FEATURES.join(", "),
  layers: v => (v.length <= OPTIONS.max_layers && v.every(n => Number.isInteger(n) && n >= 1 && n <= OPTIONS.max_units)) ||
    `at most ${OPTIONS.max_layers} layers of 1..${OPTIONS.max_units} units`,
  activations: v => v.every(a => OPTIONS.activations.includes(a)) || "activations from " + OPTIONS.activations.join(", "),
};
function readHash() {
  const s = JSON.parse(JSON.stringify(DEFAULTS)), q = new URLSearchParams(location.hash.slice(1)), bad = [];
  for (const [k, v] of q) {
    if (k === "test") { S.showTest = v === "1"; continue; }
    if (k === "discretize") { S.discretize = v === "1"; continue; }
    if (!(k in s)) { bad.push(`${k} (not a setting)`); continue; }
    const list = ["features", "layers", "activations"].includes(k);
    const value = list ? (v ? v.split(",") : []).map(x => (k === "layers" ? Number(x) : x))
      : typeof DEFAULTS[k] === "number" ? (v.trim() === "" ? NaN : Number(v)) : v;
    const ok = list ? LINK_CHECKS[k](value) : allowed(OPTIONS.settings[k], value);
    if (ok === true) s[k] = value; else bad.push(`${k}=${v.slice(0, 40)} (${ok})`);
  }
  while (s.activations.length < s.layers.length) s.activations.push(s.activations[0] || OPTIONS.activations[0]);
  s.activations.length = s.layers.length;
  S.linkProblems = bad;
  return s;
}
function writeHash() {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(S.settings)) q.set(k, Array.isArray(v) ? v.join(",") : v);
  q.set("test", S.showTest ? "1" : "0");
  q.set("discretize", S.discretize ? "1" : "0");
  history.replaceState(null, "", "#" + q.toString());
}

// ---- talking to the server --------------------------------------------------------------------
// A POST carries the page's token (the server refuses a change without it) and a JSON body.
const TOKEN = document.querySelector('meta[name="backprop-token"]').content;
async function api(path, body) {
  const options = body === undefined ? {} : { method: "POST", body: JSON.stringify(body),
    headers: { "Content-Type": "application/json", "X-Backprop-Token": TOKEN } };
  const response = await fetch(path, options);
  const type = response.headers.get("content-type") || "";
  const value = type.includes("json") ? await response.json() : { error: await response.text() };
  if (!response.ok) throw new Error(value.error || response.statusText);
  return value;
}
// One polite status line; errors are red and start with "error:", anything else is plain information.
function say(message, kind) {
  const status = $("status");
  status.textContent = message || "";
  status.classList.toggle("error", kind === "error" || /^error:/.test(message || ""));
}
// Epoch and losses change many times a second: a screen reader hears them at most once a second.
let lastAnnounced = 0;
function announce(frame, now) {
  if (!now && Date.now() - lastAnnounced < 1000) return;
  lastAnnounced = Date.now();
  const test = frame.test_loss === null ? "" : `, test loss ${frame.test_loss.toFixed(3)}`;
  $("announce").textContent = `Epoch ${frame.epoch}, training loss ${frame.train_loss.toFixed(3)}${test}`;
}
// Run one server call at a time, in order; report a failure on the page (never a console error).
function queue(task) {
  S.busy = S.busy.then(task).catch(err => { say("error: " + err.message, "error"); pause(); });
  return S.busy;
}

async function newSession() {
  pause();
  writeHash();
  const sent = S.changes;
  let r;
  try {
    r = await api("/api/session", { settings: S.settings });
  } catch (err) {
    if (S.id !== null) throw err;  // a change on a working page: say so, keep the page as it is
    S.linkProblems = (S.linkProblems || []).concat([err.message]);
    S.settings = JSON.parse(JSON.stringify(DEFAULTS));
    r = await api("/api/session", { settings: S.settings });
  }
  S.id = r.id; S.data = r.data; S.hasUpload = r.has_upload; S.curve = [];
  // A change made while this request was in flight stays: its own request is queued behind this one.
  if (S.changes === sent) S.settings = JSON.parse(JSON.stringify(r.data.settings));  // a copy: S.data keeps the session's
  S.picked = [0];
  if (S.linkProblems && S.linkProblems.length) {
    say(`error: the link's setting(s) ${S.linkProblems.join("; ")} replaced by the defaults`, "error");
    S.linkProblems = [];
    writeHash();
  } else say("");
  $("points").value = "1";
  fillControls();
  buildNetwork();
  show(r.frame);
  $("download").href = `/api/model?id=${S.id}`;
  Grad.reset();
  Grad.focusable();
  Stepper.reload();
}

function show(frame) {
  S.frame = frame;
  for (const row of frame.curve) if (!S.curve.length || row[0] > S.curve[S.curve.length - 1][0]) S.curve.push(row);
  $("epoch").textContent = String(frame.epoch).padStart(4, "0");
  $("train-loss").textContent = frame.train_loss.toFixed(3);
  $("test-loss").textContent = frame.test_loss === null ? "-" : frame.test_loss.toFixed(3);
  announce(frame, !S.playing);
  if (frame.message) { say("error: " + frame.message, "error"); pause(); }
  Draw.curve($("curve"), S.curve);
  Draw.outputMap($("map"), S.data, frame, { picked: Stepper.active() ? S.picked : [], showTest: S.showTest,
    discrete: S.discretize });
  Draw.scale($("scale"), S.data, S.discretize);
  updateNetwork();
  Stepper.frameChanged();
}

async function trainStep() { show(await api(`/api/step?id=${S.id}&epochs=1`, {})); }

function play() {
  if (S.playing) return;
  Stepper.stopAuto();
  S.playing = true;
  $("play").setAttribute("aria-label", "Pause"); $("play").innerHTML = "&#10074;&#10074;";
  const loop = async () => {
    while (S.playing) {
      await trainStep();
      await new Promise(r => requestAnimationFrame(r));
    }
  };
  queue(loop);
}
function pause() {
  const was = S.playing;
  S.playing = false;
  if (was) { Stepper.reload(); Grad.refresh(); }  // the step-through and a chosen edge show the weights training stopped at
  $("play").setAttribute("aria-label", "Play"); $("play").innerHTML = "&#9654;";
}

// ---- controls ---------------------------------------------------------------------------------
function fillControls() {
  const s = S.settings, ds = $("dataset");
  ds.innerHTML = "";
  const group = (label, names) => {
    const g = document.createElement("optgroup"); g.label = label;
    names.forEach(n => { const o = document.createElement("option"); o.value = n; o.textContent = n; g.append(o); });
    ds.append(g);
  };
  group("classification", DATASETS.classification);
  group("regression", DATASETS.regression);
  group("other", ["worked-example"].concat(S.hasUpload ? ["upload"] : []));
  ds.value = s.dataset;
  for (const k of ["learning_rate", "optimizer", "problem"]) $(k).value = String(s[k]);
  $("l2").value = s.l2 ? String(s.l2) : "0";
  $("l1").value = s.l1 ? String(s.l1) : "0";
  if (s.activations.length) $("activation").value = s.activations[s.activations.length - 1];
  $("classes").value = s.classes; $("noise").value = Math.round(s.noise * 100);
  $("train_ratio").value = Math.round(s.train_ratio * 100); $("batch_size").value = s.batch_size; $("seed").value = s.seed;
  $("weights_seed").value = s.weights_seed;
  $("classes-out").textContent = s.classes; $("noise-out").textContent = Math.round(s.noise * 100);
  $("train_ratio-out").textContent = Math.round(s.train_ratio * 100) + "%"; $("batch_size-out").textContent = s.batch_size;
  $("classes").disabled = !["spiral", "gauss"].includes(s.dataset);
  $("show-test").checked = S.showTest;
  $("discretize").checked = !!S.discretize;
  const hidden = S.data.sizes.length - 2;
  $("layer-count").textContent = `${hidden} hidden layer${hidden === 1 ? "" : "s"}`;
  const example = s.dataset === "worked-example";
  for (const id of ["add-layer", "remove-layer", "activation"]) $(id).disabled = example;
}

function change(update) {
  S.changes += 1;
  Object.assign(S.settings, update);
  if (Object.keys(update).every(k => TUNABLE.includes(k)) && S.id) {
    writeHash();
    queue(() => api(`/api/settings?id=${S.id}`, update));
    return Stepper.reload();
  }
  return queue(newSession);
}

function wire() {
  $("play").onclick = () => (S.playing ? pause() : play());
  $("step").onclick = () => { pause(); queue(trainStep).then(() => Stepper.reload()); };
  // Reset: new random first weights (the next weights seed, shown and in the link), the same data
  $("reset").onclick = () => change({ weights_seed: (S.settings.weights_seed + 1) % 2 ** 32 });
  $("learning_rate").onchange = e => change({ learning_rate: Number(e.target.value) });
  $("optimizer").onchange = e => change({ optimizer: e.target.value });
  $("l2").onchange = e => change({ l2: Number(e.target.value) });
  $("l1").onchange = e => change({ l1: Number(e.target.value) });
  $("activation").onchange = e => change({ activations: S.settings.layers.map(() => e.target.value) });
  $("problem").onchange = e => {
    const p = e.target.value, s = S.settings;
    const dataset = s.dataset === "upload" || DATASETS[p].includes(s.dataset) ? s.dataset : DATASETS[p][0];
    change({ problem: p, dataset });
  };
  $("dataset").onchange = e => {
    const d = e.target.value;
    const update = { dataset: d };
    if (DATASETS.regression.includes(d)) update.problem = "regression";
    if (DATASETS.classification.includes(d)) update.problem = "classification";
    if (d === "worked-example") { update.learning_rate = 0.5; update.problem = "regression"; }
    change(update);
  };
  const slider = (id, scale, key) => {
    $(id).oninput = e => { $(id + "-out").textContent = e.target.value + (id === "train_ratio" ? "%" : ""); };
    $(id).onchange = e => change({ [key]: Number(e.target.value) / scale });
  };
  slider("classes", 1, "classes"); slider("noise", 100, "noise"); slider("train_ratio", 100, "train_ratio");
  slider("batch_size", 1, "batch_size");
  $("seed").onchange = e => change({ seed: Math.max(0, Math.floor(Number(e.target.value) || 0)) });
  $("weights_seed").onchange = e => change({ weights_seed: Math.max(0, Math.floor(Number(e.target.value) || 0)) });
  $("show-test").onchange = e => { S.showTest = e.target.checked; writeHash(); show(S.frame); };
  $("discretize").onchange = e => { S.discretize = e.target.checked; writeHash(); show(S.frame); };
  $("add-layer").onclick = () => {
    const s = S.settings;
    if (s.layers.length >= OPTIONS.max_layers) return say(`at most ${OPTIONS.max_layers} hidden layers`);
    change({ layers: s.layers.concat([2]), activations: s.activations.concat([$("activation").value]) });
  };
  $("remove-layer").onclick = () => {
    const s = S.settings;
    if (!s.layers.length) return;
    change({ layers: s.layers.slice(0, -1), activations: s.activations.slice(0, -1) });
  };
  $("upload").onchange = e => {
    const file = e.target.files[0];
    if (!file) return;
    if (file.size > 10 * 1024 * 1024) return say("error: uploads are limited to 10 MB", "error");
    pause();  // the training loop holds the queue while it plays
    queue(async () => {
      const before = JSON.parse(JSON.stringify(S.settings));
      try {
        const r = await api("/api/upload", { name: file.name, text: await file.text() });
        S.hasUpload = true;
        Object.assign(S.settings, { dataset: "upload", problem: r.problem });
        await newSession();
        say(`${file.name}: ${r.rows} rows, inputs ${r.features.join(", ")}, target ${r.target}`, "info");
      } catch (err) {  // refused: say why, and keep (visibly) the data the page had
        S.settings = before;
        writeHash();
        fillControls();
        say(`error: ${file.name} refused: ${err.message}. The page keeps its previous data (${before.dataset}), paused.`, "error");
      } finally {
        e.target.value = "";
      }
    });
  };
  $("map").onclick = e => {
    if (!S.data || !S.data.plane || !S.data.train.length) return;
    const rect = e.target.getBoundingClientRect(), [x0, x1, y0, y1] = S.data.domain;
    const px = x0 + (e.clientX - rect.left) / rect.width * (x1 - x0), py = y1 - (e.clientY - rect.top) / rect.height * (y1 - y0);
    let best = 0, bestD = Infinity;
    S.data.train.forEach((p, i) => { const d = (p[0] - px) ** 2 + (p[1] - py) ** 2; if (d < bestD) { bestD = d; best = i; } });
    if (e.shiftKey && !S.picked.includes(best)) S.picked = S.picked.concat([best]).slice(-8);
    else if (!e.shiftKey) S.picked = [best];
    $("points").value = S.picked.map(i => i + 1).join(",");
    Stepper.reload();
  };
  $("points").onchange = e => {
    const n = S.data ? S.data.n_train : 0, words = e.target.value.split(/[\s,]+/).filter(Boolean);
    const bad = words.find(w => !/^\d+$/.test(w) || Number(w) < 1 || Number(w) > n);
    if (!words.length || bad !== undefined || words.length > 8 || new Set(words.map(Number)).size !== words.length)
      return say(`error: Training points takes 1 to 8 distinct row numbers from 1 to ${n}, e.g. 1,5,9` +
        (bad === undefined ? "" : `; '${bad.slice(0, 20)}' is not one`), "error");
    say("");
    S.picked = words.map(w => Number(w) - 1);
    Stepper.reload();
    if (S.frame) show(S.frame);
  };
  window.addEventListener("resize", () => { if (S.data) { buildNetwork(); updateNetwork(); } });
}

// ---- the network: a node per unit with its map, an edge per weight -----------------------------
// An output unit's name: its class (softmax), the probability of the second class (one sigmoid unit), the target.
function outputName(i) {
  const d = S.data, n = d.sizes[d.sizes.length - 1];
  if (d.task === "classification") return n === 1 ? `P(${d.classes[1]})` : String(d.classes[i]);
  return n === 1 ? String(d.target || "output") : `${d.target || "output"} ${i + 1}`;
}
const NODE = 40, GAP = 46, TOP = 58;
const switchable = () => S.data.plane && ["upload", "worked-example"].indexOf(S.settings.dataset) < 0;
function buildNetwork() {
  const box = $("network"), sizes = S.data.sizes, L = sizes.length - 1;
  box.innerHTML = "";
  const width = Math.max(box.clientWidth, 420), height = TOP + Math.max(...sizes) * GAP + 20;
  box.style.height = (switchable() ? Math.max(height, TOP + FEATURES.length * GAP + 20) : height) + "px";
  const left = 70, right = 60, x = l => left + l * (width - left - right - NODE) / L;
  const y = (l, i) => TOP + i * GAP;
  S.layout = { x, y };
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("width", width); svg.setAttribute("height", height);
  svg.setAttribute("aria-label", "weights: colour is the sign, thickness the size");
  box.append(svg);
  S.edges = []; S.nodes = [];
  for (let l = 1; l <= L; l++) {
    S.edges[l] = [];
    for (let j = 0; j < sizes[l]; j++) {
      S.edges[l][j] = [];
      for (let k = 0; k < sizes[l - 1]; k++) {
        const line = (cls) => {
          const e = document.createElementNS("http://www.w3.org/2000/svg", "line");
          e.setAttribute("x1", x(l - 1) + NODE); e.setAttribute("y1", y(l - 1, k) + NODE / 2);
          e.setAttribute("x2", x(l)); e.setAttribute("y2", y(l, j) + NODE / 2);
          e.setAttribute("class", cls);
          svg.append(e);
          return e;
        };
        const edge = line("edge");
        const hit = line("hit");
        hit.dataset.edge = `${l}-${j}-${k}`;
        hit.setAttribute("aria-label", `edge W_${l}[${j + 1},${k + 1}]`);
        hit.onmouseenter = ev => hover({ kind: "edge", l, j, k }, ev);
        hit.onmousemove = ev => moveTip(ev);
        hit.onmouseleave = () => hover(null);
        S.edges[l][j][k] = edge;
      }
    }
  }
  for (let l = 0; l <= L; l++) {
    S.nodes[l] = [];
    for (let i = 0; i < sizes[l]; i++) {
      const div = document.createElement("div");
      div.className = "node"; div.style.left = x(l) + "px"; div.style.top = y(l, i) + "px";
      div.dataset.node = `${l}-${i}`;
      const name = l === 0 ? S.data.features[i] : l === L ? outputName(i) : `unit ${i + 1}`;
      div.setAttribute("aria-label", `layer ${l} ${name}`);
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = S.data.grid;
      div.append(canvas);
      if (l === 0 || l === L) {
        const t = document.createElement("span"); t.className = l ? "name out" : "name"; t.textContent = name; div.append(t);
      }
      const val = document.createElement("span"); val.className = "val"; div.append(val);
      div.onmouseenter = ev => hover({ kind: "unit", l, j: i }, ev);
      div.onmousemove = ev => moveTip(ev);
      div.onmouseleave = () => hover(null);
      box.append(div);
      S.nodes[l][i] = div;
    }
  }
  // headers: feature toggles, per-layer units and activation
  const head = (l, html) => {
    const h = document.createElement("div"); h.className = "layer-head"; h.style.left = x(l) + "px"; h.innerHTML = html;
    box.append(h); return h;
  };
  // Feature inputs as units: a chosen one is an input unit whose name switches it off; the others wait
  // below as dashed units that switch on (TF Playground's feature column).
  if (switchable()) {
    const toggle = (f, on) => () => {
      const chosen = FEATURES.filter(g => (g === f ? on : S.settings.features.includes(g)));
      if (!chosen.length) return say("error: keep at least one input feature", "error");
      change({ features: chosen });
    };
    S.nodes[0].forEach((div, i) => {
      const f = S.data.features[i], b = document.createElement("button");
      b.type = "button"; b.className = "name feature"; b.textContent = f;
      b.setAttribute("aria-pressed", "true"); b.setAttribute("aria-label", `Input feature ${f}`);
      b.title = `switch ${f} off`; b.onclick = toggle(f, false);
      div.querySelector(".name").replaceWith(b);
    });
    FEATURES.filter(f => !S.data.features.includes(f)).forEach((f, n) => {
      const b = document.createElement("button");
      b.type = "button"; b.className = "feature-off"; b.textContent = f; b.title = `switch ${f} on`;
      b.setAttribute("aria-pressed", "false"); b.setAttribute("aria-label", `Input feature ${f}`);
      b.style.left = x(0) - 30 + "px"; b.style.top = y(0, sizes[0] + n) + "px";
      b.onclick = toggle(f, true);
      box.append(b);
    });
  }
  const example = S.settings.dataset === "worked-example";
  for (let l = 1; l < L; l++) {
    const h = head(l, "");
    if (!example) {
      const plus = document.createElement("button"), minus = document.createElement("button");
      plus.textContent = "+"; minus.textContent = "\u2212";
      plus.setAttribute("aria-label", `Add unit to layer ${l}`); minus.setAttribute("aria-label", `Remove unit from layer ${l}`);
      const units = d => () => {
        const layers = S.settings.layers.slice(); layers[l - 1] = Math.min(OPTIONS.max_units, Math.max(1, layers[l - 1] + d));
        change({ layers });
      };
      plus.onclick = units(1); minus.onclick = units(-1);
      h.append(plus, " ", minus, document.createElement("br"));
    }
    const sel = document.createElement("select");
    sel.setAttribute("aria-label", `Layer ${l} activation`);
    OPTIONS.activations.forEach(a => { const o = document.createElement("option"); o.textContent = a; sel.append(o); });
    sel.value = S.data.activations[l - 1]; sel.disabled = example;
    sel.onchange = () => { const acts = S.settings.activations.slice(); acts[l - 1] = sel.value; change({ activations: acts }); };
    h.append(sel);
  }
  const out = head(L, "");
  const names = document.createElement("div");
  names.style.paddingTop = "18px";
  names.append(S.data.activations[L - 1], document.createElement("br"), S.data.cost);
  out.append(names);
  out.setAttribute("aria-label", "output layer");
  // Class names come from the user's data: they go in as text, never as HTML.
  const legend = $("legend"), swatch = colour => {
    const span = document.createElement("span"); span.style.background = colour; return span;
  };
  legend.replaceChildren();
  if (S.data.task === "classification") {
    legend.append("classes:");
    S.data.classes.forEach((c, i) => {
      const colour = S.data.classes.length === 2 ? Draw.css(i ? Draw.POS : Draw.NEG) : Draw.css(Draw.PALETTE[i % 5]);
      legend.append(swatch(colour), String(c));
    });
  } else legend.append("values: ", swatch(Draw.css(Draw.NEG)), "low ", swatch(Draw.css(Draw.POS)), "high");
}

function updateNetwork() {
  const f = S.frame, sizes = S.data.sizes;
  if (!S.nodes) return;
  if (!Grad.draw()) for (let l = 1; l < sizes.length; l++)
    f.weights[l - 1].forEach((row, j) => row.forEach((w, k) => {
      const e = S.edges[l][j][k];
      e.setAttribute("stroke", Draw.css(w >= 0 ? Draw.POS : Draw.NEG));
      e.setAttribute("stroke-width", Math.min(0.6 + 2 * Math.abs(w), 8).toFixed(2));
      e.setAttribute("stroke-opacity", Math.min(0.25 + Math.abs(w), 1).toFixed(2));
    }));
  if (f.maps) f.maps.units.forEach((layer, l) => layer.forEach((m, i) => {
    Draw.unitMap(S.nodes[l][i].querySelector("canvas"), S.data.grid, m);
  }));
  if (S.hover) hover(S.hover);
  Stepper.decorate();
}

// ---- hover: live values from the last frame (and the step-through's numbers) -------------------
function hover(target, ev) {
  S.hover = target;
  const tip = $("tooltip");
  if (!target) { tip.hidden = true; return; }
  const lines = [];
  if (target.kind === "edge") {
    const { l, j, k } = target;
    lines.push(`weight W_${l}[${j + 1},${k + 1}] = ${fmt(S.frame.weights[l - 1][j][k])}`);
    if (Grad.active()) lines.push(`\u2202C/\u2202W over the training points = ${fmt(S.frame.grad_w[l - 1][j][k])}`);
  } else if (target.l > 0) {
    lines.push(`bias b_${target.l}[${target.j + 1}] = ${fmt(S.frame.biases[target.l - 1][target.j])}`);
  } else lines.push(`input ${S.data.features[target.j]}`);
  lines.push(...Stepper.hoverLines(target));
  tip.textContent = lines.join("\n");
  tip.hidden = false;
  if (ev) moveTip(ev);
}
function moveTip(ev) {
  const tip = $("tooltip");
  tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - 260) + "px"; tip.style.top = ev.clientY + 14 + "px";
}

// The controls offer only what the specs allow: choices, and slider ranges (noise and ratio in percent).
function applyOptions(o) {
  OPTIONS = o; DEFAULTS = o.defaults; FEATURES = o.features; DATASETS = o.datasets;
  const spec = o.settings, fill = (id, names) => { $(id).innerHTML = names.map(n => `<option>${n}</option>`).join(""); };
  fill("optimizer", spec.optimizer.choices); fill("activation", o.activations); fill("problem", spec.problem.choices);
  const within = (id, s) => [...$(id).options].forEach(op => { if (Number(op.value) > s.high) op.remove(); });
  within("learning_rate", spec.learning_rate); within("l2", spec.l2); within("l1", spec.l1);
  const range = (id, s, scale) => { $(id).min = Math.round(s.low * scale); $(id).max = Math.round(s.high * scale); };
  range("classes", spec.classes, 1); range("noise", spec.noise, 100); range("train_ratio", spec.train_ratio, 100);
  range("seed", spec.seed, 1);
  $("batch_size").min = spec.batch_size.low;
}

window.App = { S, fmt, short, api, queue, say, pause, show, hover, playing: () => S.playing };
wire();
queue(async () => { applyOptions(await api("/api/options")); S.settings = readHash(); await newSession(); });
