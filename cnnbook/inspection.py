"""Looking inside a trained network: digits, confusion matrix, filters, feature maps, mistakes."""

from __future__ import annotations

import numpy as np


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes: int = 10) -> np.ndarray:
    """counts[i, j] = how many examples of class i were predicted as j."""
    counts = np.zeros((classes, classes), dtype=int)
    np.add.at(counts, (np.asarray(labels), np.asarray(predicted)), 1)
    return counts


def confident_mistakes(probs: np.ndarray, labels: np.ndarray, k: int = 8) -> np.ndarray:
    """Indices of the k wrong predictions made with the highest probability, most confident first."""
    predicted = np.argmax(probs, axis=1)
    wrong = np.flatnonzero(predicted != labels)
    return wrong[np.argsort(-probs[wrong, predicted[wrong]], kind="stable")][:k]


def _grid(n: int, cols: int, size: float = 1.1):
    import matplotlib.pyplot as plt

    rows = max(1, -(-n // cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * size, rows * size * 1.15), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    return fig, axes.flat


def show_digits(images: np.ndarray, titles=None, cols: int = 10):
    """A grid of 8 x 8 images (N, 8, 8) or (N, 1, 8, 8), light background, dark ink."""
    images = np.asarray(images).reshape(len(images), 8, 8)
    fig, axes = _grid(len(images), cols)
    for k, (ax, img) in enumerate(zip(axes, images)):
        ax.imshow(img, cmap="gray_r", interpolation="nearest")
        if titles is not None:
            ax.set_title(titles[k], fontsize=8)
    fig.tight_layout()
    return fig


def plot_confusion(counts: np.ndarray):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4.4))
    ax.imshow(counts, cmap="Blues")
    top = counts.max()
    for (i, j), c in np.ndenumerate(counts):
        if c:
            ax.text(j, i, str(c), ha="center", va="center", fontsize=8,
                    color="white" if c > top / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true digit")
    ax.set_xticks(range(len(counts)))
    ax.set_yticks(range(len(counts)))
    ax.set_title("confusion matrix (test split)")
    fig.tight_layout()
    return fig


def plot_filters(W: np.ndarray):
    """The first layer's filters, W of shape (F, 1, FH, FW), on a shared colour scale."""
    W = np.asarray(W)
    limit = np.abs(W).max()
    fig, axes = _grid(len(W), min(len(W), 8))
    for k, (ax, w) in enumerate(zip(axes, W)):
        ax.imshow(w[0], cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(f"filter {k}", fontsize=8)
    fig.suptitle("learned filters (red positive, blue negative)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_feature_maps(image: np.ndarray, maps: np.ndarray, title: str = ""):
    """One digit (8, 8) and its feature maps (F, H, W), each filter's response."""
    maps = np.asarray(maps)
    fig, axes = _grid(len(maps) + 1, min(len(maps) + 1, 9))
    axes = list(axes)
    axes[0].imshow(np.asarray(image).reshape(8, 8), cmap="gray_r", interpolation="nearest")
    axes[0].set_title(title or "input", fontsize=8)
    for k, (ax, m) in enumerate(zip(axes[1:], maps)):
        ax.imshow(m, cmap="viridis", interpolation="nearest")
        ax.set_title(f"map {k}", fontsize=8)
    fig.tight_layout()
    return fig
