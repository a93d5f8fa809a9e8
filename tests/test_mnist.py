"""MNIST from idx files a user gives (teaching/mnist.py), and `gradcanvas train` on it: tiny
synthetic idx files made here, nothing downloaded. Hostile files are refused with the fault named."""
import gzip
import struct

import numpy as np
import pytest

from server.cli import main
from server.teaching import minibatch
from server.teaching.mnist import DatasetError, load_mnist, parse_images, parse_labels, read_bytes, write_idx


def digits(n, seed):
    """Images whose digit is a bright band at rows 2k … 2k+5 over noise: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n).astype(np.uint8)
    images = (rng.random((n, 28, 28)) * 60).astype(np.uint8)
    for i, k in enumerate(labels):
        images[i, 2 * k:2 * k + 6, 4:24] = 255
    return images, labels


@pytest.fixture
def folder(tmp_path):
    x, y = digits(300, 1)
    write_idx(tmp_path / "train-images-idx3-ubyte.gz", x, compress=True)
    write_idx(tmp_path / "train-labels-idx1-ubyte", y)
    x, y = digits(120, 2)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", x)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", y, compress=True)
    return tmp_path


def test_a_valid_folder_loads_plain_and_gzipped_files(folder):
    d = load_mnist(folder)
    x, y = digits(300, 1)
    assert d.train_x.shape == (300, 784) and d.train_x.dtype == np.uint8 and d.input_size == 784
    np.testing.assert_array_equal(d.train_x, x.reshape(300, 784))
    np.testing.assert_array_equal(d.train_y, y)
    assert d.test_x.shape == (120, 784) and len(d.test_y) == 120


def test_batches_are_scaled_one_hot_and_the_accuracy_is_on_the_test_images(folder):
    source = minibatch.Source(load_mnist(folder))
    spec = {"name": "mnist", "seed": 0, "batch": 100, "drawn": 0, "x": "x", "t": "t"}
    data = source.data(spec)
    x, t = minibatch.draw(data, spec, 0)
    rows = np.random.default_rng([0, 0]).choice(300, 100)
    np.testing.assert_array_equal(x, digits(300, 1)[0].reshape(300, 784)[rows] / 255.0)
    assert t.shape == (100, 10) and (t.argmax(axis=1) == digits(300, 1)[1][rows]).all()
    assert data.eval_of == "test" and len(data.eval_x) == 120


def header_images(count, rows=28, cols=28, magic=0x803):
    return struct.pack(">IIII", magic, count, rows, cols)


@pytest.mark.parametrize("data, message", [
    (b"\x00\x00", "too short for an idx3 header"),
    (header_images(2) + bytes(784 * 2 - 1), "truncated: 1,583 bytes, the header says 1,584"),
    (header_images(2) + bytes(784 * 2 + 5), "longer than its header says"),
    (header_images(2, magic=0x801) + bytes(784 * 2), "not an idx3-ubyte images file: magic number 0x00000801, "
                                                     "expected 0x00000803 (this is a labels file)"),
    (b"GIF89a" + bytes(40), "not an idx3-ubyte images file"),
    (header_images(0), "0 images; from 1 to 100,000"),
    (header_images(2, rows=4096, cols=4096), "images of 4096 × 4096 pixels; at most 64 × 64"),
    (header_images(4_000_000_000) + bytes(10), "4,000,000,000 images"),
])
def test_hostile_image_files_are_refused_with_the_fault_named(data, message):
    with pytest.raises(DatasetError) as err:
        parse_images(data, "images")
    assert message in str(err.value) and str(err.value).startswith("images: ")


@pytest.mark.parametrize("data, message", [
    (struct.pack(">II", 0x801, 3) + bytes([1, 2]), "truncated"),
    (struct.pack(">II", 0x801, 3) + bytes([1, 2, 10]), "label 10 at 2 is no digit (0–9)"),
    (struct.pack(">II", 0x803, 3) + bytes([1, 2, 3]), "(this is an images file)"),
])
def test_hostile_label_files_are_refused(data, message):
    with pytest.raises(DatasetError) as err:
        parse_labels(data, "labels")
    assert message in str(err.value)


def test_a_folder_with_a_missing_part_or_mismatched_counts_is_refused(folder, tmp_path_factory):
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DatasetError, match="t10k-images-idx3-ubyte without its labels file"):
        load_mnist(folder)
    write_idx(folder / "t10k-labels-idx1-ubyte", digits(7, 3)[1])
    with pytest.raises(DatasetError, match="the test set: 120 images but 7 labels"):
        load_mnist(folder)
    empty = tmp_path_factory.mktemp("empty")
    with pytest.raises(DatasetError, match="no train-images-idx3-ubyte"):
        load_mnist(empty)
    with pytest.raises(DatasetError, match="not a folder"):
        load_mnist(empty / "nothing")


def test_a_gzip_stream_is_never_read_past_the_limit_nor_trusted_when_broken(tmp_path):
    bomb = tmp_path / "bomb.gz"
    bomb.write_bytes(gzip.compress(bytes(5000)))
    with pytest.raises(DatasetError, match="larger than any MNIST file"):
        read_bytes(bomb, limit=4096)
    broken = tmp_path / "broken.gz"
    broken.write_bytes(gzip.compress(bytes(5000))[:30])
    with pytest.raises(DatasetError, match="broken gzip file"):
        read_bytes(broken)


def test_gradcanvas_train_on_digits_lowers_the_loss_and_raises_the_accuracy(folder, capsys, tmp_path):
    out = tmp_path / "trained.json"
    assert main(["train", "--example", "two_layer_net_mnist", "--dataset", str(folder), "--steps", "20",
                 "--every", "10", "-o", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[1] for line in lines] == ["0", "10", "20"]
    loss = [float(line.split("loss")[1].split()[0]) for line in lines]
    accuracy = [float(line.split("accuracy")[1].strip().rstrip("%")) for line in lines]
    assert loss[0] == pytest.approx(np.log(10), abs=1e-2) and loss[-1] < loss[0] - 0.25
    assert accuracy[-1] > accuracy[0] + 30
    assert main(["train", str(out), "--steps", "1"]) == 1  # without the files: said, not a traceback
    assert "no MNIST files were given" in capsys.readouterr().err


def test_gradcanvas_train_refuses_a_hostile_dataset_folder(tmp_path, capsys):
    write_idx(tmp_path / "train-images-idx3-ubyte", digits(5, 1)[0])
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x09" + bytes(3))
    assert main(["train", "--example", "two_layer_net_mnist", "--dataset", str(tmp_path)]) == 1
    assert "train-labels-idx1-ubyte: truncated: 11 bytes, the header says 17" in capsys.readouterr().err


def test_gradcanvas_train_on_the_spiral_prints_loss_and_accuracy(capsys):
    assert main(["train", "--example", "two_layer_net", "--steps", "100", "--every", "50", "--batch", "20"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all("loss" in line and "accuracy" in line for line in lines)
    assert float(lines[-1].split("loss")[1].split()[0]) < float(lines[0].split("loss")[1].split()[0])


def test_a_server_given_digits_offers_the_mnist_net_and_one_without_does_not(folder, tmp_path):
    from server.web.app import create_app
    from conftest import UNLIMITED
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "DATASET": str(folder), **UNLIMITED})
    try:
        client = app.test_client()
        assert "two_layer_net_mnist" in [e["name"] for e in client.get("/api/examples").get_json()]
        reply = client.post("/api/examples/two_layer_net_mnist")
        assert reply.status_code == 201
        service = app.extensions["gradcanvas.sessions"].get(reply.get_json()["id"])
        assert np.shape(service.graph.node("x")["value"]) == (100, 784)
        assert np.shape(service.graph.node("W1")["value"]) == (784, 50)
        learning = service.train(2, "a").reply
        assert len(learning["accuracy"]) == 3
        assert service.state()["learning"]["dataset"]["eval_of"] == "test"
    finally:
        app.extensions["gradcanvas.store"].close()
    plain = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data2"), **UNLIMITED})
    try:
        client = plain.test_client()
        assert "two_layer_net_mnist" not in [e["name"] for e in client.get("/api/examples").get_json()]
        assert client.post("/api/examples/two_layer_net_mnist").status_code == 404
    finally:
        plain.extensions["gradcanvas.store"].close()


def test_a_server_given_a_hostile_folder_refuses_to_start(tmp_path):
    from server.web.app import create_app
    (tmp_path / "train-images-idx3-ubyte").write_bytes(b"\x1f\x8b" + b"junk" * 10)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(3))
    with pytest.raises(DatasetError, match="train-images-idx3-ubyte: a broken gzip file"):
        create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "DATASET": str(tmp_path)})
