"""Assignment 3's catalogue beyond its rows (test_learner_bugs.py runs those): an assumption a
correct variant relies on, and the reference layers a learner's network is checked with.

With the instructor package installed, ``check`` swaps the reference Convolution, MaxPool,
Relu, Dense and SoftmaxCrossEntropy in for the ones SimpleCNN's methods use, so a layer's
mistake is caught by its own check and a mistake of the network has to be in its own methods.
"""

from __future__ import annotations

import numpy as np

import catalogue
from catalogue import Mistake
from cnnbook.checker import check


def test_relu_data_avoid_zero():
    # Relu with the mask x < 0 passes only because no public x is exactly 0, where the two
    # conventions for the derivative differ; make that an explicit assumption.
    from cnnbook.suites import assignment3 as a3

    for case, (x, _) in a3.relu_cases().items():
        assert np.all(x != 0), case


def test_a_learner_network_gets_the_reference_layers(capsys):
    spy = Mistake("SimpleCNN.predict", "for layer in self.layers:",
                  "seen.extend(type(one).__module__ for one in [*self.layers, self.loss_layer])\n"
                  "for layer in self.layers:", None, "spy")
    namespace = catalogue.learner(["seen = []", *catalogue.program(spy, "assignment3")])
    check("SimpleCNN", namespace["SimpleCNN"])
    assert "SimpleCNN passes all public tests" in capsys.readouterr().out
    assert namespace["seen"] and set(namespace["seen"]) == {"instructor.oracles_a3"}
