"""MNIST from the idx files a user gives (``--dataset PATH``): no download, ever.

The idx format (http://yann.lecun.com/exdb/mnist/) is a big-endian header, then
the bytes: images ``00 00 08 03, count, rows, cols`` then count·rows·cols pixels;
labels ``00 00 08 01, count`` then count labels. A file may be gzipped (``.gz``).
Everything is checked before it is used: the magic number, the sizes against the
file's length, the labels 0–9, images and labels the same count. A file that is not
what it says is refused with a ``DatasetError`` naming the file and the fault.

Images stay ``uint8`` (60,000 images are 47 MB so, 376 MB as float64); a batch is
made float (``/ 255``, the book's ``normalize=True``) when it is drawn.
"""
from __future__ import annotations

import gzip
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..engine.document import GraphError

IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801
MAX_IMAGES = 100_000       # MNIST's training set is 60,000
MAX_SIDE = 64              # MNIST's images are 28 × 28
CLASSES = 10
MAX_BYTES = 16 + MAX_IMAGES * MAX_SIDE * MAX_SIDE  # a gzip stream is never read past this
# The names the four files go by (LeCun's, and the dotted ones of other mirrors), each maybe .gz.
NAMES = {"train_images": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
         "train_labels": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
         "test_images": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
         "test_labels": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte")}


class DatasetError(GraphError):
    """A dataset file that cannot be used: missing, unreadable or not what it says."""

    def __init__(self, message: str):
        super().__init__(message, reason="invalid_dataset", problem=message[:300])


@dataclass(frozen=True)
class Digits:
    """Images (N, rows·cols) uint8 and labels (N,) uint8, training and (maybe) test."""
    train_x: np.ndarray
    train_y: np.ndarray
    test_x: np.ndarray | None = None
    test_y: np.ndarray | None = None
    source: str = ""

    @property
    def input_size(self) -> int:
        return self.train_x.shape[1]


def read_bytes(path: Path, limit: int = MAX_BYTES) -> bytes:
    """The file's bytes, un-gzipped if it is gzipped (by its magic, not its name), at most ``limit``."""
    try:
        with open(path, "rb") as f:
            head = f.read(2)
            f.seek(0)
            if head == b"\x1f\x8b":
                with gzip.GzipFile(fileobj=f) as z:
                    data = z.read(limit + 1)
            else:
                data = f.read(limit + 1)
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:  # (BadGzipFile is an OSError: first)
        raise DatasetError(f"{path}: a broken gzip file ({err})") from None
    except OSError as err:
        raise DatasetError(f"{path}: cannot read ({err.strerror or err})") from None
    if len(data) > limit:
        raise DatasetError(f"{path}: larger than any MNIST file ({limit:,} bytes)")
    return data


def parse_images(data: bytes, name: str = "images") -> np.ndarray:
    """An idx3-ubyte file's images as (count, rows·cols) uint8."""
    if len(data) < 16:
        raise DatasetError(f"{name}: {len(data)} bytes is too short for an idx3 header (16 bytes)")
    magic, count, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != IMAGES_MAGIC:
        hint = " (this is a labels file)" if magic == LABELS_MAGIC else ""
        raise DatasetError(f"{name}: not an idx3-ubyte images file: magic number {magic:#010x}, "
                           f"expected {IMAGES_MAGIC:#010x}{hint}")
    if not 1 <= count <= MAX_IMAGES:
        raise DatasetError(f"{name}: {count:,} images; from 1 to {MAX_IMAGES:,} can be used")
    if not (1 <= rows <= MAX_SIDE and 1 <= cols <= MAX_SIDE):
        raise DatasetError(f"{name}: images of {rows} × {cols} pixels; at most {MAX_SIDE} × {MAX_SIDE}")
    want = 16 + count * rows * cols
    if len(data) != want:
        what = "truncated" if len(data) < want else "longer than its header says"
        raise DatasetError(f"{name}: {what}: {len(data):,} bytes, the header says {want:,} "
                           f"({count:,} images of {rows} × {cols})")
    return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows * cols)


