"""The benchmark suites still run end to end and print every case (no time is asserted:
speed is read from their tables, see benchmarks/README.md)."""

from __future__ import annotations

import importlib.util
import re

import pytest

from benchmarks import rnn, run

NUMBER = r"\d+\.\d+"
HAVE_TORCH = importlib.util.find_spec("torch") is not None


def test_cnn_suite_prints_every_case_with_ratios(monkeypatch):
    monkeypatch.setattr(run, "write_results", lambda table: pytest.fail("--no-write wrote"))
    table = run.main(["--quick", "--no-write"])
    rows = {line.split(" | ")[0][2:]: line for line in table.splitlines()
            if line.startswith("| ") and " ms |" not in line}
    compared = [f"conv2d {name}" for name in run.CONV_CASES] + ["max_pool2d 2×2, 64×16×28²"]
    for case in compared:  # minidl vs torch (when installed) and vs both NumPy references
        assert len(re.findall(NUMBER + "×", rows[case])) == 2 + HAVE_TORCH, rows[case]
    assert any(case.startswith("LeNet-5 SGD step") for case in rows)
    assert any(case.startswith("LeNet-5 epoch, MNIST") for case in rows)
    assert re.search(rf"SGEMM \(2048², float32\): {NUMBER} GFLOP/s", table)


@pytest.mark.skipif(not HAVE_TORCH, reason="the RNN suite compares with torch")
def test_rnn_suite_prints_both_cases():
    table = rnn.main(["--threads", "1", "--repeats", "2", "--warmup", "1"])
    for case in ("LSTM(64, 128) step", "char model epoch"):
        row = next(line for line in table.splitlines() if line.startswith(f"| {case}"))
        assert re.search(rf"\| 1 \| {NUMBER} \| {NUMBER} \| {NUMBER}× \| (yes|no) \|", row), row


def test_jit_suite_prints_every_case():
    from benchmarks import jit

    table = jit.main(["--repeats", "2"])
    for case in ("GELU chain", "MLP 784-512-10", "LeNet-5"):
        row = next(line for line in table.splitlines() if line.startswith(f"| {case}"))
        assert re.search(rf"\| {NUMBER} \| {NUMBER} \| {NUMBER}× \|", row), row
