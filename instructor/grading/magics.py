"""What a cell sees as ``get_ipython()``, outside a kernel: in the learner's process (loaded
from this file, standard library only) and for the source's setup cells in the grader."""


class Shell:
    """Enough of get_ipython() for the magics a learner leaves in a cell: they do nothing,
    except that a cell under %%time, %%timeit or %%capture still runs, once."""

    def __init__(self, namespace):
        self.user_ns = namespace

    def run_line_magic(self, *args, **kwargs):
        return None

    def run_cell_magic(self, name, line, cell, *args, **kwargs):
        if name in ("time", "timeit", "capture", "prun"):
            exec(compile(cell, "<cell magic>", "exec"), self.user_ns)

    def system(self, *args, **kwargs):
        return None

    getoutput = system
