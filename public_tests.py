"""Public tests of the workbook: one function per exercise, run from the notebooks.

    conv_forward_test(conv_forward)        # Assignment 1
    convolution_test(Convolution)          # Assignment 2
    simple_cnn_test(SimpleCNN)             # Assignment 3

Each builds its own inputs (its own random generator, so your global seed is left
alone), checks shapes, values and that your inputs stay unmodified, and prints
one line when your function passes, or raises an AssertionError that says what
is wrong and where to look. The graded cells call the same checker.
"""

from cnnbook.checker import check

__all__ = [
    "zero_pad_test", "conv_single_step_test", "conv_forward_test", "pool_forward_test",
    "conv_backward_test", "create_mask_from_window_test", "distribute_value_test",
    "pool_backward_test",
    "im2col_test", "col2im_test", "convolution_test", "maxpool_test", "avgpool_test",
    "relu_test", "dense_test", "softmax_cross_entropy_test", "simple_cnn_test", "sgd_step_test",
]


def zero_pad_test(target):
    """zero_pad(X, pad): shape, zero border, untouched centre; pad 0 and non-square images."""
    check("zero_pad", target)


def conv_single_step_test(target):
    """conv_single_step(a_slice_prev, W, b): a scalar, the bias added once."""
    check("conv_single_step", target)


def conv_forward_test(target):
    """conv_forward(A_prev, W, b, hparameters): output size, stride, padding, cache."""
    check("conv_forward", target)


def pool_forward_test(target):
    """pool_forward(A_prev, hparameters, mode): max and average, stride, channels apart."""
    check("pool_forward", target)


def conv_backward_test(target):
    """conv_backward(dZ, cache): dA_prev, dW and db on caches built by the test."""
    check("conv_backward", target)


def create_mask_from_window_test(target):
    """create_mask_from_window(x): True at the maximum (at a tie, every maximum or one)."""
    check("create_mask_from_window", target)


def distribute_value_test(target):
    """distribute_value(dz, shape): dz shared equally over the window."""
    check("distribute_value", target)


def pool_backward_test(target):
    """pool_backward(dA, cache, mode): gradient routed through masks or shared equally."""
    check("pool_backward", target)


# Assignment 2, "Fast layers with im2col" (channels-first) ------------------------

def im2col_test(target):
    """im2col(input_data, filter_h, filter_w, stride, pad): rows (n, i, j), columns (c, y, x)."""
    check("im2col", target)


def col2im_test(target):
    """col2im(col, input_shape, filter_h, filter_w, stride, pad): overlaps add up; im2col's adjoint."""
    check("col2im", target)


def convolution_test(target):
    """Convolution(W, b, stride, pad): forward to channels-first, backward sets dW and db."""
    check("Convolution", target)


def maxpool_test(target):
    """MaxPool(pool_h, pool_w, stride, pad): -inf padding, the gradient to each window's maximum."""
    check("MaxPool", target)


def avgpool_test(target):
    """AvgPool(pool_h, pool_w, stride, pad): zero padding, divided by the full window area."""
    check("AvgPool", target)


# Assignment 3, "Train your own CNN" ---------------------------------------------

def relu_test(target):
    """Relu(): forward max(x, 0), backward stops the gradient where x <= 0."""
    check("Relu", target)


def dense_test(target):
    """Dense(W, b): flattens (N, ...) inputs; backward sets dW, db and gives dx the input's shape."""
    check("Dense", target)


def softmax_cross_entropy_test(target):
    """SoftmaxCrossEntropy(): stable mean loss, self.probs, dscores = (probs - one_hot) * dout / N."""
    check("SoftmaxCrossEntropy", target)


def simple_cnn_test(target):
    """SimpleCNN(params): predict through the layers, gradient back through them in reverse."""
    check("SimpleCNN", target)


def sgd_step_test(target):
    """sgd_step(params, grads, lr, momentum, velocity): in-place update, velocity carried over."""
    check("sgd_step", target)
