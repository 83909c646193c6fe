"""Reference solutions: the single source of every exercise (course authors edit these).

Each answer sits between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` inside an
``@exercise`` function; ``python -m minidl.course sync`` turns this package into the
learner's ``exercises/``. See docs/exercises.md.
"""
