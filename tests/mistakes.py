"""The learners' mistakes the public checks must name, one row each (the harness: catalogue.py).

A mistake found in a walk-through is one more line:

    M("conv_forward", "h * stride", "h", STRIDE, "ignores-vertical-stride"),

that is: the exercise (or "Class.method"), the text of today's solution, what the learner wrote
instead, the hint the check must give (None: a correct variant, which must pass) and a short
name. Tuples make one mistake at several places; SOLUTION stands for the whole solution region
(the released stub is STUB); a Source as last argument makes the mistake in that Source, code
written another way than the solution, instead. Then run python tests/mutation_score.py.
"""

from __future__ import annotations

from catalogue import NOT_IMPLEMENTED, SOLUTION, STUB, Mistake as M, Source, solution_cases, target

STRIDE = "vert_start = h * stride"
BATCH = "index the batch with the loop's i"
IN_PLACE = "changed its input"
FLOOR = "take the floor with int() or //"
PAD = "((0, 0), (pad, pad), (pad, pad), (0, 0))"
WINDOW = "[i, vert_start:vert_end, horiz_start:horiz_end, c]"
CONV_STEP = "conv_single_step(a_slice_prev, W[:, :, :, c], b[:, :, :, c])"
AVERAGE = "average = dz / (f_H * f_W)"

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

    M("conv_forward", CONV_STEP,
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
    M("conv_forward", ("zero_pad(A_prev, pad)", f"Z[i, h, w, c] = {CONV_STEP}"),
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

    M("distribute_value", AVERAGE, "average = dz", "every cell got dz itself", "dz-everywhere"),
    M("distribute_value", AVERAGE, "average = dz / f_H", "gets dz / (f_H * f_W)", "divides-by-f_H"),
    M("distribute_value", AVERAGE, "average = dz / (f_H + f_W)", "gets dz / (f_H * f_W)", "divides-by-f_H+f_W"),
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



# Assignment 2 ---------------------------------------------------------------------------
# Learners write im2col, col2im and Convolution in two forms: one row per window, as the
# source exercise does (the loops and the layer below, each a Source some rows are made in),
# and one column per window, as the solutions do.

IM2COL_LOOP = Source("im2col", """\
def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w), dtype=img.dtype)
    for y in range(filter_h):
        y_end = y + stride * out_h
        for x in range(filter_w):
            x_end = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_end:stride, x:x_end:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)
""", None, "loop", "one row per window, filled by a loop over the window's cells")

COL2IM_LOOP = Source("col2im", """\
def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for y in range(filter_h):
        y_end = y + stride * out_h
        for x in range(filter_w):
            x_end = x + stride * out_w
            img[:, :, y:y_end:stride, x:x_end:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad:pad + H, pad:pad + W]
""", None, "loop", "one row per window, as the source exercise folds it back")

CONV_BY_ROWS = Source("Convolution", """\
class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad
        self.x = self.col = self.col_W = self.dW = self.db = None

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = col @ col_W + self.b
        out = out.reshape(N, out_h, out_w, FN).transpose(0, 3, 1, 2)
        self.x, self.col, self.col_W = x, col, col_W
        return out

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = (self.col.T @ dout).T.reshape(FN, C, FH, FW)
        dcol = dout @ self.col_W.T
        dx = col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)
        return dx
""", None, "@", "one row per window (col @ col_W), as the source exercise writes the layer")

DOUT_ORDER = "dout.transpose(0, 2, 3, 1)"
DOUT_FILTER_ORDER = "dout.transpose(1, 0, 2, 3)"
TO_NCHW = ".reshape(N, out_h, out_w, FN).transpose(0, 3, 1, 2)"
FILTER_ROWS_OUT = ".reshape(FN, N, out_h, out_w).transpose(1, 0, 2, 3)"
DMAX = "[np.arange(self.arg_max.size), self.arg_max] = dout.ravel()"
AVG_MEAN = "np.mean(col, axis=1)"
DCOL_ROWS = "dout.shape[0] * dout.shape[1] * dout.shape[2], -1"

MAXPOOL_ROWS = Source("MaxPool", """\
class MaxPool:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        # Kept by forward for backward.
        self.x = None
        self.arg_max = None

    def forward(self, x):
        N, C, H, W = x.shape
        p = self.pad
        out_h = (H + 2 * p - self.pool_h) // self.stride + 1
        out_w = (W + 2 * p - self.pool_w) // self.stride + 1
        x_pad = np.pad(x.astype(float, copy=False), ((0, 0), (0, 0), (p, p), (p, p)),
                       constant_values=-np.inf)
        col = im2col(x_pad, self.pool_h, self.pool_w, self.stride, 0)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        self.arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        self.x = x
        return out

    def backward(self, dout):
        N, C, H, W = self.x.shape
        p = self.pad
        size = self.pool_h * self.pool_w
        dout = dout.transpose(0, 2, 3, 1)
        dmax = np.zeros((dout.size, size))
        dmax[np.arange(self.arg_max.size), self.arg_max] = dout.ravel()
        dcol = dmax.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        dx_pad = col2im(dcol, (N, C, H + 2 * p, W + 2 * p), self.pool_h, self.pool_w, self.stride, 0)
        dx = dx_pad[:, :, p:p + H, p:p + W]
        return dx
""", None, "rows-argmax", "the book's form, one row of col per window and channel, with argmax; "
                                 "the solution pools by columns")
AVGPOOL_ROWS = Source("AvgPool", """\
class AvgPool:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad
        # Kept by forward for backward.
        self.x = None

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = (H + 2 * self.pad - self.pool_h) // self.stride + 1
        out_w = (W + 2 * self.pad - self.pool_w) // self.stride + 1
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        out = np.mean(col, axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)
        self.x = x
        return out

    def backward(self, dout):
        size = self.pool_h * self.pool_w
        dout = dout.transpose(0, 2, 3, 1)
        dcol = np.repeat(dout.reshape(-1, 1) / size, size, axis=1)
        dcol = dcol.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        dx = col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)
        return dx
""", None, "rows", "the book's form, one row of col per window and channel; the solution pools by columns")

A2 = [
    M("im2col", "transpose(0, 4, 5, 1, 2, 3)", "transpose(0, 4, 5, 2, 3, 1)", "columns go (c, y, x)",
      "columns-(y,x,c)", IM2COL_LOOP),
    M("im2col", "transpose(0, 4, 5, 1, 2, 3)", "transpose(0, 5, 4, 1, 2, 3)", "they go (n, i, j)",
      "rows-(n,j,i)", IM2COL_LOOP),
    M("im2col", ("y:y_end:stride", "x:x_end:stride"), ("y:y + out_h", "x:x + out_w"),
      "move each window by the stride", "ignores-stride", IM2COL_LOOP),
    M("im2col", "= img[:, :, y:y_end", "= input_data[:, :, y:y_end", "pad the height and width first",
      "ignores-padding", IM2COL_LOOP),
    M("im2col", ", dtype=img.dtype)", ")", None, "float-buffer", IM2COL_LOOP),
    M("im2col", "np.pad(input_data, ((0, 0), (0, 0), (pad, pad), (pad, pad)))", "input_data",
      "pad the height and width first", "sliding-window-ignores-padding"),
    M("im2col", SOLUTION, STUB, "im2col " + NOT_IMPLEMENTED, "stub"),
    M("im2col", SOLUTION, "col = None", "im2col " + NOT_IMPLEMENTED, "returns-None"),
    M("im2col", ".reshape(C * filter_h * filter_w, -1).T", ".reshape(C * filter_h * filter_w, -1)",
      "becomes the matrix with .T", "by-columns-no-.T"),
    M("im2col", "transpose(1, 4, 5, 0, 2, 3)", "transpose(4, 5, 1, 0, 2, 3)", "columns go (c, y, x)",
      "by-columns-(y,x,c)"),
    M("im2col", "transpose(1, 4, 5, 0, 2, 3)", "transpose(1, 4, 5, 0, 3, 2)", "they go (n, i, j)",
      "by-columns-rows-(n,j,i)"),
    M("im2col", "windows[:, :, ::stride, ::stride]", "windows", "move each window by the stride",
      "by-columns-ignores-stride"),
    M("im2col", "windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * filter_h * filter_w, -1).T",
      "windows.reshape(-1, C * filter_h * filter_w)", "(C, filter_h, filter_w, N, out_h, out_w)",
      "windows-reshaped-without-transpose"),
    M("im2col", "windows.transpose(1, 4, 5, 0, 2, 3).reshape(C * filter_h * filter_w, -1).T",
      "windows.transpose(0, 2, 3, 1, 4, 5).reshape(-1, C * filter_h * filter_w)", None, "sliding_window_view"),

    M("col2im", "] += col[", "] = col[", "add with +=", "assigns-not-adds", COL2IM_LOOP),
    M("col2im", "return img[:, :, pad:pad + H, pad:pad + W]", "return img", "cut the padding off",
      "keeps-padding", COL2IM_LOOP),
    M("col2im", ("y:y_end:stride", "x:x_end:stride"), ("y:y + out_h", "x:x + out_w"),
      "move each window's values back by the stride", "ignores-stride", COL2IM_LOOP),
    M("col2im", SOLUTION, STUB, "col2im " + NOT_IMPLEMENTED, "stub"),
    M("col2im", SOLUTION, "img = None", "col2im " + NOT_IMPLEMENTED, "returns-None"),
    M("col2im", "] += blocks[", "] = blocks[", "add with +=", "by-columns-assigns-not-adds"),
    M("col2im", "].transpose(1, 0, 2, 3)", "]", "transpose(1, 0, 2, 3) at the end", "by-columns-batch-second"),
    M("col2im", "col.T.reshape", "col.reshape", "split col.T, not col", "by-columns-without-.T"),
    M("col2im", ("y_end = y + stride * out_h", "x_end = x + stride * out_w"),
      ("y_end = y + out_h", "x_end = x + out_w"),
      "y_end = y + stride*out_h", "by-columns-slice-end-without-stride"),
    M("col2im", ("np.zeros((C, N,", "].transpose(1, 0, 2, 3)"), ("np.zeros((N, C,", "]"),
      "an image kept as (C, N, H + 2*pad, W + 2*pad)", "by-columns-image-batch-first"),
    M("col2im", "img[:, :, pad:pad + H, pad:pad + W]", "img[:, :, pad:-pad, pad:-pad]", "[pad:-pad] is [0:0]",
      "by-columns-crop-[pad:-pad]"),
    M("col2im", ("(H + 2 * pad - filter_h)", "(W + 2 * pad - filter_w)"), ("(H - filter_h)", "(W - filter_w)"),
      "out_h = (H + 2*pad - filter_h)//stride + 1 = 3", "by-columns-out_h-without-pad"),

    M("Convolution.forward", TO_NCHW, ".reshape(N, out_h, out_w, FN)", "transpose(0, 3, 1, 2)", "channels-last",
      CONV_BY_ROWS),
    M("Convolution.forward", TO_NCHW, ".reshape(N, FN, out_h, out_w)", "transpose(0, 3, 1, 2)",
      "reshape-without-transpose", CONV_BY_ROWS),
    M("Convolution.forward", "self.stride, self.pad)",
      'self.stride, self.pad)\nx[...] = 0  # "free" the input: backward only needs its shape',
      IN_PLACE, "forward-modifies-x", CONV_BY_ROWS),
    M("Convolution.backward", "np.sum(dout, axis=0)", "np.sum(dout, axis=1)", "one number per filter", "db-axis-1",
      CONV_BY_ROWS),
    M("Convolution.backward", "np.sum(dout, axis=0)", "np.full(FN, np.sum(dout))", "one number per filter",
      "db-sum-of-everything", CONV_BY_ROWS),
    M("Convolution.backward", "dout).T.reshape", "dout).reshape", "check the transpose", "dW-without-transpose",
      CONV_BY_ROWS),
    M("Convolution.backward", ".T.reshape(FN, C, FH, FW)", ".T.reshape(FN, FH, FW, C).transpose(0, 3, 1, 2)",
      "check the transpose", "dW-reshaped-as-(y,x,c)", CONV_BY_ROWS),
    M("Convolution.backward", ".T.reshape(FN, C, FH, FW)", ".T", "reshape(FN, C, FH, FW)", "dW-not-reshaped",
      CONV_BY_ROWS),
    M("Convolution.backward", "dout.transpose(0, 2, 3, 1).reshape", "dout.reshape", DOUT_ORDER,
      "dout-not-rearranged", CONV_BY_ROWS),
    M("Convolution.backward", ("dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)", "self.db = np.sum(dout, axis=0)"),
      ("self.db = np.sum(dout, axis=(0, 2, 3))\ndout = dout.reshape(-1, FN)", "pass"), DOUT_ORDER,
      "dout-not-rearranged-db-right", CONV_BY_ROWS),
    M("Convolution.backward", "self.dW = (", "dW = (", "backward did not set self.dW", "dW-not-stored", CONV_BY_ROWS),
    M("Convolution.backward", "return dx", "self.W -= 0.01 * self.dW  # a gradient step, \"while we are at it\"\n"
      "self.b -= 0.01 * self.db\nreturn dx", "W and b stay as they are", "backward-updates-W", CONV_BY_ROWS),
    M("Convolution.__init__", "self.W = W", STUB, "Convolution " + NOT_IMPLEMENTED, "__init__-stub"),
    M("Convolution.forward", SOLUTION, STUB, "Convolution.forward " + NOT_IMPLEMENTED, "forward-stub"),
    M("Convolution.backward", SOLUTION, STUB, "Convolution.backward " + NOT_IMPLEMENTED, "backward-stub"),
    M("Convolution.forward", SOLUTION, "out = None", "Convolution.forward " + NOT_IMPLEMENTED, "forward-returns-None"),
    M("Convolution.backward", SOLUTION, "dx = None", "Convolution.backward " + NOT_IMPLEMENTED,
      "backward-returns-None"),
    M("Convolution.forward", FILTER_ROWS_OUT, ".reshape(FN, N, out_h, out_w)", "transpose(1, 0, 2, 3)",
      "filter-rows-batch-second"),
    M("Convolution.forward", FILTER_ROWS_OUT, ".reshape(N, FN, out_h, out_w)", "transpose(1, 0, 2, 3)",
      "filter-rows-reshape-without-transpose"),
    M("Convolution.forward", "self.b[:, None]", "self.b", "b[:, None]", "filter-rows-bias-as-row"),
    M("Convolution.backward", "dout.transpose(1, 0, 2, 3).reshape", "dout.reshape", DOUT_FILTER_ORDER,
      "filter-rows-dout-not-rearranged"),
    M("Convolution.backward", "np.sum(dout, axis=1)", "np.sum(dout, axis=0)", "one number per filter",
      "filter-rows-db-axis-0"),
    M("Convolution.backward", "(dout @ self.col).reshape", "(dout @ self.col).T.reshape", "check the transpose",
      "filter-rows-dW-transposed"),
    M("Convolution.backward", "dcol = (self.W.reshape(FN, -1).T @ dout).T", "dcol = self.W.reshape(FN, -1).T @ dout",
      "dcol", "filter-rows-dcol-not-transposed"),
    M("Convolution.forward", "im2col(x, FH, FW, self.stride, self.pad)", "im2col(x, FH, FW)",
      "pass the layer's stride and pad to im2col", "filter-rows-im2col-without-stride-and-pad"),
    M("Convolution.forward", "@ col.T", "@ col", "out = W.reshape(FN, -1) @ col.T", "filter-rows-col-not-transposed"),
    M("Convolution.backward", "col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)",
      "col2im(dcol, self.x.shape, FH, FW)", "the layer's stride and pad",
      "filter-rows-col2im-without-stride-and-pad"),
    M("Convolution", ("self.W.reshape(FN, -1) @ col.T", "(dout @ self.col)", "(self.W.reshape(FN, -1).T @ dout).T"),
      ("np.dot(self.W.reshape(FN, -1), col.T)", "np.dot(dout, self.col)", "np.dot(self.W.reshape(FN, -1).T, dout).T"),
      None, "np.dot"),

    # Pooling by columns, as the solution does (windows = col.T.reshape(C, pool_h*pool_w, -1)).
    M("MaxPool.forward", "out = out.reshape(C, N, out_h, out_w).transpose(1, 0, 2, 3)",
      "out = out.reshape(N, C, out_h, out_w)", "transpose(1, 0, 2, 3)", "by-columns-reshape-without-transpose"),
    M("MaxPool.backward", "dout.transpose(1, 0, 2, 3).reshape(C, 1, -1)", "dout.reshape(C, 1, -1)",
      DOUT_FILTER_ORDER, "by-columns-dout-not-rearranged"),
    M("AvgPool.backward", "dout.transpose(1, 0, 2, 3).reshape(C, 1, -1)", "dout.reshape(C, 1, -1)",
      DOUT_FILTER_ORDER, "by-columns-dout-not-rearranged"),
    # Pooling by rows, as the book does (col.reshape(-1, pool_h*pool_w)): made in the Sources above.
    M("MaxPool.forward", "col = col.reshape(-1, self.pool_h * self.pool_w)", "col = col",
      "col.reshape(-1, pool_h * pool_w) before the max", "max-of-whole-row",
      base=MAXPOOL_ROWS),
    M("MaxPool.forward", "np.max(col, axis=1)",
      "np.repeat(np.max(col.reshape(-1, C * self.pool_h * self.pool_w), axis=1), C)",
      "every channel got the same value", "max-across-channels",
      base=MAXPOOL_ROWS),
    M("MaxPool.forward", "np.max(col, axis=1)", "np.max(col.reshape(-1, C, self.pool_h * self.pool_w), axis=1)",
      "col.reshape(-1, pool_h * pool_w) before the max", "max-over-channel-axis",
      base=MAXPOOL_ROWS),
    M("MaxPool.forward", "constant_values=-np.inf", "constant_values=0", "pad x with -np.inf", "zero-padding",
      base=MAXPOOL_ROWS),
    M("MaxPool.forward", ".reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)", ".reshape(N, C, out_h, out_w)",
      "transpose(0, 3, 1, 2)", "reshape-without-transpose",
      base=MAXPOOL_ROWS),
    M("MaxPool.backward", ("dout = dout.transpose(0, 2, 3, 1)", DCOL_ROWS), ("dout = dout", "-1, C * size"), DOUT_ORDER,
      "dout-not-rearranged",
      base=MAXPOOL_ROWS),
    M("MaxPool.backward", DMAX, "[:, :] = dout.reshape(-1, 1)", "goes to its window's maximum only",
      "dout-to-whole-window",
      base=MAXPOOL_ROWS),
    M("MaxPool.backward", DMAX, "[:, self.arg_max] = dout.reshape(-1, 1)", "goes to its window's maximum only",
      "dmax[:, arg_max]",
      base=MAXPOOL_ROWS),
    M("MaxPool.backward", "dx_pad[:, :, p:p + H, p:p + W]", "dx_pad[:, :, p:-p, p:-p]", "[pad:-pad] is [0:0]",
      "dx-crop-[p:-p]",
      base=MAXPOOL_ROWS),
    M("MaxPool.backward", "dx = dx_pad[:, :, p:p + H, p:p + W]", "dx = dx_pad", "cut the padding off",
      "dx-keeps-padding",
      base=MAXPOOL_ROWS),
    M("MaxPool.forward", SOLUTION, STUB, "MaxPool.forward " + NOT_IMPLEMENTED, "forward-stub"),
    M("MaxPool.backward", SOLUTION, STUB, "MaxPool.backward " + NOT_IMPLEMENTED, "backward-stub"),
    M("MaxPool.backward", SOLUTION, "dx = None", "MaxPool.backward " + NOT_IMPLEMENTED, "backward-returns-None"),
    M("MaxPool.forward", "x.astype(float, copy=False)", "np.asarray(x, dtype=float)", None, "float-input",
      base=MAXPOOL_ROWS),

    M("AvgPool.backward", "dout.reshape(-1, 1) / size", "dout.reshape(-1, 1)", "dout / (pool_h * pool_w)",
      "backward-not-divided",
      base=AVGPOOL_ROWS),
    M("AvgPool.forward", AVG_MEAN, "(np.sum(col, axis=1) / self.pool_h)",
      "divide by the full window area pool_h * pool_w", "divides-by-pool_h",
      base=AVGPOOL_ROWS),
    M("AvgPool.forward", AVG_MEAN, "(col.sum(axis=1) / im2col(np.ones_like(x), self.pool_h, self.pool_w, self.stride, "
      "self.pad).reshape(-1, self.pool_h * self.pool_w).sum(axis=1))",
      "the zero padding counts in the average", "padding-not-counted",
      base=AVGPOOL_ROWS),
    M("AvgPool.backward", ("dout = dout.transpose(0, 2, 3, 1)", DCOL_ROWS), ("dout = dout", "-1, dout.shape[1] * size"),
      DOUT_ORDER, "dout-not-rearranged",
      base=AVGPOOL_ROWS),
    M("AvgPool.forward", SOLUTION, STUB, "AvgPool.forward " + NOT_IMPLEMENTED, "forward-stub"),
    M("AvgPool.backward", SOLUTION, STUB, "AvgPool.backward " + NOT_IMPLEMENTED, "backward-stub"),
    M("AvgPool.forward", SOLUTION, "out = None", "AvgPool.forward " + NOT_IMPLEMENTED, "forward-returns-None"),
    M("AvgPool", (AVG_MEAN, "np.repeat(dout.reshape(-1, 1) / size, size, axis=1)"),
      ("np.average(col, axis=1)", "np.ones((dout.size, size)) * dout.reshape(-1, 1) / size"), None,
      "np.average-ones",
      base=AVGPOOL_ROWS),
    M("AvgPool.forward", SOLUTION, """\
s, p = self.stride, self.pad
x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
windows = np.lib.stride_tricks.sliding_window_view(x_pad, (self.pool_h, self.pool_w), axis=(2, 3))
out = windows[:, :, ::s, ::s].mean(axis=(4, 5))
self.x = x""", None, "sliding-window-mean"),
]

A2_SOURCES = [
    IM2COL_LOOP, COL2IM_LOOP, CONV_BY_ROWS, MAXPOOL_ROWS, AVGPOOL_ROWS,
    Source("col2im", """\
def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    blocks = col.reshape(N, out_h, out_w, C, filter_h, filter_w)
    rows = (np.arange(out_h) * stride)[:, None, None, None] + np.arange(filter_h)[None, None, :, None]
    cols = (np.arange(out_w) * stride)[None, :, None, None] + np.arange(filter_w)[None, None, None, :]
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad))
    for n in range(N):
        for c in range(C):
            np.add.at(img[n, c], (rows, cols), blocks[n, :, :, c])
    return img[:, :, pad:pad + H, pad:pad + W]
""", None, "np.add.at", "adds every window at once by index arrays, no loop over the window's cells"),
    Source("Convolution", """\
class Convolution:
    # No im2col at all: windows from sliding_window_view, contracted with tensordot.
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad
        self.x = self.windows = self.dW = self.db = None

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        s, p = self.stride, self.pad
        self.x = x
        x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
        self.windows = np.lib.stride_tricks.sliding_window_view(x_pad, (FH, FW), axis=(2, 3))[:, :, ::s, ::s]
        out = np.tensordot(self.windows, self.W, axes=([1, 4, 5], [1, 2, 3]))  # (N, oh, ow, FN)
        return np.moveaxis(out + self.b, 3, 1)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        N, _, H, W = self.x.shape
        s, p = self.stride, self.pad
        self.db = np.sum(dout, axis=(0, 2, 3))
        self.dW = np.tensordot(dout, self.windows, axes=([0, 2, 3], [0, 2, 3]))
        dwin = np.tensordot(dout, self.W, axes=([1], [0]))  # (N, oh, ow, C, FH, FW)
        dx_pad = np.zeros((N, C, H + 2 * p, W + 2 * p))
        for y in range(FH):
            for x in range(FW):
                dx_pad[:, :, y:y + s * dout.shape[2]:s, x:x + s * dout.shape[3]:s] += \\
                    np.moveaxis(dwin[..., y, x], 3, 1)
        return dx_pad[:, :, p:p + H, p:p + W]
""", None, "sliding-window-tensordot", "vectorised without im2col: both methods written another way"),
    Source("MaxPool", """\
class MaxPool:
    # The gradient goes to every cell equal to its window's max (no ties in the public data).
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad
        self.x = self.col = None

    def forward(self, x):
        N, C, H, W = x.shape
        p = self.pad
        out_h = (H + 2 * p - self.pool_h) // self.stride + 1
        out_w = (W + 2 * p - self.pool_w) // self.stride + 1
        x_pad = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=-np.inf)
        self.col = im2col(x_pad, self.pool_h, self.pool_w, self.stride, 0).reshape(-1, self.pool_h * self.pool_w)
        self.x = x
        return self.col.max(axis=1).reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        N, C, H, W = self.x.shape
        p = self.pad
        mask = self.col == self.col.max(axis=1, keepdims=True)
        dcol = mask * dout.transpose(0, 2, 3, 1).reshape(-1, 1)
        dcol = dcol.reshape(-1, C * self.pool_h * self.pool_w)
        dx_pad = col2im(dcol, (N, C, H + 2 * p, W + 2 * p), self.pool_h, self.pool_w, self.stride, 0)
        return dx_pad[:, :, p:p + H, p:p + W]
""", None, "mask", "a mask kept from forward instead of argmax: both methods written another way"),
]

# Assignment 3 ---------------------------------------------------------------------------

GRADS = 'grads = {"W1": conv.dW, "b1": conv.db, "W2": dense.dW, "b2": dense.db}'
RELU_OUT = "out = np.where(self.mask, 0.0, x)"
RELU_DX = "dx = np.where(self.mask, 0.0, dout)"
LOSS = "loss = -np.mean(log_probs[np.arange(len(labels)), labels])"
LABEL_PROBS = "self.probs[np.arange(len(labels)), labels]"
STEP = "velocity[k] = momentum * velocity[k] - lr * grads[k]"

A3 = [
    M("Relu.backward", RELU_DX, 'dx = dout  # "the derivative of max(x, 0) is 1"',
      "the gradient went through everywhere",
      "backward-passes-everything"),
    M("Relu", (RELU_OUT, RELU_DX), (RELU_OUT.replace("out =", "out = self.out ="), "dx = self.out"),
      "backward returned forward's output", "backward-returns-out"),
    M("Relu.forward", RELU_OUT, "x[self.mask] = 0\nout = x", "Relu.forward " + IN_PLACE, "forward-writes-into-x"),
    M("Relu.backward", RELU_DX, "dout[self.mask] = 0\ndx = dout", "Relu.backward " + IN_PLACE,
      "backward-writes-into-dout"),
    M("Relu.forward", SOLUTION, STUB, "Relu.forward " + NOT_IMPLEMENTED, "forward-stub"),
    M("Relu.backward", SOLUTION, STUB, "Relu.backward " + NOT_IMPLEMENTED, "backward-stub"),
    M("Relu.forward", RELU_OUT, "out = None", "Relu.forward " + NOT_IMPLEMENTED, "forward-returns-None"),
    M("Relu.backward", SOLUTION, "dx = None", "Relu.backward " + NOT_IMPLEMENTED, "backward-returns-None"),
    M("Relu", ("x <= 0\n", RELU_OUT, RELU_DX), ("x > 0\n", "out = np.maximum(x, 0)", "dx = dout * self.mask"), None,
      "np.maximum-mask-multiply"),
    M("Relu", "self.mask = x <= 0", "self.mask = x < 0", None, "mask-x<0"),
    M("Relu", (RELU_OUT, RELU_DX), ("out = x.copy()\nout[self.mask] = 0", "dx = dout.copy()\ndx[self.mask] = 0"), None,
      "copy-then-mask"),

    M("Dense", "(dout @ self.W.T).reshape(self.x_shape)", "dout @ self.W.T", "give dx the shape forward's x had",
      "dx-not-reshaped"),
    M("Dense", "self.x2.T @ dout", "dout.T @ self.x2", "not dout.T @ x2", "dW-transposed"),
    M("Dense", "np.sum(dout, axis=0)", "np.sum(dout, axis=1)", "summed over the examples (axis 0)", "db-axis-1"),
    M("Dense", "x.reshape(x.shape[0], -1)", "x", "x.reshape(N, -1)", "forward-not-flattened"),
    M("Dense", "dx = (dout @ self.W.T).reshape(self.x_shape)", "dx = (dout @ self.W.T).reshape(self.x_shape)\n"
      "self.W -= 0.01 * self.dW  # a gradient step, \"while we are at it\"\nself.b -= 0.01 * self.db",
      "W and b stay as they are", "backward-updates-W"),
    M("Dense", "self.dW = self.x2.T", "dW = self.x2.T", "backward did not set self.dW", "dW-not-stored"),
    M("Dense.forward", SOLUTION, STUB, "Dense.forward " + NOT_IMPLEMENTED, "forward-stub"),
    M("Dense.backward", SOLUTION, STUB, "Dense.backward " + NOT_IMPLEMENTED, "backward-stub"),
    M("Dense", ("self.x2 @ self.W", "self.x2.T @ dout", "dout @ self.W.T"),
      ("np.dot(self.x2, self.W)", "np.dot(self.x2.T, dout)", "np.dot(dout, self.W.T)"), None, "np.dot"),
    M("Dense", ("self.x2 @ self.W", "self.x2.T @ dout", "np.sum(dout, axis=0)", "dout @ self.W.T"),
      ('np.einsum("nd,dk->nk", self.x2, self.W)', 'np.einsum("nd,nk->dk", self.x2, dout)', 'np.einsum("nk->k", dout)',
       'np.einsum("nk,dk->nd", dout, self.W)'), None, "einsum"),

    M("SoftmaxCrossEntropy", "scores - np.max(scores, axis=1, keepdims=True)", "scores", "subtract each row's maximum",
      "no-max-subtraction"),
    M("SoftmaxCrossEntropy", LOSS, f"loss = -np.mean(np.log({LABEL_PROBS}))", "not np.log(probs)", "log-of-probs"),
    M("SoftmaxCrossEntropy", LOSS, f"loss = -np.mean(np.log(np.clip({LABEL_PROBS}, 1e-12, None)))",
      "not np.log(probs)", "log-of-clipped-probs"),
    M("SoftmaxCrossEntropy", "-np.mean(log_probs", "-np.sum(log_probs", "the mean over the batch, not the sum",
      "loss-summed"),
    M("SoftmaxCrossEntropy", "dscores * dout / N", "dscores * dout", "divide by the batch size N",
      "backward-not-divided-by-N"),
    M("SoftmaxCrossEntropy", "dscores * dout / N", "dscores / N", "multiply by dout", "backward-ignores-dout"),
    M("SoftmaxCrossEntropy", ("self.probs = np.exp(log_probs)", "dscores = self.probs.copy()"),
      ("self.log_probs = log_probs", "dscores = np.exp(self.log_probs)"), "forward did not keep self.probs",
      "probs-not-stored"),
    M("SoftmaxCrossEntropy", "self.probs = np.exp(log_probs)", "self.probs = log_probs",
      "self.probs holds log-probabilities", "probs-are-log-probs"),
    M("SoftmaxCrossEntropy.forward", SOLUTION, STUB, "SoftmaxCrossEntropy.forward " + NOT_IMPLEMENTED, "forward-stub"),
    M("SoftmaxCrossEntropy.backward", SOLUTION, STUB, "SoftmaxCrossEntropy.backward " + NOT_IMPLEMENTED,
      "backward-stub"),
    M("SoftmaxCrossEntropy", "return float(loss)", "return None", "SoftmaxCrossEntropy.forward " + NOT_IMPLEMENTED,
      "forward-returns-None"),

    M("SimpleCNN.predict", "for layer in self.layers:", "for layer in reversed(self.layers):",
      "in order, first to last",
      "predict-reversed"),
    M("SimpleCNN.predict", "x = layer.forward(x)", "layer.forward(x)", "taking the output of the one before",
      "predict-not-chained"),
    M("SimpleCNN.gradient", "in reversed(self.layers):", "in self.layers:", "in reverse order, last to first",
      "backward-in-forward-order"),
    M("SimpleCNN", "dout = self.loss_layer.backward()", "dout = 1.0", "start with dout = self.loss_layer.backward()",
      "backward-from-1.0"),
    M("SimpleCNN", "dout = self.loss_layer.backward()", "dout = scores", "dout started as the scores",
      "backward-from-scores"),
    M("SimpleCNN", "self.loss_layer.backward()", "self.loss_layer.backward(loss)",
      "self.loss_layer.backward() was given the loss", "loss_layer.backward(loss)"),
    M("SimpleCNN", "conv, dense = self.layers[0], self.layers[3]",
      "dense, conv = self.layers[0], self.layers[3]  # the wrong way round", "check which layer's gradient it is",
      "grads-swapped"),
    M("SimpleCNN", "return loss, grads", "return grads", "return loss, grads", "returns-grads-only"),
    M("SimpleCNN", GRADS, GRADS + '\nfor key in self.params:  # a gradient step, "while we are at it"\n'
      "    self.params[key] -= 0.01 * grads[key]", "it updates nothing", "gradient-updates"),
    M("SimpleCNN.predict", SOLUTION, STUB, "SimpleCNN.predict " + NOT_IMPLEMENTED, "predict-stub"),
    M("SimpleCNN.gradient", SOLUTION, STUB, "SimpleCNN.gradient " + NOT_IMPLEMENTED, "gradient-stub"),

    M("sgd_step", "params[k] += velocity[k]", "params[k] = params[k] + velocity[k]", "update in place",
      "rebinds-params"),
    M("sgd_step", "if velocity is None:\n        velocity =", "velocity =", "ignored the velocity of step 1",
      "velocity-reset"),
    M("sgd_step", "- lr * grads[k]", "+ lr * grads[k]", "went up the gradient", "momentum-sign"),
    M("sgd_step", "momentum * velocity[k] - lr", "-lr", "ignored the velocity of step 1", "ignores-momentum"),
    M("sgd_step", "momentum * velocity[k] - lr", "velocity[k] - lr", "scale the old velocity by momentum",
      "velocity-unscaled"),
    M("sgd_step", "return velocity", "return None", "sgd_step " + NOT_IMPLEMENTED, "returns-None"),
    M("sgd_step", SOLUTION, STUB, "sgd_step " + NOT_IMPLEMENTED, "stub"),
    M("sgd_step", "params[k] += velocity[k]", "np.add(params[k], velocity[k], out=params[k])", None, "np.add-out"),
    M("sgd_step", (STEP, "params[k] += velocity[k]"),
      (STEP.replace("- lr", "+ lr"), "params[k] -= velocity[k]  # the other sign convention: the same steps"), None,
      "-=-other-sign"),
    M("sgd_step", SOLUTION, """\
velocity = velocity or {k: 0.0 for k in params}
new_velocity = {}
for k in params:
    new_velocity[k] = momentum * velocity[k] - lr * grads[k]
    params[k][...] = params[k] + new_velocity[k]
velocity = new_velocity""", None, "[...]-assign"),
]

SIMPLE_CNN_BY_NAME = Source("SimpleCNN", """\
class SimpleCNN:
    def __init__(self, params):
        self.params = params
        self.layers = [Convolution(params["W1"], params["b1"], stride=1, pad=1), Relu(), MaxPool(2, 2, stride=2),
                       Dense(params["W2"], params["b2"])]
        self.loss_layer = SoftmaxCrossEntropy()

    def predict(self, x):
        conv, relu, pool, dense = self.layers
        return dense.forward(pool.forward(relu.forward(conv.forward(x))))

    def gradient(self, x, labels):
        conv, relu, pool, dense = self.layers
        loss = self.loss_layer.forward(self.predict(x), labels)
        d = dense.backward(self.loss_layer.backward(1.0))
        conv.backward(relu.backward(pool.backward(d)))
        return loss, {"W1": conv.dW, "b1": conv.db, "W2": dense.dW, "b2": dense.db}
""", None, "layers-by-name", "the layers called by name, no loop: both methods written another way")

A3_SOURCES = [
    Source("SoftmaxCrossEntropy", """\
class SoftmaxCrossEntropy:
    # log-sum-exp written out: the maximum added back, probabilities from scores - logsumexp.
    def __init__(self):
        self.probs = self.labels = None

    def forward(self, scores, labels):
        top = scores.max(axis=1, keepdims=True)
        lse = top + np.log(np.exp(scores - top).sum(axis=1, keepdims=True))
        self.probs = np.exp(scores - lse)
        self.labels = labels
        return float(np.mean(lse[:, 0] - scores[np.arange(len(labels)), labels]))

    def backward(self, dout=1.0):
        one_hot = np.zeros_like(self.probs)
        one_hot[np.arange(len(self.labels)), self.labels] = 1
        return dout * (self.probs - one_hot) / len(self.labels)
""", None, "logsumexp-one-hot", "log-sum-exp and a one-hot gradient: both methods written another way"),
    SIMPLE_CNN_BY_NAME,
    # Max pooling and ReLU commute: either order is right.
    M("SimpleCNN", ("pool.forward(relu.forward(conv.forward(x)))", "conv.backward(relu.backward(pool.backward(d)))"),
      ("relu.forward(pool.forward(conv.forward(x)))", "conv.backward(pool.backward(relu.backward(d)))"), None,
      "pool-before-relu", SIMPLE_CNN_BY_NAME),
]

CATALOGUE = {"assignment1": A1 + A1_SOURCES, "assignment2": A2 + A2_SOURCES, "assignment3": A3 + A3_SOURCES}


def lookup(case_id: str):
    """(assignment, case) of the case with this id (the solutions' "<exercise>-solution" too)."""
    for assignment, rows in CATALOGUE.items():
        for case in solution_cases(assignment) + rows:
            if case.id == case_id:
                return assignment, case
    raise KeyError(f"no case {case_id!r} in the catalogue")


def code(case_id: str):
    """The learner's function or class of the case with this id."""
    assignment, case = lookup(case_id)
    return target(case, assignment)