def parse_labels(data: bytes, name: str = "labels") -> np.ndarray:
    """An idx1-ubyte file's labels as (count,) uint8, each 0–9."""
    if len(data) < 8:
        raise DatasetError(f"{name}: {len(data)} bytes is too short for an idx1 header (8 bytes)")
    magic, count = struct.unpack(">II", data[:8])
    if magic != LABELS_MAGIC:
        hint = " (this is an images file)" if magic == IMAGES_MAGIC else ""
        raise DatasetError(f"{name}: not an idx1-ubyte labels file: magic number {magic:#010x}, "
                           f"expected {LABELS_MAGIC:#010x}{hint}")
    if not 1 <= count <= MAX_IMAGES:
        raise DatasetError(f"{name}: {count:,} labels; from 1 to {MAX_IMAGES:,} can be used")
    if len(data) != 8 + count:
        what = "truncated" if len(data) < 8 + count else "longer than its header says"
        raise DatasetError(f"{name}: {what}: {len(data):,} bytes, the header says {8 + count:,}")
    labels = np.frombuffer(data, dtype=np.uint8, offset=8)
    bad = np.flatnonzero(labels >= CLASSES)
    if bad.size:
        raise DatasetError(f"{name}: label {labels[bad[0]]} at {bad[0]} is no digit (0–9)")
    return labels


def _pair(images: np.ndarray, labels: np.ndarray, what: str):
    if len(images) != len(labels):
        raise DatasetError(f"{what}: {len(images):,} images but {len(labels):,} labels")
    return images, labels


def find(folder: Path, key: str) -> Path | None:
    for stem in NAMES[key]:
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                return folder / name
    return None


def load_mnist(path) -> Digits:
    """MNIST from a folder holding ``train-images-idx3-ubyte`` and ``train-labels-idx1-ubyte``
    (and, if there, ``t10k-…``), each maybe ``.gz``."""
    folder = Path(path)
    if not folder.is_dir():
        raise DatasetError(f"{path}: not a folder; give the folder holding train-images-idx3-ubyte "
                           "and train-labels-idx1-ubyte (maybe .gz)")
    files = {key: find(folder, key) for key in NAMES}
    for key in ("train_images", "train_labels"):
        if files[key] is None:
            raise DatasetError(f"{path}: no {NAMES[key][0]} (or {NAMES[key][0]}.gz) in this folder")
    if (files["test_images"] is None) != (files["test_labels"] is None):
        have = "test_images" if files["test_images"] else "test_labels"
        raise DatasetError(f"{path}: {files[have].name} without its "
                           f"{'labels' if have == 'test_images' else 'images'} file")
    train_x, train_y = _pair(parse_images(read_bytes(files["train_images"]), str(files["train_images"])),
                             parse_labels(read_bytes(files["train_labels"]), str(files["train_labels"])),
                             "the training set")
    test_x = test_y = None
    if files["test_images"] is not None:
        test_x, test_y = _pair(parse_images(read_bytes(files["test_images"]), str(files["test_images"])),
                               parse_labels(read_bytes(files["test_labels"]), str(files["test_labels"])),
                               "the test set")
        if test_x.shape[1] != train_x.shape[1]:
            raise DatasetError(f"{path}: test images of {test_x.shape[1]} pixels, training images of "
                               f"{train_x.shape[1]}")
    return Digits(train_x, train_y, test_x, test_y, str(folder))


def write_idx(path, array: np.ndarray, magic: int | None = None, compress: bool = False):
    """Write ``array`` (uint8, 1 or 3 dimensions) as an idx file: for tests and small samples."""
    array = np.asarray(array, dtype=np.uint8)
    magic = magic if magic is not None else (IMAGES_MAGIC if array.ndim == 3 else LABELS_MAGIC)
    data = struct.pack(">I", magic) + b"".join(struct.pack(">I", n) for n in array.shape) + array.tobytes()
    Path(path).write_bytes(gzip.compress(data) if compress else data)
