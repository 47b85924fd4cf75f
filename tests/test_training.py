"""Assignment 3's data file and training: the HDF5 file matches its recreation script, and the
solution's network learns the digits."""

import contextlib
import io

import numpy as np
import pytest

from cnnbook import digits, inspection
from cnnbook.training import accuracy, train
from instructor import solutions


def test_digits_file_matches_its_recreation_script():
    pytest.importorskip("sklearn", reason="pip install scikit-learn (the test extras have it)")
    from instructor import make_digits
    assert make_digits.differences(digits.PATH) == []


def test_digits_file_layout():
    with digits.open_file() as f:
        assert set(f) == {"train", "val", "test"}
        assert "CC BY 4.0" in f.attrs["licence"] and "stratified" in f.attrs["split"]
        for name in f:
            assert f[name]["images"].dtype == np.uint8 and f[name]["images"].shape[1:] == (8, 8)
            assert f[name]["labels"].shape == (f[name].attrs["count"],)
    data = digits.load()
    sizes = {k: len(v[1]) for k, v in data.items()}
    assert sum(sizes.values()) == 1797 and sizes["train"] > 3 * sizes["test"] / 2
    for _, labels in data.values():  # stratified: every digit about equally often
        counts = np.bincount(labels, minlength=10)
        assert counts.max() - counts.min() <= 6
    batch = digits.as_batch(data["test"][0])
    assert batch.shape == (len(data["test"][0]), 1, 8, 8) and batch.dtype == np.float64
    assert 0 <= batch.min() and batch.max() <= 1


def test_missing_file_says_where_it_should_be(tmp_path):
    with pytest.raises(FileNotFoundError, match="ships with the workbook"):
        digits.load(tmp_path / "nowhere.h5")


def test_solution_learns_the_digits():
    """The notebook's settings reach at least 97% on the test split (a floor, not an exact figure)."""
    fn = solutions.load("assignment3")
    data = {k: (digits.as_batch(x), y.astype(np.int64)) for k, (x, y) in digits.load().items()}
    init_params = solutions.load_cells("assignment3", "init_params")["init_params"]
    net = fn["SimpleCNN"](init_params(filters=16, seed=0))
    with contextlib.redirect_stdout(io.StringIO()) as log:
        history = train(net, data, fn["sgd_step"], epochs=20, lr=0.05, momentum=0.9, batch_size=32,
                        seed=0, live=False)
    assert len(history.loss) == 20 and log.getvalue().count("\n") == 20
    assert history.loss[-1] < history.loss[0] / 5
    assert accuracy(net, *data["test"]) >= 0.97


def test_confusion_matrix_and_confident_mistakes():
    counts = inspection.confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), classes=3)
    assert counts.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.7, 0.3]])
    labels = np.array([1, 1, 0, 0])  # wrong: 0 (90% sure) and 2 (60% sure)
    assert inspection.confident_mistakes(probs, labels, k=5).tolist() == [0, 2]


def test_a_diverging_loss_stops_training_with_a_clear_message():
    class Exploding:
        params = {"w": np.zeros(1)}

        def gradient(self, x, labels):
            return float("nan"), {"w": np.zeros(1)}

        def predict(self, x):
            return np.zeros((len(x), 2))

    data = {"train": (np.zeros((4, 1, 8, 8)), np.zeros(4, int)), "val": (np.zeros((2, 1, 8, 8)), np.zeros(2, int))}
    with pytest.raises(FloatingPointError, match="smaller learning rate"):
        train(Exploding(), data, lambda *a: None, epochs=1, live=False)
