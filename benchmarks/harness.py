"""The benchmark harness: epoch times against PyTorch, scikit-learn, a per-sample loop and the GEMM bound.

Each system runs in its own process. The parent asks every system for one epoch in turn, round
after round, so that drift in the machine's speed hits all systems alike; ratios are taken pair
by pair within a round, and their medians reported.
"""

import json
import os
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

from backprop.errors import ConfigError

SYSTEMS = ("backprop", "pytorch", "sklearn", "loop", "gemm")
LOOP_SAMPLES = 1000  # the per-sample loop is timed on this many samples and scaled to the epoch


def make_data(n, n_test, seed=0, dtype="float32", n_features=784, n_classes=10):
    """MNIST-shaped data with class structure: (X (n, 784), y (n,), X_test, y_test), pixels in [0, 1]."""
    rng = np.random.default_rng(seed)
    prototypes = rng.random((n_classes, n_features)) ** 3
    y = rng.integers(0, n_classes, size=n + n_test)
    X = np.clip(prototypes[y] + rng.normal(scale=1.2, size=(n + n_test, n_features)), 0, 1).astype(dtype)
    return X[:n], y[:n], X[n:], y[n:]


def load_data(cfg):
    if cfg.get("mnist"):
        from backprop.data.files import read_mnist
        (X, y), (Xt, yt) = read_mnist(cfg["mnist"])
        return (X / 255).astype(cfg["dtype"]), y, (Xt / 255).astype(cfg["dtype"]), yt
    return make_data(cfg["n"], cfg["n_test"], dtype=cfg["dtype"], n_features=cfg["sizes"][0],
                     n_classes=cfg["sizes"][-1])


