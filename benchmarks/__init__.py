"""Speed of minidl's kernels and a LeNet step, beside NumPy references and PyTorch CPU.

Run ``python -m benchmarks`` (``--quick`` for fewer repeats) from the repository root.
"""
