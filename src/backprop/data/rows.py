"""A row's identity: a stable 64-bit hash of what the reader made of it (row_hash), the same in any batch,
run, process or file format. It sorts a streamed table's rows into test, validation and training parts
(parts), and it fingerprints an in-memory run's held-out rows (fingerprints) so that `evaluate --held-out`
finds them again in the data. A category is hashed by its name, not its one-hot position, so a row's hash
is known before every category of the table is (data/stream.py fits in one pass).
"""

import functools
import hashlib

import numpy as np

TEST, VALIDATION, TRAIN = 0, 1, 2
# A streamed model's "split": row_hash over the category names. Models saved as "row-hash" hashed a
# category by its one-hot position, so their held-out rows of a table with categories cannot be found again.
SPLIT, OLD_SPLIT = "row-hash-2", "row-hash"
FINGERPRINT_DIGITS = 16  # hex digits of a held-out row's fingerprint (earlier model files hold 12)


def _mix(h):
    """splitmix64's finaliser on uint64 h (a well-spread 64-bit hash of h), vectorised."""
    with np.errstate(over="ignore"):
        h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return h ^ (h >> np.uint64(31))


@functools.lru_cache(maxsize=256)
def digests(strings):
    """uint64 (k,) for a tuple of k strings: each one's blake2b digest (the same in any run or process)."""
    return np.array([int.from_bytes(hashlib.blake2b(v.encode(), digest_size=8).digest(), "little")
                     for v in strings], dtype=np.uint64)


def number_bits(x):
    """uint64 (n,) of float64 values x (n,): their bits, -0.0 as 0.0."""
    return (np.asarray(x, np.float64) + 0.0).view(np.uint64)


def _label_bits(y):
    """uint64 (n,) per label of y (n,): a number's float64 bits, a text label's digest."""
    if y.dtype.kind in "iufb":
        return number_bits(y)
    values, index = np.unique(y.astype(str), return_inverse=True)
    return digests(tuple(values.tolist()))[index.reshape(-1)]


def combine(columns, y, seed):
    """The row hash (n,) from one uint64 array (n,) per input column, in the encoder's column order, and the
    targets y ((n,), (n, k) for several target columns, or None)."""
    n = len(columns[0]) if columns else len(y)
    h = np.full(n, np.uint64(seed or 0) ^ np.uint64(0x5851F42D4C957F2D), dtype=np.uint64)
    for bits in columns:
        h = _mix(h ^ bits)
    targets = [] if y is None else [np.asarray(y)] if np.ndim(y) == 1 else list(np.asarray(y).reshape(n, -1).T)
    for column in targets:
        h = _mix(h ^ _label_bits(column))
    return h


def row_hash(X, y, seed, encoder=None):
    """A uint64 hash (n,) of each row of the encoded inputs X (n, width) and its targets y: a column is hashed
    as the number the reader made of its cell; with an encoder, a category's one-hot block as its name."""
    names = encoder.columns if encoder is not None and encoder.active else range(X.shape[1])
    categories = encoder.categories if encoder is not None else {}
    columns, j = [], 0
    for name in names:
        known = categories.get(name)
        if known:
            columns.append(digests(tuple(known))[np.argmax(X[:, j:j + len(known)], axis=1)])
            j += len(known)
        else:
            columns.append(number_bits(X[:, j]))
            j += 1
    return combine(columns, y, seed)


def parts(h, test_split, validation_split):
    """TEST, VALIDATION or TRAIN (n,) for row hashes h: test_split of the rows, then validation_split of the rest."""
    u = (h >> np.uint64(11)).astype(np.float64) * 2.0**-53  # uniform in [0, 1)
    v = (_mix(h ^ np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return np.where(u < test_split, TEST, np.where(v < validation_split, VALIDATION, TRAIN))


def fingerprints(X, y, encoder=None):
    """The fingerprint of each row of X (n, width) with its targets y: row_hash as FINGERPRINT_DIGITS hex digits."""
    if len(X) == 0:
        return []
    return [f"{h:0{FINGERPRINT_DIGITS}x}" for h in row_hash(np.asarray(X), y, 0, encoder).tolist()]