class Worker:
    """One system's training state; epoch() trains one epoch, accuracy() scores the test set."""

    def __init__(self, system, cfg):
        self.system, self.cfg = system, cfg
        self.X, self.y, self.X_test, self.y_test = load_data(cfg)
        sizes, relu = cfg["sizes"], cfg["activation"] == "relu"
        lr, self.batch = cfg["learning_rate"], cfg["batch_size"]
        if system == "backprop":
            import backprop as bp
            self.net = bp.Network(sizes, activation=cfg["activation"], output="softmax" if relu else "sigmoid",
                                  cost="cross_entropy" if relu else "mse", seed=0, dtype=cfg["dtype"])
        elif system == "pytorch":
            import torch
            torch.set_num_threads(os.cpu_count())
            torch.manual_seed(0)
            layers = []
            for n_in, n_out in zip(sizes[:-1], sizes[1:]):
                layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU() if relu else torch.nn.Sigmoid()]
            self.model = torch.nn.Sequential(*layers[:-1] if relu else layers).to(getattr(torch, cfg["dtype"]))
            self.opt = torch.optim.SGD(self.model.parameters(), lr=lr)
            self.loss = torch.nn.CrossEntropyLoss() if relu else (lambda a, t: 0.5 * ((a - t) ** 2).sum(1).mean())
            self.tX, self.ty = torch.from_numpy(self.X), torch.from_numpy(self.y)
            self.tY = self.ty if relu else torch.nn.functional.one_hot(self.ty, sizes[-1]).to(self.tX.dtype)
            self.epoch_index = 0
        elif system == "sklearn":
            from sklearn.neural_network import MLPClassifier
            self.model = MLPClassifier(hidden_layer_sizes=sizes[1:-1], activation="relu" if relu else "logistic",
                                       solver="sgd", momentum=0, alpha=0, batch_size=self.batch,
                                       learning_rate_init=lr, random_state=0)
        elif system == "loop":
            rng = np.random.default_rng(0)
            self.W = [rng.normal(0, np.sqrt(2 / a), (b, a)).astype(cfg["dtype"]) for a, b in zip(sizes[:-1], sizes[1:])]
            self.b = [np.zeros((b, 1), cfg["dtype"]) for b in sizes[1:]]
        elif system == "gemm":
            rng = np.random.default_rng(0)
            m = self.batch
            self.W = [rng.random((b, a)).astype(cfg["dtype"]) for a, b in zip(sizes[:-1], sizes[1:])]
            self.a = [rng.random((n, m)).astype(cfg["dtype"]) for n in sizes]
            self.gw = [np.empty_like(W) for W in self.W]

    def epoch(self):
        start = time.perf_counter()
        getattr(self, "_epoch_" + self.system)()
        return time.perf_counter() - start

    def run_backprop(self, commands, answer):
        """One train call for all epochs; a callback pauses it between epochs for the parent."""
        import backprop as bp
        from backprop.training import Callback

        class Stop(Exception):
            pass

        worker = self

        class Pause(Callback):
            def on_train_begin(self, info):
                self.started = time.perf_counter()

            def on_epoch_end(self, epoch, logs):
                answer({"seconds": time.perf_counter() - self.started})
                for command in commands:  # answer questions until asked for the next epoch
                    if command == "accuracy":
                        answer({"accuracy": worker.accuracy()})
                    elif command == "epoch":
                        self.started = time.perf_counter()
                        return
                    else:
                        break
                raise Stop

        try:
            bp.train(self.net, self.X, self.y, epochs=10**6, batch_size=self.batch, optimizer="sgd",
                         learning_rate=self.cfg["learning_rate"], callbacks=[Pause()])
        except Stop:
            pass

    def _epoch_pytorch(self):
        import torch
        self.epoch_index += 1
        order = torch.randperm(len(self.tX), generator=torch.Generator().manual_seed(self.epoch_index))
        for start in range(0, len(order), self.batch):
            index = order[start:start + self.batch]
            self.opt.zero_grad(set_to_none=True)
            self.loss(self.model(self.tX[index]), self.tY[index]).backward()
            self.opt.step()

    def _epoch_sklearn(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model.partial_fit(self.X, self.y, classes=np.arange(self.cfg["sizes"][-1]))

    def _epoch_loop(self):
        """The reference's algorithm literally: column vectors, one sample at a time."""
        lr, relu = self.cfg["learning_rate"], self.cfg["activation"] == "relu"
        sigma = (lambda z: np.maximum(z, 0)) if relu else (lambda z: 1 / (1 + np.exp(-z)))
        dsigma = (lambda a: (a > 0).astype(a.dtype)) if relu else (lambda a: a * (1 - a))
        count = min(LOOP_SAMPLES, len(self.X))
        start = time.perf_counter()
        for i in range(count):
            a = [self.X[i].reshape(-1, 1)]
            for W, b in zip(self.W, self.b):
                a.append(sigma(W @ a[-1] + b))
            y = np.zeros((a[-1].shape[0], 1), a[-1].dtype)
            y[self.y[i]] = 1
            delta = (a[-1] - y) * dsigma(a[-1])
            for l in range(len(self.W) - 1, -1, -1):
                grad_W, grad_b = delta @ a[l].T, delta
                if l:
                    delta = (self.W[l].T @ delta) * dsigma(a[l])
                self.W[l] -= lr * grad_W
                self.b[l] -= lr * grad_b
        elapsed = time.perf_counter() - start
        self.scaled = elapsed * len(self.X) / count

    def _epoch_gemm(self):
        m = self.batch
        z = [np.empty((W.shape[0], m), W.dtype) for W in self.W]
        back = [np.empty((W.shape[1], m), W.dtype) for W in self.W]
        for _ in range(len(self.X) // m):
            for l, W in enumerate(self.W):
                np.matmul(W, self.a[l], out=z[l])                        # forward
            for l in range(len(self.W) - 1, -1, -1):
                np.matmul(self.a[l + 1], self.a[l].T, out=self.gw[l])    # dC/dW
                if l:
                    np.matmul(self.W[l].T, self.a[l + 1], out=back[l])   # W^T delta

    def accuracy(self):
        if self.system == "backprop":
            return float((self.net.predict(self.X_test).argmax(1) == self.y_test).mean())
        if self.system == "pytorch":
            import torch
            with torch.no_grad():
                return float((self.model(torch.from_numpy(self.X_test)).argmax(1).numpy() == self.y_test).mean())
        if self.system == "sklearn":
            return float(self.model.score(self.X_test, self.y_test))
        return None


def worker_main(system, cfg):
    """The child process: answers 'epoch' and 'accuracy' lines on stdin with JSON on stdout."""
    worker = Worker(system, json.loads(cfg))
    answer = lambda reply: print(json.dumps(reply), flush=True)  # noqa: E731
    answer({"ready": True})
    commands = (line.strip() for line in sys.stdin)
    if system == "backprop":  # the first 'epoch' starts fit, which then runs to the end
        if next(commands, None) == "epoch":
            worker.run_backprop(commands, answer)
        return
    for command in commands:
        if command == "epoch":
            seconds = worker.epoch()
            print(json.dumps({"seconds": getattr(worker, "scaled", seconds)}), flush=True)
        elif command == "accuracy":
            print(json.dumps({"accuracy": worker.accuracy()}), flush=True)
        else:
            break


def start(system, cfg):
    proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--worker", system, json.dumps(cfg)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert json.loads(proc.stdout.readline())["ready"]
    return proc


def ask(proc, command):
    time.sleep(0.2)  # let the previous system's spinning BLAS/OpenMP threads go idle first
    proc.stdin.write(command + "\n")
    proc.stdin.flush()
    line = proc.stdout.readline()
    if not line:
        raise ConfigError(f"a benchmark worker stopped (exit status {proc.wait()}); its error is printed above")
    return json.loads(line)


def run_setting(cfg, rounds, systems, report):
    """Median epoch seconds and ratios for one setting; prints a table through report().

    Two ratios per reference system: the median of the ratios paired within a round, and the ratio of
    each system's fastest epoch. On a shared machine the hypervisor takes the CPU away in bursts (the
    stolen share is printed); a burst slows whichever epoch it hits, so the fastest epochs are the ones
    least disturbed, as timeit's documentation argues for its minimum.
    """
    procs = {s: start(s, cfg) for s in systems}
    try:
        ask(procs["backprop"], "epoch") if "backprop" in procs else None  # warm-up: buffers, BLAS threads
        for s in systems:
            if s != "backprop" and s != "loop":
                ask(procs[s], "epoch")
        times = {s: [] for s in systems}
        since = stolen_seconds(), time.perf_counter()
        for _ in range(rounds):
            for s in systems:
                times[s].append(ask(procs[s], "epoch")["seconds"])
        stolen = stolen_since(*since)
        accuracy = {s: ask(procs[s], "accuracy")["accuracy"] for s in systems}
    finally:
        for proc in procs.values():
            proc.stdin.close()
            proc.wait()
            proc.stdout.close()
    sizes, n = cfg["sizes"], cfg["n"]
    flops = 6 * sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) * n

    def ratios(s, ref):
        if ref not in times:
            return None, None
        return (statistics.median(a / b for a, b in zip(times[s], times[ref])), min(times[s]) / min(times[ref]))

    rows = []
    for s in systems:
        t = statistics.median(times[s])
        rows.append((s, t, n / t, flops / t / 1e9, accuracy[s], *ratios(s, "pytorch"), *ratios(s, "gemm")))
    output = "softmax+CE" if cfg["activation"] == "relu" else "sigmoid+MSE"
    title = (f"{'-'.join(map(str, sizes))} {cfg['activation']}/{output}"
             f" batch {cfg['batch_size']} {cfg['dtype']}, {n} samples, {rounds} rounds")
    report(f"\n### {title}\n")
    if stolen:
        report(f"CPU time stolen by the hypervisor during the rounds: {stolen}\n")
    report("| system | s/epoch | samples/s | GFLOP/s | test acc | x PyTorch | x PyTorch, fastest epochs "
           "| x GEMM bound | x GEMM bound, fastest epochs |")
    report("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    fmt = lambda v, f: "-" if v is None else format(v, f)  # noqa: E731
    for s, t, sps, gf, acc, *r in rows:
        report(f"| {s} | {t:.4f} | {sps:,.0f} | {gf:.1f} | {fmt(acc, '.3f')} | "
               + " | ".join(fmt(v, ".2f") for v in r) + " |")
    return rows


def stolen_seconds():
    """CPU seconds the hypervisor has taken from this machine since boot (Linux's steal time), or None."""
    try:
        with open("/proc/stat") as f:
            fields = f.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def stolen_since(stolen, started):
    """'x s of y (z%)': the CPU time stolen since the stolen_seconds() and perf_counter() readings given,
    out of all cores' time meanwhile; None where the machine does not report it."""
    now = stolen_seconds()
    if stolen is None or now is None:
        return None
    total = (time.perf_counter() - started) * os.cpu_count()
    return f"{now - stolen:.1f} s of {total:.1f} ({100 * (now - stolen) / total:.0f}%)"


def profile_epoch(cfg, repeats=3):
    """Where one backprop epoch's time goes: (part, milliseconds) pairs, measured in this process."""
    import backprop as bp
    from backprop.training.optimizers import SGD
    X, y, _, _ = load_data(cfg)
    relu = cfg["activation"] == "relu"
    net = bp.Network(cfg["sizes"], activation=cfg["activation"], output="softmax" if relu else "sigmoid",
                     cost="cross_entropy" if relu else "mse", seed=0, dtype=cfg["dtype"])
    Y = np.eye(cfg["sizes"][-1], dtype=net.dtype)[y]
    m, lr = cfg["batch_size"], cfg["learning_rate"]
    z, a, delta = ([None] + [np.empty((n, m), net.dtype) for n in cfg["sizes"][1:]] for _ in range(3))
    optimizer = SGD()  # what train uses for plain SGD: (BP3) and the step in one gemm per layer
    parts = dict.fromkeys(("gather rows", "forward + (BP1) + (BP2)", "cost", "(BP3) + (BP4) + SGD step"), 0.0)
    order = np.random.default_rng(0).permutation(len(X))
    for _ in range(repeats):
        for start in range(0, len(X) - m + 1, m):
            t0 = time.perf_counter()
            x, yb = X[order[start:start + m]].T, Y[order[start:start + m]].T
            t1 = time.perf_counter()
            a_out, delta_out = net.backprop(x, yb, None, None, None, z, a, delta)
            t2 = time.perf_counter()
            net.cost_of(a_out[-1], yb)
            t3 = time.perf_counter()
            optimizer.step_from_deltas(net.weights, net.biases, delta_out, a_out, lr)
            t4 = time.perf_counter()
            for key, dt in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3)):
                parts[key] += dt / repeats
    gemm = Worker.__new__(Worker)
    gemm.system, gemm.cfg, gemm.X, gemm.batch = "gemm", cfg, X, m
    rng = np.random.default_rng(0)
    gemm.W = [rng.random((b, c)).astype(cfg["dtype"]) for c, b in zip(cfg["sizes"][:-1], cfg["sizes"][1:])]
    gemm.a = [rng.random((n, m)).astype(cfg["dtype"]) for n in cfg["sizes"]]
    gemm.gw = [np.empty_like(W) for W in gemm.W]
    matmuls = min(gemm.epoch() for _ in range(repeats))
    rows = [(k, v * 1e3) for k, v in parts.items()]
    rows.append(("all matrix products alone (GEMM bound)", matmuls * 1e3))
    return rows


