"""Small datasets made on the spot, with a seed: no download, the same points every time."""
from __future__ import annotations

import numpy as np


def spiral(points_per_class: int = 100, classes: int = 3, seed: int = 0, noise: float = 0.2):
    """The spiral of CS231n's notes: ``classes`` arms of points in the plane, one class per arm.

    Returns (x, t): x of shape (points_per_class · classes, 2), t one-hot of shape
    (points_per_class · classes, classes), the arms one after the other (the notes' radii
    without 0, where every arm has the same point). A linear
    classifier cannot separate the arms; the two-layer net can.
    """
    rng = np.random.default_rng(seed)
    n = points_per_class
    x = np.zeros((n * classes, 2))
    t = np.zeros((n * classes, classes))
    for j in range(classes):
        rows = slice(n * j, n * (j + 1))
        r = np.linspace(0.0, 1.0, n + 1)[1:]  # not r = 0: there the arms meet, one point in every class
        theta = np.linspace(j * 4.0, (j + 1) * 4.0, n) + rng.standard_normal(n) * noise
        x[rows] = np.c_[r * np.sin(theta), r * np.cos(theta)]
        t[rows, j] = 1.0
    return x, t


def moons(points: int = 300, seed: int = 0, noise: float = 0.1):
    """Two interleaving half circles (scikit-learn's ``make_moons``, written out), one class each.

    Returns (x, t): x of shape (points, 2), t one-hot of shape (points, 2); the first
    ``points // 2`` points are the upper moon. Seeded: the same points every time.
    """
    rng = np.random.default_rng(seed)
    n_out = points // 2
    n_in = points - n_out
    angle_out = np.linspace(0.0, np.pi, n_out)
    angle_in = np.linspace(0.0, np.pi, n_in)
    x = np.r_[np.c_[np.cos(angle_out), np.sin(angle_out)],
              np.c_[1.0 - np.cos(angle_in), 0.5 - np.sin(angle_in)]]
    x += rng.standard_normal(x.shape) * noise
    t = np.zeros((points, 2))
    t[:n_out, 0] = 1.0
    t[n_out:, 1] = 1.0
    return x, t


# The generated sets a document may name (its "dataset" field): their sizes are fixed here so
# that a name and a seed are the whole recipe.
GENERATED = {
    "spiral": lambda seed: spiral(100, 3, seed),
    "moons": lambda seed: moons(300, seed),
}
