"""Numerical gradient checking: compare a layer's backward pass with centred differences.

    gradient_check(Convolution(W, b, stride=2, pad=1), x)

For each input (x, and the layer's W and b if it has them) the analytic gradient
from ``backward`` is compared with

    (L(x + h) - L(x - h)) / 2h,   L(x) = sum(forward(x) * dout)

for a random dout, one element at a time. The relative error
max|a - n| / max(|a| + |n|) is about 1e-10 for a correct float64 layer; above
THRESHOLD the check fails. Max pooling and ReLU have kinks: where two values of
a window are within h of each other, nudging one by h can change which one is
the maximum, and the numerical gradient is then wrong, not the layer. Such a
spurious failure goes away with another seed.
"""

from __future__ import annotations

import numpy as np

THRESHOLD = 1e-7


def numerical_gradient(f, x: np.ndarray, dout: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Centred-difference gradient of sum(f(x) * dout) with respect to x.

    ``x`` is changed in place one element at a time and restored, so ``f`` may read
    it through a reference (a layer's own W, say).
    """
    grad = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        keep = x[idx]
        x[idx] = keep + h
        plus = np.sum(f(x) * dout)
        x[idx] = keep - h
        minus = np.sum(f(x) * dout)
        x[idx] = keep
        grad[idx] = (plus - minus) / (2 * h)
    return grad


def relative_error(analytic, numeric) -> float:
    analytic, numeric = np.asarray(analytic, dtype=float), np.asarray(numeric, dtype=float)
    scale = np.max(np.abs(analytic) + np.abs(numeric))
    return 0.0 if scale == 0 else float(np.max(np.abs(analytic - numeric)) / scale)


def gradient_check(layer, x: np.ndarray, seed: int = 0, h: float = 1e-5,
                   threshold: float = THRESHOLD, verbose: bool = True) -> dict[str, float]:
    """Relative errors of dx (and dW, db where the layer has W, b); prints a readout.

    ``layer`` has forward(x) and backward(dout) -> dx, and sets dW and db if it has
    W and b. Returns {"dx": error, ...}.
    """
    x = np.array(x, dtype=float)
    out = layer.forward(x.copy())
    dout = np.random.default_rng(seed).standard_normal(np.shape(out))
    grads = {"dx": layer.backward(dout)}
    grads.update({f"d{p}": getattr(layer, f"d{p}") for p in ("W", "b") if hasattr(layer, p)})
    errors = {"dx": relative_error(grads["dx"], numerical_gradient(layer.forward, x.copy(), dout, h))}
    for p in ("W", "b"):
        if hasattr(layer, p):
            param = getattr(layer, p)
            numeric = numerical_gradient(lambda _: layer.forward(x.copy()), param, dout, h)
            errors[f"d{p}"] = relative_error(grads[f"d{p}"], numeric)
    if verbose:
        for name, err in errors.items():
            verdict = "ok" if err < threshold else "FAILS"
            print(f"{type(layer).__name__}.{name}: relative error {err:.1e}  {verdict}")
        if any(err >= threshold for err in errors.values()):
            print(f"A relative error above {threshold:.0e} means backward disagrees with forward. "
                  "With a max or ReLU, values within h of a tie can fail spuriously: "
                  "try another seed before you debug.")
    return errors
