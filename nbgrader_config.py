"""nbgrader configuration of the workbook.

solutions/<assignment>/ is the instructor's source; `nbgrader generate_assignment`
writes the student version to notebooks/<assignment>/.
"""

c = get_config()  # noqa: F821  (provided by nbgrader)

c.CourseDirectory.course_id = "cnn-step-by-step"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "notebooks"

# A student's own copy of the test code never replaces the course's when grading.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
                            "public_tests.py", "cnnbook", "instructor"]

# The stub left where a solution was: it runs, and the checker reports it as
# "not implemented yet" instead of a SyntaxError.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# A warning printed to stderr (say, numpy's RuntimeWarning from a correct answer)
# must not zero a test cell: nbgrader scores any stderr output as a failure.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"Warning:"

# Generous per-cell limit for the loop layers; the graded cells take well under a second.
c.Execute.timeout = 120

# Feedback leaves the hidden tests out: nbgrader 0.9's feedback shows the test cells as
# autograde restored them, hidden tests included.
c.GenerateFeedback.preprocessors = ["nbgrader.preprocessors.GetGrades",
                                    "nbgrader.preprocessors.ClearHiddenTests",
                                    "instructor.embed_figures.EmbedFigures",
                                    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]

# The figures inside the pages: feedback (above) and formgrader's view of a submission, whose
# URLs are not where the notebooks' links to images/ point.
c.HTMLExporter.preprocessors = ["instructor.embed_figures.EmbedFigures"]
