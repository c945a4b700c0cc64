"""Fuzzing the loaders and the public API: every call works or raises a documented BackpropError."""

import io
import os
import tempfile
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import backprop as bp
from backprop.data import files as data
from backprop.data.sources import read_table
from backprop import io as model_io
from backprop.activations import ACTIVATIONS
from backprop.costs import COSTS

pytestmark = pytest.mark.slow

FUZZ = settings(
    max_examples=int(os.environ.get("BACKPROP_FUZZ_EXAMPLES", 150)),
    deadline=2000,
    suppress_health_check=[HealthCheck.too_slow],
)
CELLS = st.sampled_from(["1", "0", "-2.5", "1e308", "nan", "inf", "abc", "", " ", '"3"', "x,y", "1e-300", "7"])


def scratch(suffix, content):
    fd, path = tempfile.mkstemp(suffix=suffix)
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    return path


@FUZZ
@given(
    st.lists(st.lists(CELLS, min_size=0, max_size=5), min_size=0, max_size=8),
    st.sampled_from([",", ";", "\t", "|"]),
    st.booleans(),
)
def test_read_csv(rows, delimiter, bom):
    text = "\n".join(delimiter.join(row) for row in rows)
    path = scratch(".csv", (("\ufeff" if bom else "") + text).encode())
    try:
        X, y, encoder, target = read_table(path)
        assert X.ndim == 2 and len(y) == X.shape[0] and np.isfinite(X).all() and encoder.width == X.shape[1]
    except bp.BackpropError:
        pass
    finally:
        os.unlink(path)


ARRAYS = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.uint8, np.bool_, np.complex64]),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
)


@FUZZ
@given(st.dictionaries(st.sampled_from(["X", "y", "z"]), ARRAYS, max_size=3), st.binary(max_size=64))
def test_read_npz(arrays, garbage):
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    for content in (buffer.getvalue(), garbage, buffer.getvalue()[: len(buffer.getvalue()) // 2]):
        path = scratch(".npz", content)
        try:
            X, y = data.read_npz(path)
            assert X.ndim == 2 and y.shape[0] == X.shape[0]
        except bp.DataError:
            pass
        finally:
            os.unlink(path)


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "m.npz"
    net = bp.Network([3, 4, 2], seed=0)
    bp.train(net, np.zeros((4, 3)), np.zeros((4, 2)), epochs=1, optimizer="adam")
    model_io.save(path, net)
    return path.read_bytes()


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=8), st.integers(0, 10**6))
def test_load_damaged_model_files(model_bytes, flips, cut):
    raw = bytearray(model_bytes)
    for at, value in flips:
        raw[at % len(raw)] = value
    for content in (bytes(raw), model_bytes[: cut % len(model_bytes)]):
        path = scratch(".npz", content)
        try:
            net, meta = model_io.load(path)
            assert all(np.isfinite(p).all() for p in net.weights + net.biases)
        except bp.ModelFileError:
            pass
        finally:
            os.unlink(path)


NAMES = st.sampled_from(list(ACTIVATIONS) + ["swish"])
VALUES = st.one_of(st.floats(allow_nan=True, allow_infinity=True, width=64), st.integers(-(10**6), 10**6))


@FUZZ
@given(
    st.lists(st.integers(-1, 5), min_size=0, max_size=4),
    NAMES,
    st.one_of(st.none(), NAMES),
    st.sampled_from(list(COSTS) + ["hinge"]),
    st.sampled_from(["float32", "float64", "int8"]),
    st.integers(0, 6),
    st.integers(0, 7),
    st.data(),
)
def test_public_api(sizes, activation, output, cost, dtype, n, width, draw):
    try:
        net = bp.Network(sizes, activation=activation, output=output, cost=cost, seed=0, dtype=dtype)
    except bp.BackpropError:
        return
    X = draw.draw(hnp.arrays(np.float64, (n, width), elements=VALUES))
    Y = draw.draw(
        st.one_of(
            hnp.arrays(np.float64, (n, sizes[-1]), elements=VALUES),
            hnp.arrays(np.int64, (n,), elements=st.integers(-1, 6)),
            hnp.arrays(np.float64, (draw.draw(st.integers(0, 6)),), elements=VALUES),
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow in huge inputs is allowed; wrong exception types are not
        for call in (
            lambda: net.predict(X),
            lambda: net.cost(X, Y),
            lambda: net.gradients(X, Y),
            lambda: bp.train(net, X, Y, epochs=2, batch_size=2),
            lambda: bp.gradcheck(net, X[:2], Y[:2]),
        ):
            try:
                call()
            except bp.BackpropError:
                pass
