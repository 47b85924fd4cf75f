"""The grading engine on its own, on a LocalCluster of this machine: what it does when the
workers that passed the bounds probe are gone and others took their place."""

from __future__ import annotations

import pytest

from instructor.grading.engine import Engine, EngineError
from instructor.grading.job import Assignment, Job
from instructor.grading.sandbox import Limits
from services import wait_for

pytestmark = pytest.mark.slow


def test_a_run_stops_when_every_probed_worker_has_left():
    """A worker that joins after the probe was never probed: its bounds are unknown, so no
    task goes to it, and once the probed ones are all gone the run stops in one line."""
    engine = Engine(workers=1).start()
    try:
        probed = engine.names
        engine.restrict(probed)
        engine.cluster.scale(0)
        wait_for(lambda: not engine.names, 120, "the probed worker to leave")
        engine.cluster.scale(1)
        wait_for(lambda: engine.names, 120, "a new worker to join")
        assert not set(engine.names) & set(probed)
        engine.submit([Job("ada", "assignment1", {}, Limits())], Assignment("assignment1", {}, {}, {}))
        with pytest.raises(EngineError, match="every worker that passed the bounds probe has left"):
            for polls, done in enumerate(engine.results(poll=0.05)):
                assert done is None, f"a task ran on a worker never probed: {done}"
                assert polls < 400, "the run waits on without a probed worker"
    finally:
        engine.close()
