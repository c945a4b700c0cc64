"""Every equation of one backprop step with its numbers plugged in, for the page and `backprop explain`.

stages(r) turns explain()'s dict r into the steps the page walks through, in the reference's order.
Each step has a title, general lines (the equation and the rule it uses, no numbers) and items: one
per unit (z, a, BP1, BP2, BP4) or per weight (BP3, the update), each a list of lines. A line reads
`label = symbols = numbers = value`: the numbers are the shown values (6 significant digits) and the
value follows from them by the arithmetic written, for every sample and any batch size m.

The deltas shown are the derivation's per-sample delta_l = dC_i/dz_l; the 1/m of the batch's mean
cost appears where it belongs, in the cost, (BP3) and (BP4).
"""

DERIVATIVE = {  # sigma'(z) as the page writes it, in a and z of the unit
    "sigmoid": "σ'(z) = a(1 − a)", "tanh": "σ'(z) = 1 − a²", "relu": "relu'(z) = 1 if z > 0, else 0",
    "leaky_relu": "leaky_relu'(z) = 1 if z > 0, else 0.01", "identity": "σ'(z) = 1",
}
VALUE = {"leaky_relu": "leaky_relu(z) = max(z, 0.01 z)", "relu": "relu(z) = max(z, 0)",
         "sigmoid": "sigmoid(z) = 1 / (1 + exp(−z))", "tanh": "", "identity": "identity(z) = z"}
COST = {"mse": "C_i = ½ Σ_k (a_L[k] − y[k])²", "cross_entropy": "C_i = −Σ_k y[k] log a_L[k]",
        "binary_cross_entropy": "C_i = −Σ_k [y[k] log a_L[k] + (1 − y[k]) log(1 − a_L[k])]"}


def val(v):
    """A shown number: 6 significant digits."""
    return f"{v:.6g}"


def num(v):
    """A shown number inside arithmetic: negative ones in parentheses, so that `a − (-b)` reads right."""
    text = val(v)
    return f"({text})" if text.startswith("-") else text


def stages(r):
    """The steps of explain()'s dict r, in order: forward, cost, (BP1), (BP2), (BP3)/(BP4), update."""
    L = len(r["layers"])
    out = []
    for l in range(1, L + 1):
        out += [_z(r, l), _a(r, l)]
    out += [_cost(r), _bp1(r)]
    out += [_bp2(r, l) for l in range(L - 1, 0, -1)]
    for l in range(L, 0, -1):
        out += [_bp3(r, l), _bp4(r, l)]
    out.append(_update(r))
    return out


def _stage(kind, l, title, general, items):
    return {"kind": kind, "layer": l, "title": title, "general": [g for g in general if g], "items": items}


def _samples(r):
    """[(i, prefix)]: each sample's index and the words that name it (none for a single sample)."""
    m = r["samples"]
    return [(i, f"sample {i + 1}: " if m > 1 else "") for i in range(m)]


def _prev(r, l, k, i):
    """a_{l-1}[k] of sample i (a_0 = x)."""
    return r["x"][k][i] if l == 1 else r["layers"][l - 2]["a"][k][i]


def _slope(name, z, a):
    """sigma'(z) of one unit, written in the shown numbers of z and a."""
    return {"sigmoid": f"({num(a)}·(1 − {num(a)}))", "tanh": f"(1 − {num(a)}²)", "relu": f"relu'({val(z)})",
            "leaky_relu": f"leaky_relu'({val(z)})", "identity": "1"}[name]


def _z(r, l):
    ly, n_in = r["layers"][l - 1], r["sizes"][l - 1]
    items = []
    for j in range(r["sizes"][l]):
        lines = []
        for i, pre in _samples(r):
            terms = " + ".join(f"{num(ly['W'][j][k])}·{num(_prev(r, l, k, i))}" for k in range(n_in))
            lines.append(f"{pre}z_{l}[{j + 1}] = Σ_k W_{l}[{j + 1},k] a_{l - 1}[k] + b_{l}[{j + 1}] = "
                         f"{terms} + {num(ly['b'][j])} = {val(ly['z'][j][i])}")
        items.append(lines)
    return _stage("z", l, f"Forward, layer {l}: z_{l}", ["(F) z_l = W_l a_{l−1} + b_l"], items)


