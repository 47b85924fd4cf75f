"""What the explorers show as expected, computed: for the instructor's package only.

The explorers of the student bundle compute no expected result themselves: they read the
arrays stored in ``cnnbook/expected/explorers.npz``, made from these functions for every
setting the explorers' controls allow (``cnnbook-release expected``; a test fails when they
are stale). Here, registered through the ``cnnbook.graders`` entry points, they also serve
inputs that nothing stored covers (the tests' own grids, a matrix typed in a clone).
Every function returns a tuple of arrays.
"""

from __future__ import annotations

import numpy as np


def slide(padded: np.ndarray, w: np.ndarray, b: float, stride: int):
    """Cross-correlation of a padded 2-D grid with the filter w, plus b, at the given stride."""
    padded, w = np.asarray(padded, dtype=float), np.asarray(w, dtype=float)
    f = w.shape[0]
    n_out = (padded.shape[0] - f) // stride + 1
    m_out = (padded.shape[1] - f) // stride + 1
    out = np.zeros((n_out, m_out))
    for h in range(n_out):
        for v in range(m_out):
            out[h, v] = np.sum(padded[h * stride:h * stride + f, v * stride:v * stride + f] * w) + b
    return (out,)


def conv_grads(padded: np.ndarray, w: np.ndarray, dz: np.ndarray, stride: int):
    """Gradients of one 2-D convolution: on the padded input, on the filter, on the bias."""
    padded, w, dz = (np.asarray(a, dtype=float) for a in (padded, w, dz))
    f = w.shape[0]
    dpad, dw = np.zeros(padded.shape), np.zeros(w.shape)
    for h in range(dz.shape[0]):
        for v in range(dz.shape[1]):
            r0, c0 = h * stride, v * stride
            dpad[r0:r0 + f, c0:c0 + f] += w * dz[h, v]
            dw += padded[r0:r0 + f, c0:c0 + f] * dz[h, v]
    return dpad, dw, np.array(float(dz.sum()))


def pool_grid(x: np.ndarray, f: int, stride: int, mode: str):
    """Max or average pooling of a 2-D grid (no padding)."""
    x = np.asarray(x, dtype=float)
    n_h, n_w = (x.shape[0] - f) // stride + 1, (x.shape[1] - f) // stride + 1
    reduce = np.max if mode == "max" else np.mean
    return (np.array([[reduce(x[h * stride:h * stride + f, v * stride:v * stride + f])
                       for v in range(n_w)] for h in range(n_h)], dtype=float),)


def pool_routes(x: np.ndarray, da: np.ndarray, f: int, stride: int, mode: str, first_only: bool):
    """What each output's gradient sends to each input cell, as an array (n_H, n_W, H, W):
    to the maxima of its window (every tied one, or the first only) or shared equally."""
    x, da = np.asarray(x, dtype=float), np.asarray(da, dtype=float)
    out = np.zeros(da.shape + x.shape)
    for h in range(da.shape[0]):
        for v in range(da.shape[1]):
            r0, c0 = h * stride, v * stride
            window = x[r0:r0 + f, c0:c0 + f]
            if mode == "average":
                out[h, v, r0:r0 + f, c0:c0 + f] = da[h, v] / (f * f)
                continue
            tops = np.argwhere(window == window.max())
            for r, c in tops[:1] if first_only else tops:
                out[h, v, r0 + r, c0 + c] = da[h, v]
    return (out,)


def unfold(padded: np.ndarray, f: int, stride: int):
    """im2col of one padded image (C, Hp, Wp): one row per window in (i, j) order, its
    entries in (c, y, x) order."""
    padded = np.asarray(padded, dtype=float)
    c_count, total = padded.shape[0], padded.shape[1]
    out = (total - f) // stride + 1
    rows = [padded[:, i * stride:i * stride + f, j * stride:j * stride + f].ravel()
            for i in range(out) for j in range(out)]
    return (np.array(rows, dtype=float).reshape(out * out, c_count * f * f),)


def cover_counts(channels: int, n: int, f: int, stride: int, pad: int):
    """How many windows cover each pixel of a (channels, n, n) image: col2im of a col of ones."""
    channels, n, f, stride, pad = (int(v) for v in (channels, n, f, stride, pad))
    total = n + 2 * pad
    out = (total - f) // stride + 1
    counts = np.zeros((channels, total, total))
    for i in range(out):
        for j in range(out):
            counts[:, i * stride:i * stride + f, j * stride:j * stride + f] += 1
    return (counts[:, pad:pad + n, pad:pad + n],)


def _network(W1, b1, W2, b2):
    from instructor import solutions

    if "SimpleCNN" not in _SOLUTION:
        _SOLUTION.update(solutions.load("assignment3"))
    params = {k: np.array(v, dtype=float) for k, v in zip(("W1", "b1", "W2", "b2"), (W1, b1, W2, b2))}
    return _SOLUTION["SimpleCNN"](params)


_SOLUTION: dict = {}


def _probs(scores: np.ndarray) -> np.ndarray:
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def net_forward(image, W1, b1, W2, b2):
    """Assignment 3's solution network on one image (8, 8): the maps after the convolution, the
    ReLU and the pooling, (F, 8, 8), (F, 8, 8), (F, 4, 4), and the probabilities (K,)."""
    net = _network(W1, b1, W2, b2)
    x = np.asarray(image, dtype=float)[None, None]
    maps = []
    for layer in net.layers:
        x = layer.forward(x)
        maps.append(x)
    return maps[0][0], maps[1][0], maps[2][0], _probs(maps[3])[0]


def net_saliency(image, W1, b1, W2, b2):
    """d score_k / d image for every class k, (K, 8, 8), through the solution's backward passes."""
    net = _network(W1, b1, W2, b2)
    x = np.repeat(np.asarray(image, dtype=float)[None, None], 10, axis=0)
    for layer in net.layers:
        x = layer.forward(x)
    d = np.eye(x.shape[1])
    for layer in reversed(net.layers):
        d = layer.backward(d)
    return (d[:, 0],)


def net_occlusion(image, W1, b1, W2, b2, size):
    """The probabilities (P, P, K) with a grey size × size patch at each of the P × P positions."""
    from cnnbook.explorers.network import occluded

    net = _network(W1, b1, W2, b2)
    image = np.asarray(image, dtype=float)
    size = int(size)
    positions = image.shape[0] - size + 1
    return (_probs(net.predict(occluded(image, size))).reshape(positions, positions, -1),)


ORACLES = {"net_forward": net_forward, "net_saliency": net_saliency, "net_occlusion": net_occlusion,
           "im2col": unfold, "col2im_counts": cover_counts, "conv_forward": slide, "conv_backward": conv_grads, "pool_forward": pool_grid,
           "pool_routes": pool_routes}


def register() -> None:
    from cnnbook.explorers import _expected

    for kind, fn in ORACLES.items():
        _expected.register_oracle(kind, fn)
