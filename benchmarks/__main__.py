"""``python -m benchmarks [--quick] [--reference MODULE ...] [--no-write]``."""

from benchmarks.run import main

main()
