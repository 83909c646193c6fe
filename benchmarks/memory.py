"""Peak resident memory of a training epoch, minidl vs PyTorch CPU: ``python -m benchmarks.memory``.

Two workloads, the ones the speed benchmarks time: a LeNet-5 SGD epoch over MNIST's
training digits (benchmarks.run) and an Adam epoch of chapter 4's character model
(benchmarks.rnn). Each (workload, framework) pair runs in its own fresh process, which
imports NumPy and that one framework only (the data are prepared here and handed over as
an ``.npz``), runs one warm-up epoch (Numba compiles or loads its kernels, allocators and
caches fill), resets the kernel's peak-RSS counter (``/proc/self/clear_refs``), and then
runs the measured epoch. Reported: the process's peak resident set during that epoch
(``VmHWM``: interpreter + libraries + data + model + the epoch's temporaries and whatever
the allocators kept from the warm-up), and that peak minus the resident set measured after
the imports and the data were loaded (the memory training itself holds).
Linux only (``/proc``). ``--write`` puts the table into benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
WORKLOADS = ("lenet", "char")


def status_mb(field: str) -> float:
    """A ``VmRSS``/``VmHWM`` line of /proc/self/status, in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/self/status has no {field}")


def child(workload: str, lib_name: str, data_path: str) -> dict[str, float]:
    """Run in a fresh process: warm-up epoch, reset the peak, measured epoch (MiB)."""
    data = np.load(data_path, allow_pickle=False)
    if lib_name == "torch":
        import torch as lib

        lib.set_num_threads(os.cpu_count() or 1)
    else:
        import minidl as lib
    base = status_mb("VmRSS")  # interpreter, NumPy, the framework and the data
    if workload == "lenet":
        from benchmarks.run import lenet_epoch_fn

        epoch = lenet_epoch_fn(lib, data["images"], data["labels"])
    else:
        from benchmarks.rnn import char_case

        _, epoch = char_case(lib, data["inputs"], data["targets"], int(data["vocab_size"]))
    epoch()
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    epoch()
    peak = status_mb("VmHWM")
    return {"peak": peak, "base": base, "training": peak - base}


def prepare(directory: Path) -> tuple[dict[str, Path], dict[str, str]]:
    """The workloads' data as .npz files, and a description of each."""
    from benchmarks.rnn import char_windows
    from minidl.data import load_mnist

    images, labels, source = load_mnist("train", verbose=False)
    inputs, targets, vocab_size = char_windows()
    paths = {"lenet": directory / "lenet.npz", "char": directory / "char.npz"}
    np.savez(paths["lenet"], images=images, labels=labels)
    np.savez(paths["char"], inputs=inputs, targets=targets, vocab_size=vocab_size)
    names = {"lenet": f"LeNet-5 SGD epoch, MNIST {source} ({len(labels):,} digits, batch 64)",
             "char": f"char model Adam epoch ({len(inputs) // 32} steps of 32×64, V={vocab_size})"}
    return paths, names


def measure(workload: str, lib_name: str, data_path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.memory", "--child", workload, lib_name, str(data_path)],
        cwd=HERE.parent, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--child", nargs=3, metavar=("WORKLOAD", "LIB", "DATA"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--workloads", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    args = parser.parse_args(argv)
    if args.child:
        result = child(*args.child)
        print(json.dumps(result))
        return json.dumps(result)
    lines = [
        f"Command: `{' '.join(['python -m benchmarks.memory'] + (argv or sys.argv[1:]))}`; "
        "each run in a fresh process after one warm-up epoch; MiB.",
        "",
        "| epoch | minidl peak RSS | torch peak RSS | minidl / torch | minidl training "
        "(peak − imports & data) | torch training | target 1.5× (peak) |",
        "|---|---:|---:|---:|---:|---:|:---:|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        paths, names = prepare(Path(tmp))
        for workload in args.workloads:
            ours = measure(workload, "minidl", paths[workload])
            theirs = measure(workload, "torch", paths[workload])
            ratio = ours["peak"] / theirs["peak"]
            lines.append(f"| {names[workload]} | {ours['peak']:.0f} | {theirs['peak']:.0f} | "
                         f"{ratio:.2f}× | {ours['training']:.0f} | {theirs['training']:.0f} | "
                         f"{'yes' if ratio <= 1.5 else 'no'} |")
    table = "\n".join(lines)
    print(table)
    if args.write:
        from benchmarks.run import write_results

        write_results(table, marker="memory results")
    return table


if __name__ == "__main__":
    main()
