#!/usr/bin/env python3
"""Set up the course and run it: one command each, with nothing but Python ≥ 3.10 and pip.

    python course.py lab     # set up .venv (first time only), open JupyterLab on notebooks/
    python course.py test    # set up .venv, then run the whole test suite (what CI runs):
                             # ruff; pytest on tests/ and the notebooks with the solutions;
                             # the notebooks again on the untouched exercise stubs,
                             # under another OpenBLAS kernel and one thread; tests/cuda
                             # under numba's CUDA simulator; the CUDA kernels compiled
                             # for a real GPU (where libnvvm is installed)
    python course.py setup   # only set up

Set-up creates a virtual environment in ``.venv`` beside this file and installs
minidl in editable mode with everything the notebooks and tests need. It is
repeated only when pyproject.toml changes. ``test`` also installs the PyTorch
CPU build used as an optional oracle (set ``MINIDL_NO_TORCH=1`` to skip it; the
comparisons are then skipped). Uses only the standard library.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
TORCH_REQUIREMENT = "torch==2.13.0"
NBVAL = ["--nbval-lax", "--nbval-sanitize-with", "notebooks/nbval_sanitize.cfg"]
# 1. the framework, the course engine and every exercise graded on the solutions, plus the
#    notebooks run with the solutions plugged in, on the machine's own BLAS settings;
# 2. the notebooks again as a learner first meets them, on the exercise stubs, with another
#    OpenBLAS kernel and one BLAS thread: a checked output that depends on float32 digits
#    (which differ between CPUs, BLAS kernels and thread counts) fails here, not on the
#    next machine (see other_blas_settings);
# 3. tests/cuda (the CUDA kernels, CUDA tensors and models on cuda) under numba's CUDA
#    simulator, which must be switched on before numba is imported: hence its own process.
#    Run 1 skips tests/cuda unless the machine has a GPU, where they run for real.
# 4. the same kernel tests compiled for a real GPU (cc 9.0) by numba's CUDA compiler instead
#    of run (tests/cuda/ptx_check.py): what the simulator cannot see, such as a builtin that
#    does not compile for the device. Needs NVIDIA's libnvvm; without it, it says so and stops.
# Runs 2, 3 and 4 use one core each: 3 and 4 (marked "beside") run in the background while
# 2 runs; their output is printed when all have finished.
TEST_RUNS = [
    ({}, ["-m", "pytest", "tests", "notebooks", *NBVAL, "--impl", "solutions",
          "-p", "no:cacheprovider"]),
    ({"NUMBA_ENABLE_CUDASIM": "1", "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1",
      "BESIDE": "1"}, ["-m", "pytest", "tests/cuda", "-p", "no:cacheprovider"]),
    ({"PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'tests' / 'cuda'}", "OPENBLAS_NUM_THREADS": "1",
      "BESIDE": "1"},
     ["-m", "pytest", *sorted(str(p.relative_to(ROOT)) for p in
                              (ROOT / "tests" / "cuda").glob("test_kernels_*.py")),
      "-p", "ptx_check", "-q", "-p", "no:cacheprovider"]),
    ({"MINIDL_IMPL": "exercises", "OTHER_BLAS": "1"},
     ["-m", "pytest", "notebooks", *NBVAL, "-p", "no:cacheprovider"]),
]


def cpu_flags() -> set[str]:
    """The instruction-set flags of this CPU (empty where /proc/cpuinfo does not exist)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    return {flag for line in text.splitlines() if line.startswith("flags")
            for flag in line.split(":", 1)[1].split()}


def blas_kernel(python: Path, env: dict[str, str]) -> str:
    """The OpenBLAS kernel NumPy runs under ``env`` ('' when it cannot tell)."""
    probe = ("from threadpoolctl import threadpool_info; import numpy; "
             "print(next((i.get('architecture') or '' for i in threadpool_info() "
             "if i.get('internal_api') == 'openblas'), ''))")
    result = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, env=env)
    return result.stdout.strip()


