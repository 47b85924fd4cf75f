"""The learners' mistakes the public checks must name, one row each (see catalogue.py).

A row: ``M(exercise, text of the solution, what the learner wrote, hint, name)``; hint None
for a correct variant, which must pass. A mistake found in a walk-through is one more row.
Only code that is no local edit of the solution is a ``Source`` below, with its reason.
"""

from __future__ import annotations

from catalogue import NOT_IMPLEMENTED, SOLUTION, STUB, Mistake as M, Source

STRIDE = "vert_start = h * stride"
BATCH = "index the batch with the loop's i"
IN_PLACE = "changed its input"
FLOOR = "take the floor with int() or //"
PAD = "((0, 0), (pad, pad), (pad, pad), (0, 0))"
WINDOW = "[i, vert_start:vert_end, horiz_start:horiz_end, c]"

A1 = [
    M("zero_pad", "constant_values=0)", 'constant_values=0)\nX *= 0  # "cleaning up" the input', IN_PLACE,
      "writes-into-X"),
    M("zero_pad", f"np.pad(X, {PAD}, mode=\"constant\", constant_values=0)", "np.pad(X, pad)",
      "pad only the height and width axes", "pads-every-axis"),
    M("zero_pad", SOLUTION, STUB, "zero_pad " + NOT_IMPLEMENTED, "stub"),
    M("zero_pad", SOLUTION, "X_pad = None", NOT_IMPLEMENTED, "returns-None"),

    M("conv_single_step", "np.sum(s) + b.item()", "np.sum(s + b)", "b was added to every element before the sum",
      "bias-in-sum"),
    M("conv_single_step", "b.item()", "float(b)", "use b.item()", "float(b)"),
    M("conv_single_step", SOLUTION, STUB, "conv_single_step " + NOT_IMPLEMENTED, "stub"),
    M("conv_single_step", SOLUTION, "Z = None", NOT_IMPLEMENTED, "returns-None"),
    M("conv_single_step", "b.item()", "b[0, 0, 0]", None, "np.float64"),
    M("conv_single_step", "Z = np.sum(s) + b.item()", "Z = float(np.sum(s) + b.item())", None, "python-float"),

    M("conv_forward", "conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])",
      "np.sum(a_slice_prev * W[:, :, :, c] + b[:, :, :, c])", "b was added to every element of the window",
      "bias-in-sum"),
    M("conv_forward", ("h * stride", "w * stride"), ("h", "w"), STRIDE, "ignores-stride"),
    M("conv_forward", ("(n_H_prev + 2 * pad - f)", "(n_W_prev + 2 * pad - f)"), ("(n_H_prev - f)", "(n_W_prev - f)"),
      "n_H = floor((n_H_prev + 2*pad - f) / stride) + 1", "size-without-2pad"),
    M("conv_forward", ("n_H_prev + 2 * pad - f) // stride", "n_W_prev + 2 * pad - f) // stride"),
      ("n_H_prev + 2 * pad - f) / stride", "n_W_prev + 2 * pad - f) / stride"), FLOOR, "size-true-division"),
    M("conv_forward", "a_prev_pad = A_prev_pad[i]", "a_prev_pad = A_prev[i]", "slice the padded input A_prev_pad",
      "slices-A_prev"),
    M("conv_forward", "A_prev_pad[i]", "A_prev_pad[0]", BATCH, "example-0"),
    M("conv_forward", ("zero_pad(A_prev, pad)", "Z[i, h, w, c] = conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])"),
      ("zero_pad(A_prev, pad) if pad > 0 else A_prev",
       "a_slice_prev *= W[:, :, :, c]\nZ[i, h, w, c] = np.sum(a_slice_prev) + b[0, 0, 0, c]"),
      IN_PLACE, "writes-into-A_prev"),
    M("conv_forward", SOLUTION, STUB, "conv_forward " + NOT_IMPLEMENTED, "stub"),
    M("conv_forward", "return Z, cache", "return None", NOT_IMPLEMENTED, "returns-None"),

    M("pool_forward", ("h * stride", "w * stride"), ("h", "w"), STRIDE, "ignores-stride"),
    M("pool_forward", ("(n_H_prev - f) // stride + 1", "(n_W_prev - f) // stride + 1", "if mode == \"max\":"),
      ("n_H_prev - f + 1", "n_W_prev - f + 1", "if a_prev_slice.size == 0:\n    continue\nif mode == \"max\":"),
      "n_H = floor((n_H_prev - f) / stride) + 1", "size-without-stride"),
    M("pool_forward", ("n_H_prev - f) // stride", "n_W_prev - f) // stride"),
      ("n_H_prev - f) / stride", "n_W_prev - f) / stride"), FLOOR, "size-true-division"),
    M("pool_forward", WINDOW, WINDOW.replace("[i,", "[0,"), BATCH, "example-0"),
    M("pool_forward", "horiz_end, c]", "horiz_end, :]", "pool each channel on its own", "across-channels"),
    M("pool_forward", "np.mean(a_prev_slice)", "np.sum(a_prev_slice) / f", "divide the window's sum by its f*f cells",
      "average-divides-by-f"),
    M("pool_forward", SOLUTION, STUB, "pool_forward " + NOT_IMPLEMENTED, "stub"),
    M("pool_forward", "return A, cache", "return None", NOT_IMPLEMENTED, "returns-None"),
    M("pool_forward", "np.mean(a_prev_slice)", "np.average(a_prev_slice)", None, "np.average"),

    M("conv_backward", ("h * stride", "w * stride"), ("h", "w"), STRIDE, "ignores-stride"),
    M("conv_backward", "da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]", "da_prev_pad[pad:-pad, pad:-pad, :]",
      "[pad:-pad] is [0:0]", "unpad-[pad:-pad]"),
    M("conv_backward", "    dA_prev[i, :, :, :] = da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]",
      "dA_prev = dA_prev_pad[:, pad:-pad, pad:-pad, :]", "[pad:-pad] is [0:0]", "unpad-[pad:-pad]-at-end"),
    M("conv_backward", "dA_prev_pad[i]", "dA_prev_pad[0]", "da_prev_pad = dA_prev_pad[i]", "da_prev_pad-of-example-0"),
    M("conv_backward", "dA_prev[i, :, :, :]", "dA_prev[0, :, :, :]", BATCH, "unpads-into-example-0"),
    M("conv_backward", ":] += W[", ":] = W[", "use da_prev_pad[window] += ..., not =", "dA_prev-window-assigned"),
    M("conv_backward", "dW[:, :, :, c] +=", "dW[:, :, :, c] =", "from every window: use +=", "dW-assigned"),
    M("conv_backward", "db[:, :, :, c] +=", "db[:, :, :, c] =", "accumulate it with +=", "db-assigned"),
    M("conv_backward", SOLUTION, STUB, "conv_backward " + NOT_IMPLEMENTED, "stub"),
    M("conv_backward", "return dA_prev, dW, db", "return None", NOT_IMPLEMENTED, "returns-None"),

    M("create_mask_from_window", SOLUTION, STUB, "create_mask_from_window " + NOT_IMPLEMENTED, "stub"),
    M("create_mask_from_window", SOLUTION, "mask = None", NOT_IMPLEMENTED, "returns-None"),
    M("create_mask_from_window", "(x == np.max(x))", "(x == np.max(x)).astype(int)", None, "0-1-int"),
    M("create_mask_from_window", "mask = (x == np.max(x))",
      "mask = np.zeros(x.shape, dtype=bool)\nmask[np.unravel_index(np.argmax(x), x.shape)] = True", None,
      "argmax-first-maximum"),

    M("distribute_value", "average = dz / (f_H * f_W)", "average = dz", "every cell got dz itself", "dz-everywhere"),
    M("distribute_value", "average = dz / (f_H * f_W)", "average = dz / f_H", "gets dz / (f_H * f_W)", "divides-by-f_H"),
    M("distribute_value", "average = dz / (f_H * f_W)", "average = dz / (f_H + f_W)", "gets dz / (f_H * f_W)", "divides-by-f_H+f_W"),
    M("distribute_value", SOLUTION, STUB, "distribute_value " + NOT_IMPLEMENTED, "stub"),
    M("distribute_value", "return a", "return None", NOT_IMPLEMENTED, "returns-None"),

    M("pool_backward", ("h * stride", "w * stride"), ("h", "w"), STRIDE, "ignores-stride"),
    M("pool_backward", "+= mask", "= mask", "windows overlap here: accumulate with +=", "max-assigned"),
    M("pool_backward", "+= distribute_value", "= distribute_value", "windows overlap here: accumulate with +=",
      "average-assigned"),
    M("pool_backward", "distribute_value(da, (f, f))", "np.ones((f, f)) * da / f", "by the window's area f*f",
      "average-divides-by-f"),
    M("pool_backward", ("dA_prev = np.zeros(A_prev.shape)", "distribute_value(da, (f, f))"),
      ("dA_prev = np.zeros(A_prev.shape)\nif mode == \"average\":\n    dA /= f * f  # share each gradient once for all",
       "np.ones((f, f)) * da"), IN_PLACE, "modifies-dA"),
    M("pool_backward", (f"dA_prev{WINDOW} += mask", f"dA_prev{WINDOW} += distribute_value"),
      (f"dA_prev{WINDOW.replace('[i,', '[0,')} += mask", f"dA_prev{WINDOW.replace('[i,', '[0,')} += distribute_value"),
      BATCH, "example-0"),
    M("pool_backward", SOLUTION, STUB, "pool_backward " + NOT_IMPLEMENTED, "stub"),
    M("pool_backward", "return dA_prev", "return None", NOT_IMPLEMENTED, "returns-None"),
]

