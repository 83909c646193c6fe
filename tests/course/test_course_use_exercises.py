"""minidl.use_exercises(): routing kernel slots to a learner's functions, and back."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

import minidl
from minidl.course import load_chapter
from minidl.kernels.slots import slots

ROOT = Path(__file__).resolve().parents[2]
X = np.array([-2.0, 0.0, 3.0])
SIGMOID = 1 / (1 + np.exp(-X))


def answer(root: Path, name: str, body: str) -> None:
    """Replace the stub's raise in exercises/ch01_perceptron.py:name with ``body``."""
    path = root / "exercises" / "ch01_perceptron.py"
    text = path.read_text()
    start = text.index("raise NotImplementedError(", text.index(f"def {name}("))
    end = text.index("\n    )\n", start) + len("\n    )\n")
    path.write_text(text[:start] + body + "\n" + text[end:])


@pytest.fixture
def workbook(tmp_path, monkeypatch) -> Path:
    """A learner's course root with the generated stubs; sys.path/modules restored after."""
    shutil.copytree(ROOT / "exercises", tmp_path / "exercises",
                    ignore=shutil.ignore_patterns("__pycache__", "*.new.py"))
    shutil.copytree(ROOT / "solutions", tmp_path / "solutions",
                    ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("MINIDL_COURSE_ROOT", str(tmp_path))
    monkeypatch.delenv("MINIDL_IMPL", raising=False)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield tmp_path
    for name in [n for n in sys.modules if n.split(".")[0] in ("exercises", "solutions")]:
        del sys.modules[name]
    assert all(s.override is None for s in slots().values()), "a test left a slot routed"


def sigmoid_now() -> np.ndarray:
    return minidl.tensor(X).sigmoid().numpy()


def test_untouched_stubs_keep_the_references(workbook, capsys):
    with minidl.use_exercises(chapters="ch01") as routing:
        assert routing.yours == [] and "sigmoid_forward" in routing.reference
        assert np.allclose(sigmoid_now(), SIGMOID)
    assert "0 slot(s) run your code" in capsys.readouterr().out


def test_a_wrong_learner_function_changes_minidl_and_restore_undoes_it(workbook):
    answer(workbook, "sigmoid_forward", "return np.full_like(x, 0.25)")  # deliberately wrong
    routing = minidl.use_exercises(chapters=1, verbose=False)
    assert routing.yours == ["sigmoid_forward"]
    assert np.array_equal(sigmoid_now(), np.full(3, 0.25))
    assert "your exercises/ code" in routing.table() and "1 calls" in routing.table()
    routing.restore()
    assert np.allclose(sigmoid_now(), SIGMOID)
    assert "restored" in repr(routing)


def test_errors_in_learner_code_are_not_hidden(workbook):
    answer(workbook, "relu_forward", "return x[999]")
    with minidl.use_exercises(verbose=False), pytest.raises(IndexError):
        minidl.tensor(X).relu()


def test_not_implemented_at_call_time_falls_back(workbook):
    answer(workbook, "tanh_forward",
           "if x.ndim == 1:\n        raise NotImplementedError('only 2-D so far')\n"
           "    return np.tanh(x)")
    with minidl.use_exercises(verbose=False) as routing:
        assert "tanh_forward" in routing.yours
        assert np.allclose(minidl.tensor(X).tanh().numpy(), np.tanh(X))
        assert slots()["tanh_forward"].fallbacks == 1


def test_edits_are_picked_up_on_the_next_call(workbook):
    answer(workbook, "sigmoid_forward", "return np.full_like(x, 0.25)")
    with minidl.use_exercises(verbose=False):
        assert sigmoid_now()[0] == 0.25
    path = workbook / "exercises" / "ch01_perceptron.py"
    path.write_text(path.read_text().replace("0.25)", "0.75)"))
    with minidl.use_exercises(verbose=False):
        assert sigmoid_now()[0] == 0.75


def test_solutions_can_be_plugged_in(workbook):
    with minidl.use_exercises(impl="solutions", verbose=False) as routing:
        assert set(routing.yours) >= {"sigmoid_forward", "sigmoid_backward", "relu_backward"}
        x = minidl.tensor(X, requires_grad=True)
        x.sigmoid().sum().backward()
        assert np.allclose(x.grad.numpy(), SIGMOID * (1 - SIGMOID))
        assert slots()["sigmoid_backward"].calls_to_override == 1


def test_a_syntax_error_is_reported_not_raised(workbook):
    path = workbook / "exercises" / "ch01_perceptron.py"
    path.write_text(path.read_text() + "\ndef broken(:\n")
    with minidl.use_exercises(chapters="ch01", verbose=False) as routing:
        assert routing.routes == [] and "SyntaxError" in routing.problems[0]
        assert np.allclose(sigmoid_now(), SIGMOID)


def test_load_chapter_follows_impl(workbook, monkeypatch):
    assert load_chapter("ch01").__name__ == "exercises.ch01_perceptron"
    monkeypatch.setenv("MINIDL_IMPL", "solutions")
    module = load_chapter(1)
    assert module.__file__ == str(workbook / "solutions" / "ch01_perceptron.py")
    assert module.perceptron_predict(np.array([[1.0]]), np.array([-1.0]), 1.0).tolist() == [1]


def test_demonstrations_use_the_reference_until_the_learner_writes_the_function(
    workbook, capsys
):
    from minidl.course import yours_or_reference

    first = yours_or_reference("ch01", "sigmoid_forward")
    assert "sigmoid_forward: not written yet" in capsys.readouterr().out
    assert first.__module__ == "solutions.ch01_perceptron"
    np.testing.assert_allclose(first(X), SIGMOID)

    answer(workbook, "sigmoid_forward", "return 2 * x")
    second = yours_or_reference("ch01", "sigmoid_forward")
    assert "sigmoid_forward: using exercises.ch01_perceptron.sigmoid_forward" in (
        capsys.readouterr().out
    )
    np.testing.assert_allclose(second(X), 2 * X)


def test_via_returns_the_function_beside_the_chosen_one(workbook, capsys):
    """e.g. the launcher next to a CUDA kernel: from the module whose kernel is used."""
    from minidl.course import yours_or_reference

    reference = yours_or_reference("ch01", "sigmoid_forward", via="sigmoid_backward")
    assert reference.__module__ == "solutions.ch01_perceptron"
    assert reference.__name__ == "sigmoid_backward"
    answer(workbook, "sigmoid_forward", "return 2 * x")
    yours = yours_or_reference("ch01", "sigmoid_forward", via="sigmoid_backward")
    assert yours.__module__ == "exercises.ch01_perceptron"
    assert "using exercises.ch01_perceptron.sigmoid_forward" in capsys.readouterr().out


def test_the_routing_table_is_shown_when_the_block_ends(workbook, capsys):
    answer(workbook, "sigmoid_forward", "return 1 / (1 + np.exp(-x))")
    with minidl.use_exercises(chapters="ch01"):
        start = capsys.readouterr().out
        sigmoid_now()
        sigmoid_now()
    end = capsys.readouterr().out
    assert "1 slot(s) run your code (sigmoid_forward)" in start and "calls" not in start
    assert "restored" in end and "2 calls, 0 fallbacks" in end


def test_an_error_deep_in_a_model_names_the_exercise_that_raised(workbook):
    answer(workbook, "relu_forward", "return x[999]")
    model = minidl.nn.Sequential(minidl.nn.Linear(3, 4), minidl.nn.ReLU(), minidl.nn.Linear(4, 2))
    with minidl.use_exercises(verbose=False), pytest.raises(IndexError) as info:
        model(minidl.tensor(np.ones((2, 3), np.float32)))
    assert info.value.__notes__[-1] == (
        "(raised by your exercise 1.8 (relu_forward in exercises/ch01_perceptron.py), which "
        "minidl ran for kernel 'relu_forward' under use_exercises())")


def test_float64_from_a_learner_kernel_is_reported_at_the_exercise(workbook):
    answer(workbook, "relu_forward", "return np.maximum(x, 0.0).astype(np.float64)")
    model = minidl.nn.Sequential(minidl.nn.Linear(3, 4), minidl.nn.ReLU(), minidl.nn.Linear(4, 2))
    with minidl.use_exercises(verbose=False), pytest.raises(TypeError) as info:
        model(minidl.tensor(np.ones((2, 3), np.float32)))
    assert str(info.value).startswith(
        "your exercise 1.8 (relu_forward in exercises/ch01_perceptron.py) returned float64 from "
        "float32 inputs, as kernel 'relu_forward' of a float32 model under use_exercises()")
    assert "linear" not in str(info.value).lower()
