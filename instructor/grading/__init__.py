"""Grading a class: from submissions to grades, feedback and a class report.

    cnnbook-grade ASSIGNMENT [FOLDER | CANVAS.zip | MOODLE.zip]     (python -m instructor.grading)

One module per concern:

* ``intake``: folders and LMS zips to nbgrader's ``submitted/`` layout, the roster;
* ``notebooks``: the source notebook's cells, a submission with its locked cells restored;
* ``sandbox`` (with ``sandbox_child``, ``protocol``, ``wire``, ``shared``, ``seccomp`` and
  ``magics``): the learner's process, what it and the grader say to each other, and its bounds;
* ``checking``: the test cells run in the grader, the learner's functions behind proxies;
* ``job``: one submission, start to end, as plain data in and out;
* ``commit``: one graded submission recorded (its notebooks, then the gradebook);
* ``gradebook``: nbgrader's database, written by the run's owner only;
* ``feedback``: the students' feedback, by nbgrader, in a pool of processes;
* ``files``: the one atomic write and the one content hash;
* ``engine``: where the jobs run (dask.distributed, here or on a cluster);
* ``report``: grades.csv, the LMS's import file, the class report;
* ``cli``: the command.

Nobody's code runs in a Jupyter kernel here: ``nbgrader autograde`` is not used. The
autograded notebooks and the gradebook entries are written in nbgrader's layout, so
formgrader, ``nbgrader export`` and ``nbgrader generate_feedback`` work on them as usual.
"""