def _a(r, l):
    ly, name = r["layers"][l - 1], r["layers"][l - 1]["activation"]
    items = []
    for j in range(r["sizes"][l]):
        lines = []
        for i, pre in _samples(r):
            if name == "softmax":
                exps = " + ".join(f"exp({val(row[i])})" for row in ly["z"])
                lines.append(f"{pre}a_{l}[{j + 1}] = exp(z_{l}[{j + 1}]) / Σ_k exp(z_{l}[k]) = "
                             f"exp({val(ly['z'][j][i])}) / ({exps}) = {val(ly['a'][j][i])}")
            else:
                lines.append(f"{pre}a_{l}[{j + 1}] = {name}(z_{l}[{j + 1}]) = {name}({val(ly['z'][j][i])}) = "
                             f"{num(ly['a'][j][i])}")
        items.append(lines)
    rule = "softmax over the units of each sample" if name == "softmax" else VALUE[name]
    return _stage("a", l, f"Forward, layer {l}: a_{l}", [f"(F) a_l = σ_l(z_l), here {name}", rule], items)


def _cost(r):
    last, name, m = r["layers"][-1], r["cost_name"], r["samples"]
    lines = []
    for i, _ in _samples(r):
        a, y = [row[i] for row in last["a"]], [row[i] for row in r["y"]]
        if name == "mse":
            numbers = "½·(" + " + ".join(f"({num(ak)} − {num(yk)})²" for ak, yk in zip(a, y)) + ")"
        elif name == "cross_entropy":
            numbers = "−(" + " + ".join(f"{num(yk)}·log({val(ak)})" for ak, yk in zip(a, y)) + ")"
        else:
            numbers = "−(" + " + ".join(f"{num(yk)}·log({val(ak)}) + (1 − {num(yk)})·log(1 − {num(ak)})"
                                        for ak, yk in zip(a, y)) + ")"
        label = f"C_{i + 1}" if m > 1 else "C"
        lines.append(f"{label} = {COST[name].split(' = ')[1]} = {numbers} = {val(r['cost_per_sample'][i])}")
    if m > 1:
        total = " + ".join(num(c) for c in r["cost_per_sample"])
        lines.append(f"C = (1/m) Σ_i C_i = (1/{m})·({total}) = {val(r['cost'])}")
    general = [COST[name] + " for one sample i", "C = (1/m) Σ_i C_i, the mean over the m samples of the batch"]
    return _stage("cost", len(r["layers"]), "The cost", general, [lines])


def _bp1(r):
    L, last, cost = len(r["layers"]), r["layers"][-1], r["cost_name"]
    name, n_out = last["activation"], r["sizes"][-1]
    general = ["(BP1) δ_L = ∂C_i/∂a_L ⊙ σ'(z_L), each sample's own δ (no 1/m: that comes in BP3 and BP4)"]
    if cost == "binary_cross_entropy":
        general.append("binary cross-entropy: ∂C_i/∂a = (a − y) / (a(1 − a)); sigmoid: σ'(z) = a(1 − a); "
                       "the two a(1 − a) cancel, so δ_L = a_L − y")
    elif cost == "cross_entropy":
        general.append("cross-entropy: ∂C_i/∂a[k] = −y[k] / a[k]; softmax: ∂a[k]/∂z[j] = a[k](1[k=j] − a[j]); "
                       "the sum is a[j] Σ_k y[k] − y[j] = a[j] − y[j] since the targets sum to 1, so δ_L = a_L − y")
    elif name == "softmax":
        general.append("mse: ∂C_i/∂a = g = a_L − y; softmax couples the units: δ_L[j] = a_L[j](g[j] − Σ_k a_L[k] g[k])")
    else:
        general.append(f"mse: ∂C_i/∂a = a_L − y; {DERIVATIVE[name]}")
    items = []
    for j in range(n_out):
        lines = []
        for i, pre in _samples(r):
            a, y = [row[i] for row in last["a"]], [row[i] for row in r["y"]]
            z, d = last["z"][j][i], val(last["delta"][j][i])
            head = f"{pre}δ_{L}[{j + 1}]"
            if cost == "binary_cross_entropy":
                s = f"({num(a[j])}·(1 − {num(a[j])}))"
                lines.append(f"{head} = ∂C_i/∂a_{L}[{j + 1}] · σ'(z_{L}[{j + 1}]) = "
                             f"(({num(a[j])} − {num(y[j])}) / {s})·{s} = {num(a[j])} − {num(y[j])} = {d}")
            elif cost == "cross_entropy":
                sums_to_one = abs(sum(y) - 1) < 1e-9
                jac = " + ".join(f"{num(a[k])}·({int(k == j)} − {num(a[j])})·(−{num(y[k])} / {num(a[k])})"
                                 for k in range(n_out))
                middle = (f"Σ_k a_{L}[k](1[k={j + 1}] − a_{L}[{j + 1}])·(−y[k] / a_{L}[k]) = {jac} = "
                          if sums_to_one else "")
                lines.append(f"{head} = {middle}a_{L}[{j + 1}] − y[{j + 1}] = {num(a[j])} − {num(y[j])} = {d}")
            elif name == "softmax":
                g = [f"({num(ak)} − {num(yk)})" for ak, yk in zip(a, y)]
                inner = " + ".join(f"{num(ak)}·{gk}" for ak, gk in zip(a, g))
                lines.append(f"{head} = a_{L}[{j + 1}](g[{j + 1}] − Σ_k a_{L}[k] g[k]) = "
                             f"{num(a[j])}·({g[j]} − ({inner})) = {d}")
            else:
                lines.append(f"{head} = (a_{L}[{j + 1}] − y[{j + 1}]) · σ'(z_{L}[{j + 1}]) = "
                             f"({num(a[j])} − {num(y[j])})·{_slope(name, z, a[j])} = {d}")
        items.append(lines)
    return _stage("bp1", L, f"(BP1) output error δ_{L}", general, items)


