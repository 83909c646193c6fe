"""Traced vs eager graphs: ``python -m benchmarks.jit [--repeats N]``.

Three inference cases (under ``no_grad``), each run eagerly and through ``minidl.jit.trace``
(dead-node elimination + elementwise fusion), and, when PyTorch is installed, by PyTorch eager
and ``torch.jit.trace`` from the same weights:

* **GELU chain**: GELU's tanh approximation written with 8 primitive ops on a (256, 1024)
  float32 batch. Eagerly: 8 passes over memory and 7 temporaries; traced: one Numba loop.
* **MLP**: Linear(784, 512) → GELU chain → Linear(512, 10) on a batch of 256.
* **LeNet-5**: chapter 3's network on a batch of 256 (convolutions dominate; there is no
  elementwise chain to fuse, so this shows what replaying without Python module calls gives).

Each time is the fastest of 3 block medians of ``--repeats`` calls after warm-up (see
benchmarks.timing). The numbers are printed, not written anywhere: on a shared machine they
are noisy, so compare ratios and rerun.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
from collections.abc import Callable

import numba
import numpy as np

import minidl
from benchmarks.timing import median_time
from minidl import jit, nn

C0, C1 = 0.7978845608, 0.044715


def gelu_chain(x):  # noqa: ANN001, ANN201 (minidl or torch tensors alike)
    return 0.5 * x * (1 + (C0 * (x + C1 * x ** 3)).tanh())


def models(lib):  # noqa: ANN001, ANN201
    """The MLP and LeNet-5, built with ``lib`` (minidl or torch); seeded weights are copied
    from minidl into torch by the caller."""
    lib_nn = lib.nn

    class GELUChain(lib_nn.Module):
        def forward(self, x):  # noqa: ANN001, ANN202
            return gelu_chain(x)

    mlp = lib_nn.Sequential(lib_nn.Linear(784, 512), GELUChain(), lib_nn.Linear(512, 10))
    lenet = lib_nn.Sequential(
        lib_nn.Conv2d(1, 6, 5, padding=2), lib_nn.ReLU(), lib_nn.MaxPool2d(2),
        lib_nn.Conv2d(6, 16, 5), lib_nn.ReLU(), lib_nn.MaxPool2d(2), lib_nn.Flatten(),
        lib_nn.Linear(400, 120), lib_nn.ReLU(), lib_nn.Linear(120, 84), lib_nn.ReLU(),
        lib_nn.Linear(84, 10))
    return {"MLP 784-512-10, GELU chain, batch 256": (mlp, (256, 784)),
            "LeNet-5, batch 256": (lenet, (256, 1, 28, 28))}


def cases(lib) -> dict[str, tuple[Callable, tuple[int, ...]]]:  # noqa: ANN001
    out = {"GELU chain (8 ops), 256×1024": (gelu_chain, (256, 1024))}
    out.update(models(lib))
    return out


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    torch = None
    if importlib.util.find_spec("torch") and not os.environ.get("MINIDL_NO_TORCH"):
        import torch
        torch.set_num_threads(numba.get_num_threads())   # the same pool size as minidl
    minidl.manual_seed(0)
    mine = cases(minidl)
    theirs = cases(torch) if torch else {}
    rng = np.random.default_rng(0)
    header = "| case | minidl eager ms | minidl traced ms | speed-up |"
    header += " torch eager ms | torch.jit.trace ms |" if torch else ""
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for name, (fn, shape) in mine.items():
        data = rng.standard_normal(shape).astype(np.float32)
        x = minidl.tensor(data)
        traced = jit.trace(fn, x)
        with minidl.no_grad():
            np.testing.assert_allclose(traced(x).numpy(), fn(x).numpy(), rtol=1e-4, atol=1e-5)
            eager_s = median_time(lambda: fn(x), args.repeats, warmup=3)   # noqa: B023
            traced_s = median_time(lambda: traced(x), args.repeats, warmup=3)   # noqa: B023
        row = (f"| {name} | {eager_s * 1e3:.2f} | {traced_s * 1e3:.2f} | "
               f"{eager_s / traced_s:.2f}× |")
        if torch:
            tfn = theirs[name][0]
            if isinstance(fn, nn.Module):
                tfn.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                                     for k, v in fn.state_dict().items()})
            tx = torch.from_numpy(data)
            with torch.no_grad():
                ttraced = torch.jit.trace(tfn, tx)
                torch_s = median_time(lambda: tfn(tx), args.repeats, warmup=3)   # noqa: B023
                ttraced_s = median_time(lambda: ttraced(tx), args.repeats, warmup=3)   # noqa: B023
            row += f" {torch_s * 1e3:.2f} | {ttraced_s * 1e3:.2f} |"
        lines.append(row)
    table = "\n".join(lines)
    print(f"load average {os.getloadavg()[0]:.1f}; fastest of 3 block medians of "
          f"{args.repeats} calls")
    print(table)
    return table


if __name__ == "__main__":
    main()
