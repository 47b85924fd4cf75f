"""The explorers carry no reference implementation: their expected views are stored arrays,
made for every setting their controls allow, and a matrix of the learner's own gets its views
from the learner's own functions once they pass."""

import itertools
import zipfile

import numpy as np
import pytest

from cnnbook import checker
from cnnbook.explorers import _expected, arithmetic, network, unfolding
from cnnbook.explorers.convolution import conv_state
from cnnbook.explorers.gradients import grad_state
from cnnbook.explorers.pooling import (EXAMPLE, RANDOM_MATRICES, TIES, parse_matrix, pool_state,
                                       random_matrix)
from instructor import make_expected, release
from test_explorers import good_pool_forward

# The helpers that computed the expected views, now only in instructor/explorer_oracles.py.
ORACLE_DEFINITIONS = ["def slide(", "def conv_grads(", "def pool_grid(", "def route(",
                      "def pool_routes(", "def unfold(", "def cover_counts(", "def net_forward(",
                      "def net_saliency(", "def net_occlusion("]
STORED = ["explorers", "explorers_assignment2", "explorers_assignment3"]


@pytest.mark.parametrize("name", STORED)
def test_stored_views_are_up_to_date(name):
    assert make_expected.stale(name) == [], "run `cnnbook-release expected`"


@pytest.fixture
def bundle_like(monkeypatch):
    """As in a student bundle: no instructor plugin, so only what is stored."""
    monkeypatch.setattr(_expected, "_ORACLES", {})
    monkeypatch.setattr(checker, "_plugins_loaded", True)


def test_every_setting_of_the_controls_is_stored(bundle_like):
    for n, f, pad, stride in itertools.product(range(2, 8), range(1, 6), range(0, 4), range(1, 4)):
        s = conv_state(n, f, pad, stride)
        assert "not stored" not in s.error and (s.z is not None or s.n_out == 0)
    for n, f, pad, stride, target in itertools.product(range(2, 7), range(1, 5), range(0, 3),
                                                       range(1, 4), ("input", "weight")):
        s = grad_state("conv", target, n, f, pad, stride)
        assert "not stored" not in s.error
    for layer, n, f, stride in itertools.product(("max", "average"), range(2, 7), range(1, 5), range(1, 4)):
        assert "not stored" not in grad_state(layer, "input", n, f, 0, stride).error
    for x, f, stride, mode in itertools.product(
            [EXAMPLE, TIES] + [random_matrix(k) for k in range(1, RANDOM_MATRICES + 1)],
            range(1, 5), range(1, 4), ("max", "average")):
        # As the explorer gets it: through the text box.
        typed, _ = parse_matrix(" ; ".join(" ".join(str(v) for v in row) for row in x))
        s = pool_state(typed, f, stride, mode)
        assert s.a is not None or s.out_shape[0] * s.out_shape[1] == 0, s.error
    for n, f, stride, pad in itertools.product(unfolding.N_RANGE, unfolding.F_RANGE,
                                               unfolding.STRIDE_RANGE, unfolding.PAD_RANGE):
        s = unfolding.im2col_state(n, f, stride, pad)
        assert s.error == "" and s.col is not None and s.counts is not None
    for n, f, stride, pad in itertools.product(arithmetic.N_RANGE, arithmetic.F_RANGE,
                                               arithmetic.STRIDE_RANGE, arithmetic.PAD_RANGE):
        s = arithmetic.arithmetic_state(n, f, stride, pad)
        assert "not stored" not in s.error and (s.dprev is not None or s.n_out == 0)
    _, offered = network.stored_network()
    for digit, patch in itertools.product(range(len(offered)), network.PATCH_SIZES):
        s = network.network_state(digit, patch=patch)
        assert s.error == "" and s.saliency is not None and s.occlusion is not None


def test_the_stored_network_reads_the_test_digits(bundle_like):
    from cnnbook.explorers.network import stored_network, test_digits

    _, offered = stored_network()
    images, labels = test_digits()
    right = [network.network_state(d).predicted == labels[offered[d]] for d in range(len(offered))]
    # The first of each digit, then the network's two most confident mistakes.
    assert sorted(labels[offered[:10]]) == list(range(10)) and right[10:] == [False, False]
    assert sum(right[:10]) >= 9


def test_stored_views_are_the_oracles(bundle_like):
    stored = grad_state("max", "input", 5, 2, 0, 1, x=None)
    assert stored.dprev is not None
    from instructor import explorer_oracles

    x = np.asarray(stored.x)
    expected = explorer_oracles.pool_routes(x, stored.dz, 2, 1, "max", False)[0].sum(axis=(0, 1))
    assert np.array_equal(stored.dprev, expected)


def good_pool_backward(dA, cache, mode="max"):
    A_prev, hp = cache
    f, s = hp["f"], hp["stride"]
    d = np.zeros(A_prev.shape)
    for i, h, w, c in np.ndindex(*dA.shape):
        win = A_prev[i, h * s:h * s + f, w * s:w * s + f, c]
        share = (win == win.max()) * dA[i, h, w, c] if mode == "max" else dA[i, h, w, c] / (f * f)
        d[i, h * s:h * s + f, w * s:w * s + f, c] += share
    return d


def test_a_typed_matrix_uses_the_learners_passing_functions(bundle_like):
    typed = np.array([[5, 1, 2], [0, 3, 9], [4, 4, 1]], dtype=float)
    alone = pool_state(typed, 2, 1, "max")
    assert alone.a is None and "pass their checks" in alone.error
    wrong = pool_state(typed, 2, 1, "max", pool_forward=lambda A, hp, mode="max": (A, None),
                       pool_backward=good_pool_backward)
    assert wrong.a is None and "pass their checks" in wrong.error
    mine = pool_state(typed, 2, 1, "max", pool_forward=good_pool_forward,
                      pool_backward=good_pool_backward)
    assert mine.error == ""
    assert np.array_equal(mine.a, [[5, 9], [4, 9]])
    assert mine.forward.status == "matches" and mine.backward.status == "matches"
    assert mine.sent[(1, 2)] == [(0, 1, 2.0), (1, 1, 4.0)]  # the 9 is the maximum of two windows


def test_a_bundle_carries_no_reference_implementation(tmp_path):
    path = release.build_bundle(tmp_path / "b.zip")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        text = "\n".join(zf.read(n).decode("utf-8", "replace") for n in names if n.endswith(".py"))
    for name in STORED:
        assert f"{release.BUNDLE_NAME}/cnnbook/expected/{name}.npz" in names
    for definition in ORACLE_DEFINITIONS:
        assert definition not in text, definition


@pytest.mark.parametrize("assignment", release.GRADED_ASSIGNMENTS)
def test_a_bundle_of_one_assignment_carries_its_explorers_only(tmp_path, assignment):
    path = release.build_bundle(tmp_path / "b.zip", [assignment])
    names = {n.removeprefix(f"{release.BUNDLE_NAME}/") for n in zipfile.ZipFile(path).namelist()}
    for owner, files in release.EXPLORER_FILES.items():
        for name in files:
            assert (name in names) == (owner == assignment), (assignment, name)
    notebooks = {n for n in names if n.startswith("notebooks/") and n.endswith("explorers.ipynb")}
    assert notebooks <= {f"notebooks/{assignment}/explorers.ipynb"}
