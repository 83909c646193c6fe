"""``python -m benchmarks [--quick] [--reference MODULE ...] [--no-write]``: the CPU suite
(benchmarks.run); ``python -m benchmarks --device cuda [...]``: each chapter's training step
on the CPU and the GPU (benchmarks.device)."""

import sys

if "--device" in sys.argv[1:]:
    from benchmarks.device import main
else:
    from benchmarks.run import main

main()