def _bp2(r, l):
    ly, nxt = r["layers"][l - 1], r["layers"][l]
    items = []
    for j in range(r["sizes"][l]):
        lines = []
        for i, pre in _samples(r):
            terms = " + ".join(f"{num(row[j])}·{num(nxt['delta'][k][i])}" for k, row in enumerate(nxt["W"]))
            lines.append(f"{pre}δ_{l}[{j + 1}] = (Σ_k W_{l + 1}[k,{j + 1}] δ_{l + 1}[k]) · σ'(z_{l}[{j + 1}]) = "
                         f"({terms})·{_slope(ly['activation'], ly['z'][j][i], ly['a'][j][i])} = "
                         f"{num(ly['delta'][j][i])}")
        items.append(lines)
    general = ["(BP2) δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ σ'(z_l), for each sample", DERIVATIVE[ly["activation"]]]
    return _stage("bp2", l, f"(BP2) error of layer {l}: δ_{l}", general, items)


def _mean(r, terms):
    """The numbers of a (1/m) Σ_i: the sum itself for one sample."""
    m = r["samples"]
    return terms[0] if m == 1 else f"(1/{m})·(" + " + ".join(terms) + ")"


def _bp3(r, l):
    ly, m = r["layers"][l - 1], r["samples"]
    scale = "(1/m) Σ_i " if m > 1 else ""
    items = []
    for j, row in enumerate(ly["dC_dW"]):
        for k, g in enumerate(row):
            terms = [f"{num(ly['delta'][j][i])}·{num(_prev(r, l, k, i))}" for i in range(m)]
            items.append([f"∂C/∂W_{l}[{j + 1},{k + 1}] = {scale}δ_{l}[{j + 1}] a_{l - 1}[{k + 1}] = "
                          f"{_mean(r, terms)} = {val(g)}"])
    general = [f"(BP3) ∂C/∂W_l = (1/m) Σ_i δ_l a_{{l−1}}ᵀ, δ and a of sample i; here m = {m}"]
    return _stage("bp3", l, f"(BP3) weight gradients ∂C/∂W_{l}", general, items)


def _bp4(r, l):
    ly, m = r["layers"][l - 1], r["samples"]
    scale = "(1/m) Σ_i " if m > 1 else ""
    items = [[f"∂C/∂b_{l}[{j + 1}] = {scale}δ_{l}[{j + 1}] = "
              f"{_mean(r, [num(d) for d in ly['delta'][j]])} = {val(g)}"] for j, g in enumerate(ly["dC_db"])]
    general = [f"(BP4) ∂C/∂b_l = (1/m) Σ_i δ_l, δ of sample i; here m = {m}"]
    return _stage("bp4", l, f"(BP4) bias gradients ∂C/∂b_{l}", general, items)


def _update(r):
    lr, items = r["learning_rate"], []
    for l, ly in enumerate(r["layers"], start=1):
        for j, row in enumerate(ly["W"]):
            items += [[f"W_{l}[{j + 1},{k + 1}] ← W_{l}[{j + 1},{k + 1}] − η ∂C/∂W_{l}[{j + 1},{k + 1}] = "
                       f"{num(w)} − {num(lr)}·{num(ly['dC_dW'][j][k])} = {val(ly['W_new'][j][k])}"]
                      for k, w in enumerate(row)]
    for l, ly in enumerate(r["layers"], start=1):
        items += [[f"b_{l}[{j + 1}] ← b_{l}[{j + 1}] − η ∂C/∂b_{l}[{j + 1}] = "
                   f"{num(b)} − {num(lr)}·{num(ly['dC_db'][j])} = {val(ly['b_new'][j])}"]
                  for j, b in enumerate(ly["b"])]
    lower = "lower" if r["cost_after"] < r["cost"] else "NOT lower: try a smaller learning rate"
    general = [f"W_l ← W_l − η ∂C/∂W_l,  b_l ← b_l − η ∂C/∂b_l,  η = {num(lr)}",
               f"cost after the step: {num(r['cost_after'])} (was {num(r['cost'])}: {lower})"]
    return _stage("update", len(r["layers"]), "The update and the cost after it", general, items)
