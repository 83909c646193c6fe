"""Grade reports: per-exercise results and their renderings (text, HTML, JSON, JUnit XML).

An exercise's status is the worst over its tests, in this order:
``timed out`` > ``error`` > ``wrong`` > ``not started`` > ``passed``. It earns its points
only when every one of its tests passed (no partial credit).
"""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from minidl.course.display import html_table, text_table
from minidl.course.exercise import parse_id

PASSED, NOT_STARTED, WRONG, ERROR, TIMED_OUT = (
    "passed", "not started", "wrong", "error", "timed out")
SEVERITY = {PASSED: 0, NOT_STARTED: 1, WRONG: 2, ERROR: 3, TIMED_OUT: 4}
COLORS = {PASSED: "#e6f4ea", NOT_STARTED: "#f1f3f4", WRONG: "#fce8e6", ERROR: "#fce8e6",
          TIMED_OUT: "#fef7e0"}


@dataclass
class TestOutcome:
    """One pytest test of an exercise."""

    __test__ = False  # not a test class, despite its name

    nodeid: str
    exercise: str
    status: str
    detail: str = ""
    duration: float = 0.0


@dataclass
class ExerciseResult:
    """One exercise: its worst test outcome and the points it earned."""

    id: str
    name: str
    status: str
    points: float
    max_points: float
    detail: str = ""
    tests: list[TestOutcome] = field(default_factory=list)

    @classmethod
    def from_tests(cls, exercise_id: str, name: str, max_points: float,
                   tests: list[TestOutcome]) -> ExerciseResult:
        worst = max(tests, key=lambda t: SEVERITY[t.status])
        points = max_points if worst.status == PASSED else 0.0
        return cls(exercise_id, name, worst.status, points, max_points, worst.detail, tests)


@dataclass
class GradeReport:
    """The result of grading a selection of exercises.

    ``passed`` is True only when at least one exercise was graded, all passed, and the
    autograder itself ran without errors. ``points`` is what was earned out of ``total``.
    """

    impl: str
    selection: list[str]
    exercises: list[ExerciseResult]
    errors: list[str] = field(default_factory=list)

    @property
    def points(self) -> float:
        return sum(e.points for e in self.exercises)

    @property
    def total(self) -> float:
        return sum(e.max_points for e in self.exercises)

    @property
    def passed(self) -> bool:
        return bool(self.exercises) and not self.errors and all(
            e.status == PASSED for e in self.exercises)

    def __getitem__(self, exercise_id: str) -> ExerciseResult:
        for e in self.exercises:
            if e.id == exercise_id:
                return e
        raise KeyError(exercise_id)

    # ---- renderings -------------------------------------------------------------------

    def _rows(self) -> list[list[str]]:
        return [[e.id, e.name, e.status, f"{e.points:g} / {e.max_points:g}"]
                for e in self.exercises]

    def _title(self) -> str:
        chosen = " ".join(self.selection) or "all exercises"
        done = sum(e.status == PASSED for e in self.exercises)
        return (f"Autograder ({self.impl}/, {chosen}): {done} of {len(self.exercises)} "
                f"exercises passed, {self.points:g} / {self.total:g} points")

    def _details(self) -> list[tuple[str, str]]:
        """Feedback worth reading: failures, and "not started" caused by another exercise."""
        return [(f"{e.id} {e.name or '?'}: {e.status}", e.detail) for e in self.exercises
                if e.detail and e.status != PASSED and not (
                    e.status == NOT_STARTED and e.detail.startswith(f"Exercise {e.id} "))]

    def to_text(self) -> str:
        """A plain-text table and total, then the feedback for each failing exercise."""
        lines = [self._title()]
        if self.exercises:
            rows = [*self._rows(), ["total", "", "", f"{self.points:g} / {self.total:g}"]]
            lines += ["", text_table(["exercise", "function", "status", "points"], rows)]
        for head, detail in self._details():
            lines += ["", head, *(f"  {line}" for line in detail.splitlines())]
        lines += [f"\n! {err}" for err in self.errors]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        colors = [COLORS[e.status] for e in self.exercises]
        parts = [f"<p><b>{html.escape(self._title())}</b></p>"]
        if self.exercises:
            parts.append(html_table(["exercise", "function", "status", "points"],
                                    self._rows(), colors))
        for head, detail in self._details():
            parts.append(f"<details open><summary>{html.escape(head)}</summary>"
                         f"<pre>{html.escape(detail)}</pre></details>")
        parts += [f"<pre style='color:#b00020'>{html.escape(e)}</pre>" for e in self.errors]
        return "".join(parts)

    def __repr__(self) -> str:
        return self.to_text()

    def to_dict(self) -> dict[str, Any]:
        return {
            "impl": self.impl, "selection": self.selection, "passed": self.passed,
            "points": self.points, "total": self.total, "errors": self.errors,
            "exercises": [asdict(e) for e in self.exercises],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GradeReport:
        exercises = [
            ExerciseResult(**{**e, "tests": [TestOutcome(**t) for t in e["tests"]]})
            for e in data["exercises"]
        ]
        return cls(data["impl"], list(data["selection"]), exercises, list(data["errors"]))

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    def write_junit(self, path: str | Path) -> None:
        """JUnit XML: one testcase per exercise (classname = chapter marker, e.g. ch01).

        A passed exercise is a plain testcase; any other status is a ``<failure>`` whose
        ``type`` is the status and whose text is the feedback. Points are testcase properties.
        """
        suite = ET.Element("testsuite", name="minidl-exercises", tests=str(len(self.exercises)),
                           failures=str(sum(e.status != PASSED for e in self.exercises)),
                           errors=str(len(self.errors)))
        for e in self.exercises:
            case = ET.SubElement(suite, "testcase", classname=f"ch{parse_id(e.id)[0]:02d}",
                                 name=f"{e.id} {e.name}".strip(),
                                 time=f"{sum(t.duration for t in e.tests):.3f}")
            props = ET.SubElement(case, "properties")
            ET.SubElement(props, "property", name="points", value=f"{e.points:g}")
            ET.SubElement(props, "property", name="max_points", value=f"{e.max_points:g}")
            if e.status != PASSED:
                failure = ET.SubElement(case, "failure", type=e.status, message=e.status)
                failure.text = e.detail
        if self.errors:
            ET.SubElement(suite, "system-err").text = "\n".join(self.errors)
        root = ET.Element("testsuites")
        root.append(suite)
        ET.indent(root)
        ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