ESTIMATOR_SOLVERS = ("adam", "sgd", "lbfgs")


def estimator_data(name, n=10000, seed=0):
    """(X_train, X_test, y_train, y_test) for the estimator comparison: "digits", or n MNIST-shaped samples;
    X in float64, or in the dtype the name ends with ("mnist-shaped float32"), which both sides then keep."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    data, _, dtype = name.partition(" ")
    if data == "digits":
        X, y = load_digits(return_X_y=True)
        X_train, X_test, y_train, y_test = train_test_split(X / 16, y, test_size=0.25, stratify=y, random_state=seed)
    else:
        X_train, y_train, X_test, y_test = make_data(n, n // 5, seed=seed, dtype="float64")
    dtype = np.dtype(dtype or np.float64)
    return X_train.astype(dtype), X_test.astype(dtype), y_train, y_test


def estimator_comparison(datasets=("digits", "mnist-shaped", "mnist-shaped float32"), solvers=ESTIMATOR_SOLVERS,
                         n=10000, seeds=1,
                         max_iter=None, blas_threads=1, report=print):
    """backprop.sklearn's MLPClassifier and MLPRegressor against scikit-learn's, the same settings on both
    sides: fit time (median over seeds) and test accuracy or R^2 (mean). Returns {(data, kind, solver): row}.

    The regressor fits the one-hot class matrix, so its R^2 scores how well it recovers the classes.
    Both sides run with blas_threads BLAS threads (None: the library's default): on a shared machine,
    idle-spinning BLAS threads make small products erratic, by up to 10x from one fit to the next.
    """
    import sklearn.neural_network as sk
    from threadpoolctl import threadpool_limits

    from backprop import sklearn as ours
    with threadpool_limits(blas_threads):
        return _compare_estimators(sk, ours, datasets, solvers, n, seeds, max_iter, blas_threads, report)


def _compare_estimators(sk, ours, datasets, solvers, n, seeds, max_iter, blas_threads, report):
    report(f"\nBLAS threads: {blas_threads or 'default'}; {seeds} seed(s); fit time is the median, score the mean")
    report("\n| data | estimator | solver | fit s, backprop | fit s, scikit-learn | speed-up | score, backprop "
           "| score, scikit-learn | difference (points) |")
    report("|---|---|---|---:|---:|---:|---:|---:|---:|")
    results, since = {}, (stolen_seconds(), time.perf_counter())
    for data in datasets:
        X_train, X_test, y_train, y_test = estimator_data(data, n)
        for kind in ("MLPClassifier", "MLPRegressor"):
            regress = kind == "MLPRegressor"
            y_fit = np.eye(10, dtype=X_train.dtype)[y_train] if regress else y_train
            y_score = np.eye(10)[y_test] if regress else y_test
            for solver in solvers:
                settings = dict(hidden_layer_sizes=(64,), solver=solver, batch_size=64, tol=0, learning_rate_init=0.01
                                if solver == "sgd" else 0.001, max_iter=max_iter or (100 if solver == "lbfgs" else 20))
                sides = {"backprop": ours, "sklearn": sk}
                times, scores = {side: [] for side in sides}, {side: [] for side in sides}
                for seed in range(seeds):  # the sides take turns, so that a slow spell of the machine hits both
                    for side, module in sides.items():
                        model = getattr(module, kind)(**settings, random_state=seed)
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")  # ConvergenceWarning at max_iter, on both sides
                            start = time.perf_counter()
                            model.fit(X_train, y_fit)
                            times[side].append(time.perf_counter() - start)
                        scores[side].append(model.score(X_test, y_score))
                row = {side: (statistics.median(times[side]), float(np.mean(scores[side]))) for side in sides}
                (ours_s, ours_score), (sk_s, sk_score) = row["backprop"], row["sklearn"]
                results[(data, kind, solver)] = row
                report(f"| {data} | {kind} | {solver} | {ours_s:.3f} | {sk_s:.3f} | {sk_s / ours_s:.2f}x | "
                       f"{ours_score:.4f} | {sk_score:.4f} | {100 * (ours_score - sk_score):+.2f} |")
    stolen = stolen_since(*since)
    if stolen:
        report(f"\nCPU time stolen by the hypervisor meanwhile: {stolen}")
    return results


def environment():
    lines = [f"python {sys.version.split()[0]}, numpy {np.__version__}, {os.cpu_count()} cores"]
    try:
        from threadpoolctl import threadpool_info
        for pool in threadpool_info():
            lines.append(f"{pool.get('internal_api')} {pool.get('version')} {pool.get('architecture', '')} "
                         f"threads={pool.get('num_threads')} ({os.path.basename(pool.get('filepath', ''))})")
    except ImportError:
        lines.append("threadpoolctl not installed: BLAS details unknown")
    try:
        import torch
        lines.append(f"torch {torch.__version__}, threads={torch.get_num_threads()}")
    except ImportError:
        pass
    return lines


def available(systems, report=print):
    """The systems whose libraries are installed; a note for each one skipped."""
    needs = {"pytorch": "torch", "sklearn": "sklearn"}
    kept = []
    for s in systems:
        try:
            if s in needs:
                __import__(needs[s])
            kept.append(s)
        except ImportError:
            report(f"note: {s} skipped ({needs[s]} is not installed: pip install 'backprop[bench]')")
    return kept


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2], sys.argv[3])