def other_blas_settings(python: Path) -> dict[str, str]:
    """Settings for a second run whose BLAS differs from the machine's own: another OpenBLAS
    kernel that this CPU supports (a kernel the CPU lacks would crash) and one thread.

    The machine's own ``OPENBLAS_CORETYPE`` (some machines set it) is left alone in the first
    run; here it is replaced.
    """
    current = blas_kernel(python, dict(os.environ)).lower()
    flags = cpu_flags()
    candidates = [("Haswell", "avx2"), ("SkylakeX", "avx512f"), ("Sandybridge", "avx"),
                  ("Nehalem", "sse4_2")]
    kernel = next((name for name, flag in candidates
                   if flag in flags and name.lower() != current), None)
    settings = {"OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    if kernel:
        settings["OPENBLAS_CORETYPE"] = kernel
    return settings


def venv_python() -> Path:
    scripts = "Scripts" if os.name == "nt" else "bin"
    return VENV / scripts / ("python.exe" if os.name == "nt" else "python")


def run(*args: str | Path) -> None:
    print("$", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True)


def setup(with_torch: bool) -> Path:
    """Create .venv and install minidl[dev] (and torch) unless already done."""
    if sys.version_info < (3, 10):  # noqa: UP036 (this script may be run by an old Python)
        sys.exit(f"minidl needs Python ≥ 3.10; this is {sys.version.split()[0]}")
    python = venv_python()
    if not python.exists():
        print(f"Creating a virtual environment in {VENV} …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp = VENV / ".minidl-installed"
    if not stamp.exists() or stamp.read_text() != wanted:
        run(python, "-m", "pip", "install", "--upgrade", "pip")
        run(python, "-m", "pip", "install", "-e", ".[dev]")
        stamp.write_text(wanted)
    save_widget_state()
    if with_torch and os.environ.get("MINIDL_NO_TORCH") != "1":
        probe = subprocess.run([python, "-c", "import torch"], capture_output=True)
        if probe.returncode != 0:
            run(python, "-m", "pip", "install", TORCH_REQUIREMENT)
    return python


def save_widget_state() -> None:
    """Make JupyterLab save widget state with the notebook.

    Without it, a notebook reopened with a fresh kernel shows "Error displaying widget:
    model not found" where its widgets were; with it, it shows their last picture.
    """
    overrides = VENV / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    settings = json.loads(overrides.read_text()) if overrides.exists() else {}
    settings["@jupyter-widgets/jupyterlab-manager:plugin"] = {"saveState": True}
    overrides.parent.mkdir(parents=True, exist_ok=True)
    overrides.write_text(json.dumps(settings, indent=2) + "\n")


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "lab"
    if command not in {"lab", "test", "setup"}:
        print(__doc__)
        return 2
    python = setup(with_torch=command == "test")
    if command == "lab":
        lab = [str(python), "-m", "jupyter", "lab", "notebooks", *argv[1:]]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers often run as root
            lab.append("--allow-root")
        os.execv(str(python), lab)
    if command == "test":
        run(python, "-m", "ruff", "check", "minidl", "tests", "solutions", "exercises",
            "benchmarks", "notebooks/conftest.py", "course.py")
        failed, beside = 0, []
        for env, args in TEST_RUNS:
            env = dict(env)
            if env.pop("OTHER_BLAS", None):
                env.update(other_blas_settings(python))
            in_background = bool(env.pop("BESIDE", None))
            full_env = {**os.environ, **env}
            settings = [f"{key}={value}" for key, value in env.items()]
            print("$", *settings, python, *args, *argv[1:],
                  "(in the background, output below when it ends)" if in_background else "",
                  flush=True)
            print(f"  (OpenBLAS kernel: {blas_kernel(python, full_env) or 'unknown'})", flush=True)
            command = [str(python), *args, *argv[1:]]
            if in_background:
                log = tempfile.TemporaryFile()
                beside.append((subprocess.Popen(command, cwd=ROOT, env=full_env, stdout=log,
                                                stderr=subprocess.STDOUT), log, settings))
                continue
            result = subprocess.run(command, cwd=ROOT, env=full_env)
            failed = failed or result.returncode
        for process, log, settings in beside:
            code = process.wait()
            log.seek(0)
            print("\n# output of", *settings, "…", flush=True)
            sys.stdout.buffer.write(log.read())
            sys.stdout.flush()
            failed = failed or code
        return failed
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode or 1)
