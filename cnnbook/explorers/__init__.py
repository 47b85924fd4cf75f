"""Interactive explorers of the layers, as ipywidgets views.

    from cnnbook.explorers import explore_convolution
    explore_convolution(conv_forward=conv_forward)

Each ``explore_*`` returns a widget; the last line of a cell displays it. Pass your own
functions to see your results beside the expected ones, with every difference framed;
without them (or before they are written) the expected pictures are shown alone.

Assignment 1: ``explore_padding``, ``explore_convolution``, ``explore_pooling``,
``explore_gradients``. Assignment 2: ``explore_im2col``, ``explore_conv_arithmetic``.
Assignment 3: ``explore_network``. A student bundle carries the explorers (and their stored
views) of the assignments it hands out only, so each is imported when first asked for.

The explorers compute no expected result themselves: the expected outputs and gradients
come from arrays stored for every setting their controls allow (``_expected``), or, for a
matrix typed into the pooling explorer, from the learner's own functions once they pass their
checks. Each module keeps its pure state (``*_state``: what is highlighted, the
formulas, the messages) apart from its drawing (``render``), so both are testable
without a browser.
"""

from __future__ import annotations

import importlib

# explore_* -> the module of this package that defines it.
MODULES = {"explore_padding": "padding", "explore_convolution": "convolution",
           "explore_pooling": "pooling", "explore_gradients": "gradients",
           "explore_im2col": "unfolding", "explore_conv_arithmetic": "arithmetic",
           "explore_network": "network"}

__all__ = list(MODULES)


def __getattr__(name: str):
    if name not in MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(f"{__name__}.{MODULES[name]}")
    except ModuleNotFoundError as err:
        if err.name != f"{__name__}.{MODULES[name]}":
            raise
        raise ImportError(f"{name} belongs to an assignment this workbook does not have yet "
                          "(it comes with that assignment's notebooks).") from None
    return getattr(module, name)