A1_SOURCES = [
    Source("conv_forward", '''\
from numpy.lib.stride_tricks import sliding_window_view


def conv_forward(A_prev, W, b, hparameters):
    f = W.shape[0]
    stride, pad = hparameters["stride"], hparameters["pad"]
    A_prev_pad = np.pad(A_prev, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    windows = sliding_window_view(A_prev_pad, (f, f), axis=(1, 2))[:, ::stride, ::stride]
    Z = np.einsum("mhwcpq,pqcd->mhwd", windows, W) + b.reshape(1, 1, 1, -1)
    return Z, (A_prev, W, b, hparameters)
''', None, "sliding-window-einsum", "vectorised: no loop of the solution is left"),
    Source("pool_forward", '''\
from numpy.lib.stride_tricks import sliding_window_view


def pool_forward(A_prev, hparameters, mode="max"):
    f, stride = hparameters["f"], hparameters["stride"]
    windows = sliding_window_view(A_prev, (f, f), axis=(1, 2))[:, ::stride, ::stride]
    pool = np.max if mode == "max" else np.mean
    return pool(windows, axis=(4, 5)), (A_prev, hparameters)
''', None, "sliding-window", "vectorised: no loop of the solution is left"),
    Source("pool_backward", '''\
def pool_backward(dA, cache, mode="max"):
    # The gradient goes to the first maximum of each window, as frameworks do.
    A_prev, hparameters = cache
    f, stride = hparameters["f"], hparameters["stride"]
    m, n_H, n_W, n_C = dA.shape
    dA_prev = np.zeros(A_prev.shape)
    for i in range(m):
        for h in range(n_H):
            for w in range(n_W):
                for c in range(n_C):
                    rows = slice(h * stride, h * stride + f)
                    cols = slice(w * stride, w * stride + f)
                    if mode == "max":
                        window = A_prev[i, rows, cols, c]
                        p, q = np.unravel_index(np.argmax(window), window.shape)
                        dA_prev[i, h * stride + p, w * stride + q, c] += dA[i, h, w, c]
                    else:
                        dA_prev[i, rows, cols, c] += dA[i, h, w, c] / (f * f)
    return dA_prev
''', None, "argmax-first-maximum", "routes by index arithmetic, without the mask helper or the solution's loop body"),
]

CATALOGUE = {"assignment1": A1 + A1_SOURCES}
