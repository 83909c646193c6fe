"""benchmarks.device runs each chapter's step on the device (here: the simulator, --tiny)."""

from __future__ import annotations

import importlib.util
import re

import pytest

from benchmarks import device


def test_device_suite_prints_a_row_per_model_with_every_column():
    """The MLP and the GPT (benchmarks.transformer's step, moved to the device) at toy sizes;
    the DCGAN's 28×28 convolutions take minutes in the simulator."""
    table = device.main(["--tiny", "--repeats", "1", "--models", "mlp", "gpt"])
    assert table.startswith("GPU: numba CUDA simulator")
    header = next(line for line in table.splitlines() if line.startswith("| model |"))
    assert "minidl cpu ms" in header and "minidl cuda ms" in header
    if importlib.util.find_spec("torch") is not None:
        assert "torch cpu ms" in header and "minidl / torch cpu" in header
    columns = header.count("|") - 1
    for label in ("| ch2 MLP step", "| ch6 GPT step"):
        row = next(line for line in table.splitlines() if line.startswith(label))
        assert row.count("|") - 1 == columns
        assert re.search(r"\| \d+\.\d\d× \|$", row), row  # the speed-up column


def test_device_suite_refuses_full_sizes_on_the_simulator():
    with pytest.raises(SystemExit, match="simulator"):
        device.main(["--models", "mlp"])
