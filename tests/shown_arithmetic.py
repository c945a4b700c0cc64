"""Checks that an equation as shown (`label = symbols = 0.1·0.5 + 0.2 = 0.25`) is arithmetically true.

Every shown number stands for any value that rounds to it at 6 significant digits, so each number is
an interval and the arithmetic is done on intervals: the line is true when the intervals of all its
numeric parts (the numbers plugged in, and the value after the last `=`) share a point. A page that
showed a delta divided by m, or a sum where it says a mean, fails this for m > 1.
"""

import ast
import math
import re

SIGNIFICANT = 6
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?:e[-+]\d+)?")
FUNCTIONS = ("leaky_relu_d", "relu_d", "leaky_relu", "relu", "sigmoid", "tanh", "identity", "exp", "log")
SYMBOLS = {"·": "*", "−": "-", "²": "**sq", "½": "(1/2)", "[": "(", "]": ")", "leaky_relu'": "leaky_relu_d",
           "relu'": "relu_d"}


class Interval:
    def __init__(self, lo, hi=None):
        self.lo, self.hi = lo, lo if hi is None else hi

    def __add__(self, o):
        return Interval(self.lo + o.lo, self.hi + o.hi)

    def __sub__(self, o):
        return Interval(self.lo - o.hi, self.hi - o.lo)

    def __mul__(self, o):
        p = [self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi]
        p = [0.0 if math.isnan(v) else v for v in p]  # 0 * inf: the zero is exact
        return Interval(min(p), max(p))

    def __truediv__(self, o):
        if o.lo <= 0 <= o.hi:
            return Interval(-math.inf, math.inf)
        return self * Interval(1 / o.hi, 1 / o.lo)

    def __neg__(self):
        return Interval(-self.hi, -self.lo)

    def square(self):
        ends = sorted([self.lo * self.lo, self.hi * self.hi])
        return Interval(0.0 if self.lo <= 0 <= self.hi else ends[0], ends[1])

    def meets(self, o):
        return max(self.lo, o.lo) <= min(self.hi, o.hi)


def _monotone(f):
    def apply(x):
        return Interval(f(x.lo), f(x.hi))
    return apply


def _log(v):
    return -math.inf if v <= 0 else math.log(v)


def _exp(v):
    return math.inf if v > 700 else math.exp(v)


def _sigmoid(v):
    return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))


CALLS = {"exp": _exp, "log": _log, "tanh": math.tanh, "sigmoid": _sigmoid, "identity": lambda v: v,
         "relu": lambda v: max(v, 0.0), "leaky_relu": lambda v: max(v, 0.01 * v),
         "relu_d": lambda v: 1.0 if v > 0 else 0.0, "leaky_relu_d": lambda v: 1.0 if v > 0 else 0.01}


def shown(text):
    """The interval of values that show as text at 6 significant digits (0 is shown only for 0)."""
    v = float(text)
    if v == 0:
        return Interval(0.0)
    half = 0.5 * 10 ** (math.floor(math.log10(abs(v))) - SIGNIFICANT + 1)
    slack = abs(v) * 1e-12  # the float arithmetic below
    return Interval(v - half - slack, v + half + slack)


def numeric(segment):
    """The interval a segment's arithmetic gives, or None when the segment holds symbols, not numbers."""
    text = segment.strip()
    for symbol, python in SYMBOLS.items():
        text = text.replace(symbol, python)
    bare = text
    for name in FUNCTIONS + ("sq",):
        bare = bare.replace(name, "")
    if not text or set(NUMBER.sub("", bare)) - set(" +-*/()") or not NUMBER.search(bare):
        return None
    names = {}

    def name(match):
        names[f"n{len(names)}"] = shown(match.group())
        return f"n{len(names) - 1}"

    tree = ast.parse(NUMBER.sub(name, text), mode="eval")
    return _evaluate(tree.body, names)


def _evaluate(node, names):
    if isinstance(node, ast.Name):
        return names[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand, names)
    if isinstance(node, ast.BinOp):
        left = _evaluate(node.left, names)
        if isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Name) and node.right.id == "sq":
            return left.square()
        right = _evaluate(node.right, names)
        ops = {ast.Add: Interval.__add__, ast.Sub: Interval.__sub__, ast.Mult: Interval.__mul__,
               ast.Div: Interval.__truediv__}
        return ops[type(node.op)](left, right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CALLS:
        (arg,) = node.args
        return _monotone(CALLS[node.func.id])(_evaluate(arg, names))
    raise AssertionError(f"not arithmetic: {ast.dump(node)}")


def check(line):
    """(numeric parts, shown value) of a true line; raises AssertionError when its arithmetic is false."""
    body = re.sub(r"^sample \d+: ", "", line)
    parts = re.split(r" = | ← ", body)
    intervals = [(p, numeric(p)) for p in parts]
    intervals = [(p, i) for p, i in intervals if i is not None]
    for (p, a), (q, b) in zip(intervals, intervals[1:]):
        assert a.meets(b), f"false as shown: {p} = {q}\n  [{a.lo}, {a.hi}] vs [{b.lo}, {b.hi}]\n  in: {line}"
    lo = max(i.lo for _, i in intervals) if intervals else None
    hi = min(i.hi for _, i in intervals) if intervals else None
    assert lo is None or lo <= hi, f"the numeric parts share no value: {line}"
    value = float(parts[-1].strip().strip("()")) if intervals else None
    return len(intervals), value
