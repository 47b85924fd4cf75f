"""Mini-batch training with a progress bar and live curves, for Assignment 3.

``train`` runs the learner's own network and update step; it only shuffles, batches,
measures and draws. The network has ``params`` (a dict of arrays), ``predict(x)`` ->
scores (N, K) and ``gradient(x, labels)`` -> (loss, grads), grads keyed like params;
the step is ``step(params, grads, lr, momentum, velocity)`` -> velocity.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np


@dataclass
class History:
    loss: list[float] = field(default_factory=list)        # mean training loss of each epoch
    train_accuracy: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    seconds: float = 0.0                                   # training time, without the drawing


def accuracy(net, x: np.ndarray, labels: np.ndarray, batch_size: int = 512) -> float:
    """Fraction of x whose highest score is its label."""
    hits = sum(int(np.sum(np.argmax(net.predict(x[i:i + batch_size]), axis=1) == labels[i:i + batch_size]))
               for i in range(0, len(x), batch_size))
    return hits / len(x)


def predict_all(net, x: np.ndarray, batch_size: int = 512) -> np.ndarray:
    return np.concatenate([net.predict(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])


class LiveView:
    """A progress bar and loss/accuracy curves that update in place in a notebook."""

    def __init__(self, epochs: int, batches: int):
        import matplotlib.pyplot as plt
        from IPython.display import HTML, display
        from matplotlib.ticker import MaxNLocator

        self.epochs, self.batches, self.HTML = epochs, batches, HTML
        self.bar = display(HTML(self._bar(0, 0, "")), display_id=True)
        self.fig, (self.ax_loss, self.ax_acc) = plt.subplots(1, 2, figsize=(9, 3))
        plt.close(self.fig)  # shown through the display handle only, not again at the cell's end
        self.integer_ticks = MaxNLocator(integer=True)
        self.plot = display(self.fig, display_id=True)

    def _bar(self, epoch: int, batch: int, note: str) -> str:
        return (f"<div style='font-family:monospace'>epoch {epoch + 1}/{self.epochs} "
                f"<progress value='{batch}' max='{self.batches}' style='width:220px'></progress> "
                f"{batch}/{self.batches} {note}</div>")

    def batch(self, epoch: int, batch: int, note: str = "") -> None:
        self.bar.update(self.HTML(self._bar(epoch, batch, note)))

    def epoch(self, history: History) -> None:
        epochs = np.arange(1, len(history.loss) + 1)
        for ax in (self.ax_loss, self.ax_acc):
            ax.clear()
            ax.set_xlabel("epoch")
            ax.set_xlim(0.5, self.epochs + 0.5)
            ax.xaxis.set_major_locator(self.integer_ticks)
        self.ax_loss.plot(epochs, history.loss, "o-", color="#d55e00")
        self.ax_loss.set_title("training loss")
        self.ax_acc.plot(epochs, history.train_accuracy, "o-", color="#0072b2", label="train")
        self.ax_acc.plot(epochs, history.val_accuracy, "s-", color="#009e73", label="validation")
        self.ax_acc.set_title("accuracy")
        self.ax_acc.legend(loc="lower right")
        self.fig.tight_layout()
        self.plot.update(self.fig)


def what_is_missing(err: NotImplementedError) -> str:
    """One line naming what is not written yet: the message of ``err``, or the function or
    method whose stub raised it (``Relu.forward is not implemented yet``)."""
    if str(err):
        return str(err)
    tb, where = err.__traceback__, ""
    while tb is not None:
        where = getattr(tb.tb_frame.f_code, "co_qualname", tb.tb_frame.f_code.co_name)
        tb = tb.tb_next
    return f"{where} is not implemented yet" if where else "something is not implemented yet"


def _probe(net, step, x, labels, lr, momentum) -> None:
    """One gradient and one step on copies, before anything is drawn: a stub raises here."""
    _, grads = net.gradient(x, labels)
    step({k: np.array(v, copy=True) for k, v in net.params.items()}, grads, lr, momentum, None)


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def train(net, data: dict, step, epochs: int = 15, lr: float = 0.1, momentum: float = 0.9,
          batch_size: int = 32, seed: int = 0, live: bool | None = None) -> History:
    """Train ``net`` on data["train"], measuring on data["val"] after each epoch.

    data -- {"train": (x, labels), "val": (x, labels)}, x of shape (N, C, H, W)
    live -- draw a progress bar and curves (default: when running in a notebook);
            otherwise print one line per epoch
    """
    (x_train, y_train), (x_val, y_val) = data["train"], data["val"]
    _probe(net, step, x_train[:2], y_train[:2], lr, momentum)
    rng = np.random.default_rng(seed)
    batches = -(-len(x_train) // batch_size)
    view = LiveView(epochs, batches) if (_in_notebook() if live is None else live) else None
    history, velocity = History(), None
    for epoch in range(epochs):
        start, order, losses = time.perf_counter(), rng.permutation(len(x_train)), []
        for k in range(batches):
            idx = order[k * batch_size:(k + 1) * batch_size]
            loss, grads = net.gradient(x_train[idx], y_train[idx])
            velocity = step(net.params, grads, lr, momentum, velocity)
            losses.append(float(loss))
            if not np.isfinite(losses[-1]):
                raise FloatingPointError(f"the loss became {losses[-1]} in epoch {epoch + 1}: "
                                         "try a smaller learning rate")
            if view is not None and (k % 8 == 0 or k == batches - 1):
                history.seconds += time.perf_counter() - start
                view.batch(epoch, k + 1, f"loss {np.mean(losses):.3f}")
                start = time.perf_counter()
        history.loss.append(float(np.mean(losses)))
        history.train_accuracy.append(accuracy(net, x_train, y_train))
        history.val_accuracy.append(accuracy(net, x_val, y_val))
        history.seconds += time.perf_counter() - start
        if view is not None:
            view.epoch(history)
        else:
            print(f"epoch {epoch + 1:2d}/{epochs}: loss {history.loss[-1]:.4f}, "
                  f"train {history.train_accuracy[-1]:.3f}, validation {history.val_accuracy[-1]:.3f}")
    return history
