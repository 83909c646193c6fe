"""The course layer's exercise machinery (layer 6: nothing below imports it).

* :func:`exercise`: the decorator that marks an exercise function (id and notebook section);
* ``python -m minidl.course sync``: generates ``exercises/`` from ``solutions/``
  (:mod:`minidl.course.sync`);
* :func:`use_exercises`: routes minidl's kernel slots to the learner's functions;
* :func:`load_chapter` / :func:`course_root`: import a chapter of ``exercises`` or
  ``solutions`` from the course repository;
* :func:`yours_or_reference`: for demonstrations, the learner's function once written,
  else the reference solution.

Grading lives in :mod:`minidl.grading`. See docs/exercises.md.
"""

from minidl.course.demo import yours_or_reference
from minidl.course.exercise import Exercise, exercise, is_stub
from minidl.course.root import course_root, default_impl, load_chapter
from minidl.course.routing import ExerciseRouting, use_exercises

__all__ = [
    "Exercise", "ExerciseRouting", "course_root", "default_impl", "exercise", "is_stub",
    "load_chapter", "use_exercises", "yours_or_reference",
]
