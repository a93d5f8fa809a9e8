"""Tensor values beside the scalar path: what a tensor is, how it is read and compared.

A scalar value stays a Python float everywhere (the fast path); a tensor is a
numpy float64 array of one or two dimensions (a vector, or a matrix with the
batch dimension first), read-only, so that no layer can change an input's value
in place. Documents and the wire carry it as a rectangular nested list.

Shapes are tuples, as numpy writes them; a scalar's shape is ``()``.
"""
from __future__ import annotations

import math

import numpy as np

ndarray = np.ndarray
MAX_DIMS = 2               # a vector or a matrix (batch first)
MAX_ELEMENTS = 100_000     # per value: a batch of 100 MNIST images (78,400 numbers) fits


class TensorProblem(ValueError):
    """Why a nested list is not a tensor value; the message says where."""


def is_tensor(x) -> bool:
    return x.__class__ is ndarray


def shape_of(x) -> tuple:
    """The value's shape: ``()`` for a scalar."""
    return x.shape if x.__class__ is ndarray else ()


def shape_text(shape) -> str:
    """``(4, 3)``, ``(3,)``, ``()``: as numpy writes a shape."""
    return str(tuple(shape))


def parse_tensor(value) -> ndarray:
    """A rectangular nested list of finite numbers (or an array) as a read-only float64 array.

    Raises TensorProblem naming the first problem: ragged rows, a non-number, NaN or ±∞,
    too many dimensions or elements, an empty list.
    """
    if value.__class__ is ndarray:
        arr = value
        if arr.dtype.kind not in "fiu":
            raise TensorProblem(f"must hold numbers, not {arr.dtype}")
    else:
        shape = _list_shape(value)
        size = math.prod(shape)
        if size > MAX_ELEMENTS:
            raise TensorProblem(f"holds {size:,} numbers; the limit is {MAX_ELEMENTS:,}")
        flat = list(_flatten(value, len(shape)))
        for k, v in enumerate(flat):
            if v.__class__ is not float and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise TensorProblem(f"must hold only numbers, got {_short(v)} at {_where(k, shape)}")
        try:
            arr = np.array(flat, dtype=np.float64).reshape(shape)
        except OverflowError:  # an integer beyond the float range
            raise TensorProblem("must hold finite numbers, not one beyond the float range") from None
    if arr.ndim == 0 or arr.ndim > MAX_DIMS:
        raise TensorProblem(f"must be a vector or a matrix (1 or 2 dimensions), not {arr.ndim}")
    if arr.size == 0:
        raise TensorProblem(f"must hold at least one number, not an empty shape {shape_text(arr.shape)}")
    if arr.size > MAX_ELEMENTS:
        raise TensorProblem(f"holds {arr.size:,} numbers; the limit is {MAX_ELEMENTS:,}")
    if not np.isfinite(arr).all():
        k = int(np.flatnonzero(~np.isfinite(arr.ravel()))[0])
        raise TensorProblem(f"must hold finite numbers, not {float(arr.ravel()[k])!r} at {_where(k, arr.shape)}")
    arr = np.array(arr, dtype=np.float64)  # a copy of its own, whatever it was given
    arr.flags.writeable = False
    return arr


def _list_shape(value) -> tuple:
    """The shape of a rectangular nested list; raises TensorProblem if it is not one."""
    shape = []
    level = value
    while isinstance(level, list):
        if len(shape) >= MAX_DIMS:
            raise TensorProblem(f"must be a vector or a matrix (1 or 2 dimensions), not deeper")
        shape.append(len(level))
        if not level:
            break
        level = level[0]
    if len(shape) == 2:
        for i, row in enumerate(value):
            if not isinstance(row, list) or len(row) != shape[1]:
                got = f"{len(row)} numbers" if isinstance(row, list) else _short(row)
                raise TensorProblem(f"must be rectangular: row {i} has {got}, row 0 has {shape[1]}")
    return tuple(shape)


def _flatten(value, dims):
    if dims == 1:
        yield from value
    else:
        for row in value:
            for v in row:
                if isinstance(v, list):
                    raise TensorProblem("must be a vector or a matrix (1 or 2 dimensions), not deeper")
                yield v


def _short(v) -> str:
    text = repr(v)
    return text if len(text) <= 40 else text[:39] + "…"


def _where(k: int, shape) -> str:
    return f"[{k}]" if len(shape) == 1 else f"[{k // shape[1]}][{k % shape[1]}]"


def to_list(x):
    """A value as JSON holds it: a float, or a nested list."""
    return x.tolist() if x.__class__ is ndarray else x


def finite(x) -> bool:
    """Whether a value (a float or a tensor) is finite throughout."""
    if x.__class__ is ndarray:
        return bool(np.isfinite(x).all())
    return math.isfinite(x)


def all_finite(values) -> bool:
    """Whether every value of a list is finite: one C-speed sum for floats, else each checked."""
    try:
        total = sum(values)
    except (TypeError, ValueError):  # tensors of different shapes
        return all(map(finite, values))
    if total.__class__ is ndarray:
        return all(map(finite, values))
    return math.isfinite(total)


def same(x, y) -> bool:
    """Bit for bit, as far as a reader can tell (tensors: same shape, NaN is NaN, −0 is not 0)."""
    if x.__class__ is not ndarray or y.__class__ is not ndarray:
        return False
    if x.shape != y.shape:
        return False
    return bool(np.array_equal(x, y, equal_nan=True) and np.array_equal(np.signbit(x), np.signbit(y)))


def jsonable(x):
    """A tensor as nested lists for JSON: NaN and ±∞ as the strings JavaScript's Number() reads."""
    if np.isfinite(x).all():
        return x.tolist()
    out = np.where(np.isnan(x), "NaN", np.where(x > 0, "Infinity", "-Infinity")).astype(object)
    keep = np.isfinite(x)
    out[keep] = x[keep].astype(object)
    return [[float(v) if not isinstance(v, str) else v for v in row] for row in out.tolist()] \
        if x.ndim == 2 else [float(v) if not isinstance(v, str) else v for v in out.tolist()]


def seed_like(value):
    """The gradient seeded at an output: 1.0, or ones of a tensor output's shape."""
    return 1.0 if value.__class__ is not ndarray else np.ones_like(value)

