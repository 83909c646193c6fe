"""The benchmark suites still run end to end and print every case (no time is asserted:
speed is read from their tables, see benchmarks/README.md)."""

from __future__ import annotations

import importlib.util
import itertools
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


@pytest.mark.skipif(not HAVE_TORCH, reason="the GAN suite compares with torch")
def test_gan_suite_prints_every_case():
    from benchmarks import gan

    table = gan.main(["--threads", "1", "2", "--repeats", "1", "--warmup", "1", "--cpu-time"])
    assert "process CPU time" in table   # and one thread only: CPU time adds up all threads
    assert not re.search(r"\| 2 \|", table)
    cases = [f"{name}, batch {gan.BATCH}" for name in gan.TRANSPOSED_CASES]
    for case in cases + ["DCGAN step (G and D)"]:
        row = next(line for line in table.splitlines() if line.startswith(f"| {case}"))
        assert re.search(rf"\| 1 \| {NUMBER} \| {NUMBER} \| {NUMBER}× \| [\d.]+×: (yes|no) \|",
                         row), row


@pytest.mark.skipif(not HAVE_TORCH, reason="the grid compares with torch")
def test_conv_grid_quick_prints_every_case_and_the_summary(monkeypatch):
    from benchmarks import conv_grid

    monkeypatch.setattr(conv_grid, "write_results", lambda *a, **k: pytest.fail("wrote"))
    table = conv_grid.main(["--quick"])
    cases = conv_grid.sample_grid(16, 0.02)
    assert {(c.k, c.stride, c.input_grad) for c in cases} == set(
        itertools.product(conv_grid.KERNELS, conv_grid.STRIDES, (True, False)))
    for case in cases:
        row = next(line for line in table.splitlines() if line.startswith(f"| {case.label()} |"))
        assert len(re.findall(NUMBER + "×", row)) == 3, row  # conv, pool and batch norm
    for op in conv_grid.OPS:
        assert re.search(rf"\*\*{op}\*\*: minidl / torch worst {NUMBER}×, median {NUMBER}×, "
                         rf"best {NUMBER}× over 16 cases \(\d+ within 1\.5×\); worst case \d+×",
                         table), op


@pytest.mark.skipif(not HAVE_TORCH, reason="the memory table compares with torch")
def test_memory_table_measures_both_frameworks_in_their_own_processes():
    from benchmarks import memory

    table = memory.main(["--workloads", "char"])
    row = next(line for line in table.splitlines() if line.startswith("| char model"))
    peaks = [float(v) for v in row.split(" | ")[1:3]]
    assert all(p > 50 for p in peaks), row  # an interpreter with NumPy alone holds > 50 MiB
    assert re.search(rf"\| {NUMBER}× \|", row), row


@pytest.mark.skipif(not HAVE_TORCH, reason="the transformer suite compares with torch")
def test_transformer_suite_prints_both_cases_and_the_curve_check():
    from benchmarks import transformer

    table = transformer.main(["--threads", "1", "--repeats", "1", "--warmup", "1",
                              "--curve-steps", "4"])
    for case in ("GPT training step", "MultiheadAttention(128, 4)"):
        row = next(line for line in table.splitlines() if line.startswith(f"| {case}"))
        assert re.search(rf"\| 1 \| {NUMBER} \| {NUMBER} \| {NUMBER}× \| (yes|no) \|", row), row
    assert re.search(r"largest gap over the last 10 % of steps \d+\.\d+ % \((within|OVER) 1 %\)",
                     table)


def test_jit_suite_prints_every_case():
    from benchmarks import jit

    table = jit.main(["--repeats", "2"])
    for case in ("GELU chain", "MLP 784-512-10", "LeNet-5"):
        row = next(line for line in table.splitlines() if line.startswith(f"| {case}"))
        assert re.search(rf"\| {NUMBER} \| {NUMBER} \| {NUMBER}× \|", row), row


def test_device_suite_says_there_is_nothing_to_measure_without_a_gpu():
    import minidl
    from benchmarks import device

    if minidl.cuda.is_available():
        pytest.skip("a CUDA device (or the simulator) is here: tests/cuda runs the suite")
    assert device.main([]).startswith("No CUDA device here")
