"""References for Assignment 3, written apart from the solutions (the hidden tests' oracle).

Layers are channels-first; Convolution and MaxPool wrap Assignment 2's loop oracle.
"""

from __future__ import annotations

import numpy as np

from instructor import oracles_a2


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x):
        self.x = x
        return oracles_a2.conv_forward(x, self.W, self.b, self.stride, self.pad)

    def backward(self, dout):
        dx, self.dW, self.db = oracles_a2.conv_backward(dout, self.x, self.W, self.stride, self.pad)
        return dx


class MaxPool:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.args = (pool_h, pool_w, stride, pad)

    def forward(self, x):
        self.x = x
        return oracles_a2.pool_forward(x, *self.args, mode="max")

    def backward(self, dout):
        return oracles_a2.pool_backward(dout, self.x, *self.args, mode="max")


class Relu:
    def forward(self, x):
        self.positive = x > 0
        return x * self.positive

    def backward(self, dout):
        return dout * self.positive


class Dense:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return np.einsum("nd,dk->nk", x.reshape(len(x), -1), self.W) + self.b

    def backward(self, dout):
        flat = self.x.reshape(len(self.x), -1)
        self.dW = np.einsum("nd,nk->dk", flat, dout)
        self.db = dout.sum(axis=0)
        return np.einsum("nk,dk->nd", dout, self.W).reshape(self.x.shape)


class SoftmaxCrossEntropy:
    def forward(self, scores, labels):
        top = scores.max(axis=1, keepdims=True)
        log_norm = top + np.log(np.exp(scores - top).sum(axis=1, keepdims=True))
        self.probs = np.exp(scores - log_norm)
        self.labels = labels
        return float(np.mean(log_norm[:, 0] - scores[np.arange(len(labels)), labels]))

    def backward(self, dout=1.0):
        onehot = np.eye(self.probs.shape[1])[self.labels]
        return (self.probs - onehot) * (dout / len(self.labels))


class SimpleCNN:
    def __init__(self, params):
        self.params = params
        self.conv = Convolution(params["W1"], params["b1"], 1, 1)
        self.relu, self.pool = Relu(), MaxPool(2, 2, 2, 0)
        self.dense = Dense(params["W2"], params["b2"])
        self.loss_layer = SoftmaxCrossEntropy()

    def predict(self, x):
        return self.dense.forward(self.pool.forward(self.relu.forward(self.conv.forward(x))))

    def gradient(self, x, labels):
        loss = self.loss_layer.forward(self.predict(x), labels)
        d = self.dense.backward(self.loss_layer.backward())
        self.conv.backward(self.relu.backward(self.pool.backward(d)))
        return loss, {"W1": self.conv.dW, "b1": self.conv.db, "W2": self.dense.dW, "b2": self.dense.db}


def sgd_step(params, grads, lr, momentum=0.0, velocity=None):
    velocity = {k: np.zeros_like(v) for k, v in params.items()} if velocity is None else velocity
    for k in params:
        velocity[k] = momentum * velocity[k] - lr * grads[k]
        params[k] += velocity[k]
    return velocity


GRADED = ["Relu", "Dense", "SoftmaxCrossEntropy", "SimpleCNN", "sgd_step"]
