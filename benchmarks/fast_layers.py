"""Assignment 2's im2col convolution against loops and, where installed, PyTorch.

    python benchmarks/fast_layers.py [--quick]

For each shape: forward + backward time of the loop layer (instructor/oracles_a2.py)
and of the im2col solution (solutions/assignment2), their ratio (target: at least
100), the ratio to torch.nn.functional.conv2d forward + backward on the CPU in
float64 (target: the solution within 2x), and the solution's GFLOP/s beside the
machine's float64 matrix-product peak measured in the same run. Then MaxPool and
AvgPool, forward + backward, on the same two inputs with a 2 x 2 window and stride 2,
beside torch.nn.functional.max_pool2d / avg_pool2d in float64 (target: the solution
within 3x). Times are the best of several runs, the implementations interleaved, since
the machine may be shared.
PyTorch is optional: `pip install torch --index-url https://download.pytorch.org/whl/cpu`
(the CPU build) to include it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from instructor import oracles_a2, solutions  # noqa: E402

SHAPES = [((64, 8, 28, 28), (16, 8, 3, 3)), ((32, 32, 32, 32), (64, 32, 3, 3))]
POOL = dict(pool_h=2, pool_w=2, stride=2, pad=0)
POOL_TARGET = 3
SETTLE = 0.3  # seconds for idle threads to stop spinning between timed turns


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def matmul_peak(repeat: int = 5) -> float:
    """GFLOP/s of a 1024^3 float64 matrix product, the best of ``repeat``."""
    a, b = np.random.default_rng(0).standard_normal((2, 1024, 1024))
    return 2 * 1024 ** 3 / best(lambda: a @ b, repeat) / 1e9


def conv_flops(x_shape, w_shape, out_hw) -> float:
    """Multiply-adds of forward, backward data and backward weights: 3 products of one size."""
    N, C, _, _ = x_shape
    FN, _, FH, FW = w_shape
    return 3 * 2 * N * FN * out_hw[0] * out_hw[1] * C * FH * FW


def interleaved(fns: dict, rounds: int = 8, repeat: int = 10) -> dict:
    """The best time of each of ``fns``, measured in turns, ``repeat`` calls at a time,
    ``rounds`` times: a busy moment of the machine then slows one turn, not one of them.
    A library's idle threads spin for a while after its last call (PyTorch's, numpy's BLAS):
    each turn starts after a pause, so that they do not slow the next one."""
    times = {name: float("inf") for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            time.sleep(SETTLE)
            times[name] = min(times[name], best(fn, repeat))
    return times


def pooling(fn: dict, torch, x_shape) -> int:
    """Print MaxPool's and AvgPool's forward + backward time beside PyTorch's on x of
    ``x_shape`` (N, C, H, W); 1 if a ratio misses its target, else 0."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(x_shape)
    print(f"\nx {x_shape}, {POOL['pool_h']} x {POOL['pool_w']} pooling, stride {POOL['stride']} "
          "(forward + backward, best of runs)")
    status = 0
    for name, torch_pool in (("MaxPool", "max_pool2d"), ("AvgPool", "avg_pool2d")):
        layer = fn[name](**POOL)
        dout = rng.standard_normal(layer.forward(x).shape)

        def ours():
            layer.forward(x)
            layer.backward(dout)

        fns = {name: ours}
        if torch is not None:
            tx, tdout = torch.tensor(x, requires_grad=True), torch.tensor(dout)
            pool = getattr(torch.nn.functional, torch_pool)

            def with_torch():
                tx.grad = None
                pool(tx, (POOL["pool_h"], POOL["pool_w"]), POOL["stride"], POOL["pad"]).backward(tdout)

            with_torch()
            layer.forward(x)
            assert np.allclose(tx.grad.numpy(), layer.backward(dout)), f"PyTorch and the solution's {name} disagree"
            fns["PyTorch"] = with_torch
        times = interleaved(fns)
        line = f"  {name} {times[name] * 1e3:8.2f} ms"
        if torch is None:
            print(line + "   PyTorch not installed: no comparison")
            continue
        ratio = times[name] / times["PyTorch"]
        print(f"{line}   PyTorch {times['PyTorch'] * 1e3:8.2f} ms   {name} / PyTorch = {ratio:.2f}   "
              f"(target <= {POOL_TARGET}: {'ok' if ratio <= POOL_TARGET else 'MISSED'})")
        status |= ratio > POOL_TARGET
    return status


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the first shape, loops once")
    args = parser.parse_args()
    fn = solutions.load("assignment2")
    try:
        import torch
        torch.set_num_threads(2)
    except ImportError:
        torch = None
    peak = matmul_peak()
    print(f"float64 matrix product peak (1024^3): {peak:.1f} GFLOP/s")
    status = 0
    for x_shape, w_shape in SHAPES[:1] if args.quick else SHAPES:
        rng = np.random.default_rng(0)
        x, W, b = rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])
        layer = fn["Convolution"](W, b, stride=1, pad=1)
        out = layer.forward(x)
        dout = rng.standard_normal(out.shape)

        def fast():
            layer.forward(x)
            layer.backward(dout)

        def loops():
            oracles_a2.conv_forward(x, W, b, 1, 1)
            oracles_a2.conv_backward(dout, x, W, 1, 1)

        t_fast = best(fast, 10)
        t_loop = best(loops, 1)
        t_torch = None
        if torch is not None:
            tx = torch.tensor(x, requires_grad=True)
            tW = torch.tensor(W, requires_grad=True)
            tb = torch.tensor(b, requires_grad=True)
            tdout = torch.tensor(dout)

            def with_torch():
                for t in (tx, tW, tb):
                    t.grad = None
                torch.nn.functional.conv2d(tx, tW, tb, stride=1, padding=1).backward(tdout)

            with_torch()
            assert np.allclose(tx.grad.numpy(), layer.backward(dout)), "PyTorch and the solution disagree"
            t_torch = min(best(with_torch, 10), best(with_torch, 10))
        # Again after the others, so that each is measured at several moments of a busy machine.
        t_fast = min(t_fast, best(fast, 10))
        if t_torch is not None:
            t_torch = min(t_torch, best(with_torch, 10))
        ratio = t_loop / t_fast
        gflops = conv_flops(x_shape, w_shape, out.shape[2:]) / t_fast / 1e9
        print(f"\nx {x_shape}, W {w_shape}, pad 1, stride 1 (forward + backward, best of runs)")
        print(f"  loops   {t_loop * 1e3:10.1f} ms")
        print(f"  im2col  {t_fast * 1e3:10.1f} ms   {gflops:5.1f} GFLOP/s ({gflops / peak:.0%} of the peak)")
        t_im2col = best(lambda: fn["im2col"](x, w_shape[2], w_shape[3], 1, 1), 10)
        dcol = layer.col.copy(order="F")
        t_col2im = best(lambda: fn["col2im"](dcol, x_shape, w_shape[2], w_shape[3], 1, 1), 10)
        print(f"          of which im2col() {t_im2col * 1e3:.1f} ms, col2im() {t_col2im * 1e3:.1f} ms; the rest: "
              "three matrix products, the bias, dout rearranged, memory")
        print(f"  loops / im2col = {ratio:.0f}   (target >= 100: {'ok' if ratio >= 100 else 'MISSED'})")
        status |= ratio < 100
        if t_torch is None:
            print("  PyTorch not installed: no comparison")
            continue
        print(f"  PyTorch {t_torch * 1e3:10.1f} ms   im2col / PyTorch = {t_fast / t_torch:.2f}   "
              f"(target <= 2: {'ok' if t_fast / t_torch <= 2 else 'MISSED'})")
        status |= t_fast / t_torch > 2
    for x_shape, _ in SHAPES[:1] if args.quick else SHAPES:
        status |= pooling(fn, torch, x_shape)
    return int(status)


if __name__ == "__main__":
    sys.exit(main())
