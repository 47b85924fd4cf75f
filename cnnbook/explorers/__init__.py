"""Interactive explorers of the layers of Assignment 1, as ipywidgets views.

    from cnnbook.explorers import explore_convolution
    explore_convolution(conv_forward=conv_forward)

Each ``explore_*`` returns a widget; the last line of a cell displays it. Pass your own
functions to see your results beside the expected ones, with every difference framed;
without them (or before they are written) the expected pictures are shown alone.

The explorers compute no expected result themselves: the expected outputs and gradients
come from arrays stored for every setting their controls allow (``_expected``), or, for a
matrix typed into the pooling explorer, from the learner's own functions once they pass their
checks. Each module keeps its pure state (``*_state``: what is highlighted, the
formulas, the messages) apart from its drawing (``render``), so both are testable
without a browser.
"""

from cnnbook.explorers.convolution import explore_convolution
from cnnbook.explorers.gradients import explore_gradients
from cnnbook.explorers.padding import explore_padding
from cnnbook.explorers.pooling import explore_pooling

__all__ = ["explore_padding", "explore_convolution", "explore_pooling", "explore_gradients"]
