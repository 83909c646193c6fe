# Your workbook, generated from solutions/ch03_cnn.py
# by `python -m minidl.course sync`. Replace each `raise NotImplementedError(...)` with
# your code; sync keeps your edits when the course changes. Check your work with
# check("N.M") in the notebook or `python -m minidl.grade N.M` in a terminal.
"""Chapter 3: convolutional networks (notebooks/03_cnn.ipynb).

Exercise 3.1 is the output-size arithmetic of a convolution. Exercises 3.2–3.7 are the
kernels of a convolutional network written in readable NumPy: im2col, the convolution as
a matrix product, col2im and the convolution's three gradients, max pooling forward and
backward. They have the names and signatures of minidl's kernels, so after
``minidl.use_exercises()`` minidl (and the LeNet-5 of the notebook) runs your versions.
Exercise 3.8 turns a Python loop into a parallel Numba kernel; exercise 3.9 is batch
normalisation's forward pass (also a minidl kernel). Exercises 3.10–3.12 are average
pooling forward and backward and batch normalisation's backward pass, minidl kernels too.

Arrays are NumPy arrays; images are batches of shape (N, C, H, W) ("NCHW", as in
PyTorch). A ``Pair`` is a tuple (value along H, value along W).
"""

from __future__ import annotations

import numba
import numpy as np

from minidl.course import exercise

Pair = tuple[int, int]


@exercise("3.1", section="Padding, stride and dilation")
def conv2d_output_size(
    in_size: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> int:
    """The length of a convolution's output along one axis.

    Count the positions at which the window fits inside the padded input (section "Padding,
    stride and dilation"; work out first how many input positions a dilated kernel spans).

    Args:
        in_size: H or W of the input, ≥ 1.
        kernel_size, stride, dilation: ≥ 1; padding ≥ 0 (all ints).

    Returns:
        The output length, a Python int (≥ 1 for every case the tests use).

    Hint: check your expression on the table the notebook prints (28×28 with several
    settings) and on a case you count by hand, e.g. in_size 5, kernel 3, stride 2.
    """
    raise NotImplementedError(
        "Exercise 3.1 (conv2d_output_size): see "
        "notebooks/03_cnn.ipynb, section 'Padding, stride and dilation'"
    )


@exercise("3.2", section="Convolution as a matrix product")
def im2col(
    x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair, dilation: Pair
) -> np.ndarray:
    """Copy every (C, kh, kw) window of ``x`` into a column of a matrix.

    Pad x with ph / pw zeros on each side (x_pad). The window of output position (oh, ow)
    holds the C·kh·kw values x_pad[n, c, oh·sh + i·dh, ow·sw + j·dw] for c < C, i < kh,
    j < kw. Column oh·OW + ow of image n's matrix is that window, in the order (c, i, j):

        cols[n, (c·kh + i)·kw + j, oh·OW + ow] = x_pad[n, c, oh·sh + i·dh, ow·sw + j·dw]

    Args:
        x: (N, C, H, W), float32 or float64.
        kernel_size (kh, kw), stride (sh, sw), padding (ph, pw), dilation (dh, dw): pairs.

    Returns:
        cols: (N, C·kh·kw, OH·OW), dtype of x, where OH and OW come from your
        conv2d_output_size (exercise 3.1).

    Hint: loop over the kh·kw kernel offsets (i, j) only. For one offset, the values for
    all output positions are one strided slice of x_pad:
    ``xp[:, :, i*dh : i*dh + sh*(OH-1) + 1 : sh, j*dw : j*dw + sw*(OW-1) + 1 : sw]``
    of shape (N, C, OH, OW). Fill an array of shape (N, C, kh, kw, OH, OW) offset by offset,
    then reshape it: the order (c, i, j) of the rows is exactly that reshape.
    """
    raise NotImplementedError(
        "Exercise 3.2 (im2col): see "
        "notebooks/03_cnn.ipynb, section 'Convolution as a matrix product'"
    )


@exercise("3.3", section="Convolution as a matrix product")
def conv2d_forward(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
) -> np.ndarray:
    """A 2-D convolution layer's forward pass (a cross-correlation, as in PyTorch).

        y[n, o, oh, ow] = b[o] + Σ_{c, i, j} W[o, c, i, j] · x_pad[n, c, oh·sh + i·dh, ow·sw + j·dw]

    With cols = im2col(x) that is one matrix product per image:
    y[n] = W.reshape(O, C·kh·kw) @ cols[n] + b[:, None], of shape (O, OH·OW).

    Args:
        x: (N, C, H, W); weight W: (O, C, kh, kw); bias b: (O,) or None (no bias).
        stride, padding, dilation: pairs (along H, along W).

    Returns:
        y: (N, O, OH, OW), dtype of x.

    Hint: use your im2col (exercise 3.2). ``A @ B`` with A (O, K) and B (N, K, L)
    broadcasts A over the N images and gives (N, O, L).
    """
    raise NotImplementedError(
        "Exercise 3.3 (conv2d_forward): see "
        "notebooks/03_cnn.ipynb, section 'Convolution as a matrix product'"
    )


@exercise("3.4", section="Backpropagation through a convolution")
def col2im(
    cols: np.ndarray,
    input_shape: tuple[int, int, int, int],
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
) -> np.ndarray:
    """The adjoint of im2col: add every entry of ``cols`` back onto the pixel it came from.

    im2col copied x_pad[n, c, oh·sh + i·dh, ow·sw + j·dw] into
    cols[n, (c·kh + i)·kw + j, oh·OW + ow]. col2im goes the other way and ADDS:

        out_pad[n, c, oh·sh + i·dh, ow·sw + j·dw] += cols[n, (c·kh + i)·kw + j, oh·OW + ow]

    over all (c, i, j, oh, ow); a pixel that lies in several windows receives the sum of
    all its copies. Finally the padding is cut off: out = out_pad[:, :, ph:ph+H, pw:pw+W].

    Args:
        cols: (N, C·kh·kw, OH·OW).
        input_shape: (N, C, H, W), the shape of the x that im2col unfolded.
        kernel_size, stride, padding, dilation: pairs, as for im2col.

    Returns:
        (N, C, H, W), dtype of cols.

    Hint: reshape cols to (N, C, kh, kw, OH, OW) and, for each kernel offset (i, j), add
    ``c6[:, :, i, j]`` into the same strided slice of a zero (N, C, H + 2ph, W + 2pw)
    array that im2col read from. Within one offset the slice never hits a pixel twice, so
    ``+=`` is safe there.
    """
    raise NotImplementedError(
        "Exercise 3.4 (col2im): see "
        "notebooks/03_cnn.ipynb, section 'Backpropagation through a convolution'"
    )


@exercise("3.5", section="Backpropagation through a convolution")
def conv2d_backward(
    grad: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray,
    stride: Pair,
    padding: Pair,
    dilation: Pair,
    has_bias: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The three gradients of y = conv2d(x, W) + b, given grad = dL/dy.

    Per image the forward pass was Y[n] = W2 @ cols[n] + b, with W2 = W.reshape(O, K),
    K = C·kh·kw, cols = im2col(x) and Y[n] = y[n].reshape(O, OH·OW). With G[n] the same
    reshape of grad[n], the matrix-product rule gives

        dL/dW2   = Σ_n G[n] @ cols[n]ᵀ                 (O, K)
        dL/db    = Σ_{n, oh, ow} grad[n, :, oh, ow]     (O,)
        dL/dcols = W2ᵀ @ G[n]  for every n              (N, K, OH·OW)
        dL/dx    = col2im(dL/dcols)                     (N, C, H, W)

    Args:
        grad: (N, O, OH, OW); x: (N, C, H, W); weight: (O, C, kh, kw).
        stride, padding, dilation: pairs, as in the forward pass.
        has_bias: whether the layer has a bias (else its gradient is None).

    Returns:
        ``(grad_x, grad_weight, grad_bias)``: shapes (N, C, H, W), (O, C, kh, kw) and (O,)
        or None, all of the dtype of x.

    Hint: use your im2col and col2im (exercises 3.2 and 3.4); ``cols.transpose(0, 2, 1)``
    is cols[n]ᵀ for every n; sum the N per-image products at the end.
    """
    raise NotImplementedError(
        "Exercise 3.5 (conv2d_backward): see "
        "notebooks/03_cnn.ipynb, section 'Backpropagation through a convolution'"
    )


@exercise("3.6", section="Pooling")
def max_pool2d_forward(
    x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair
) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling: the largest value of every (kh, kw) window, and where it was.

        y[n, c, oh, ow] = max_{i < kh, j < kw} x_pad[n, c, oh·sh + i, ow·sw + j]

    x_pad is x padded with −∞ (so the padding never wins). OH and OW are your
    conv2d_output_size with dilation 1. ``indices[n, c, oh, ow]`` is the flat position
    h·W + w, inside the unpadded (H, W) plane, of the maximum (PyTorch's
    ``return_indices=True``); when several values tie, the first in row-major order wins.

    Args:
        x: (N, C, H, W), float32 or float64; padding ≤ half the kernel size.
        kernel_size (kh, kw), stride (sh, sw), padding (ph, pw): pairs.

    Returns:
        ``(y, indices)``: y (N, C, OH, OW) of the dtype of x, indices (N, C, OH, OW) int64.

    Hint: as in im2col, loop over the kernel offsets (i, j) in row-major order; keep the
    best value so far and replace it where the new slice is strictly greater (``>``: ties
    keep the earlier position). A (H, W) array ``np.arange(H*W).reshape(H, W)``, padded
    and sliced the same way, gives the flat positions.
    """
    raise NotImplementedError(
        "Exercise 3.6 (max_pool2d_forward): see "
        "notebooks/03_cnn.ipynb, section 'Pooling'"
    )


@exercise("3.7", section="Pooling")
def max_pool2d_backward(
    grad: np.ndarray, indices: np.ndarray, input_shape: tuple[int, int, int, int]
) -> np.ndarray:
    """Max pooling's backward pass: each output's gradient goes to its maximum's input pixel.

    Only the winner of a window influenced the output, with slope 1, so

        dx[n, c].flat[indices[n, c, oh, ow]] += grad[n, c, oh, ow]

    for every output position; all other pixels get 0. When windows overlap (stride <
    kernel), one pixel can win several windows and then receives the sum of their
    gradients.

    Args:
        grad: (N, C, OH, OW), dL/dy; indices: (N, C, OH, OW) int64 from max_pool2d_forward.
        input_shape: (N, C, H, W).

    Returns:
        dL/dx: (N, C, H, W), dtype of grad.

    Hint: view dx as (N·C, H·W). Fancy-index assignment ``dx[rows, cols] += g`` adds only
    once per repeated index; ``np.add.at(dx, (rows, cols), g)`` adds every occurrence.
    """
    raise NotImplementedError(
        "Exercise 3.7 (max_pool2d_backward): see "
        "notebooks/03_cnn.ipynb, section 'Pooling'"
    )


@exercise("3.8", section="Making it fast: a parallel Numba kernel")
@numba.njit(cache=True, parallel=True)
def correlate2d(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """A one-channel 2-D cross-correlation ("valid": no padding, stride 1), as a parallel
    Numba kernel.

    This is conv2d for one image, one input and one output channel: the sum in section
    "Convolution: a filter sliding over the image". Write it as explicit loops over the
    output positions and the kernel taps, which Numba compiles to machine code; keep the
    decorator ``@numba.njit(cache=True, parallel=True)`` and spread the output rows over
    the CPU cores (section "Making it fast: a parallel Numba kernel" gives the rules).

    Args:
        image: (H, W), float32 or float64.
        kernel: (kh, kw), the same dtype, kh ≤ H and kw ≤ W.

    Returns:
        out: (H − kh + 1, W − kw + 1), dtype of image.

    Hint: inside ``@njit`` only NumPy arrays, numbers and ``range``/``numba.prange`` work (no
    Python lists); iterations of a ``prange`` loop must not write anything another
    iteration reads.
    """
    raise NotImplementedError(
        "Exercise 3.8 (correlate2d): see "
        "notebooks/03_cnn.ipynb, section 'Making it fast: a parallel Numba kernel'"
    )


@exercise("3.9", section="Batch normalisation")
def batch_norm_forward(
    x: np.ndarray,
    weight: np.ndarray | None,
    bias: np.ndarray | None,
    running_mean: np.ndarray | None,
    running_var: np.ndarray | None,
    training: bool,
    momentum: float,
    eps: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Batch normalisation's forward pass, per channel c (axis 1).

    Training (``training=True``): μ_c and σ²_c are the mean and the biased variance of the
    M = N·H·W values of channel c in this batch (M = N for x of shape (N, C)), and the
    running statistics, when given, move towards them:

        running_mean ← (1 − momentum) · running_mean + momentum · μ
        running_var  ← (1 − momentum) · running_var  + momentum · σ² · M / (M − 1)

    (the running variance uses the unbiased estimate, as PyTorch does). Evaluation
    (``training=False``): μ and σ² ARE running_mean and running_var, which stay unchanged.
    In both modes

        invstd = 1 / √(σ² + eps),   y = γ · (x − μ) · invstd + β

    with γ = weight and β = bias (γ = 1 and β = 0 when they are None).

    Args:
        x: (N, C) or (N, C, H, W), float32 or float64.
        weight, bias, running_mean, running_var: (C,) each, or None (running statistics are
            always given when ``training`` is False).
        momentum: in [0, 1]; eps: > 0, added to the variance.

    Returns:
        ``(y, mean, invstd, new_running_mean, new_running_var)``: y like x; mean μ and
        invstd, shape (C,), dtype of x (the backward pass reuses them); the new running
        statistics as NEW arrays of the dtype of the old ones (in evaluation: the old ones;
        None when they are None). Do not modify any argument in place.

    Hint: reduce over ``axes = (0,) + tuple(range(2, x.ndim))``; reshape (C,) vectors to
    ``(1, C) + (1,) * (x.ndim - 2)`` so they broadcast against x. Compute the statistics
    in float64 (``x.mean(axis=axes, dtype=np.float64)``) and cast the results at the end.
    """
    raise NotImplementedError(
        "Exercise 3.9 (batch_norm_forward): see "
        "notebooks/03_cnn.ipynb, section 'Batch normalisation'"
    )


@exercise("3.10", section="Pooling")
def avg_pool2d_forward(
    x: np.ndarray, kernel_size: Pair, stride: Pair, padding: Pair
) -> np.ndarray:
    """Average pooling: the mean of every (kh, kw) window of every channel.

    The formula is in section "Pooling". Padding counts as zeros in the average (PyTorch's
    default ``count_include_pad=True``): every window is divided by kh·kw. OH and OW are your
    conv2d_output_size with dilation 1.

    Args:
        x: (N, C, H, W), float32 or float64; padding ≤ half the kernel size.
        kernel_size (kh, kw), stride (sh, sw), padding (ph, pw): pairs of ints.

    Returns:
        y: (N, C, OH, OW), dtype of x, a new array.

    Hint: the same loop over kernel offsets as your max pooling (exercise 3.6).
    """
    raise NotImplementedError(
        "Exercise 3.10 (avg_pool2d_forward): see "
        "notebooks/03_cnn.ipynb, section 'Pooling'"
    )


@exercise("3.11", section="Pooling")
def avg_pool2d_backward(
    grad: np.ndarray,
    input_shape: tuple[int, int, int, int],
    kernel_size: Pair,
    stride: Pair,
    padding: Pair,
) -> np.ndarray:
    """Average pooling's backward pass: dL/dx from dL/dy.

    Derive it from the forward formula (section "Pooling"): which outputs does one input
    pixel influence, and with which slope? Windows may overlap (stride < kernel) and may
    reach into the padding, whose gradient is dropped.

    Args:
        grad: (N, C, OH, OW), dL/dy, float32 or float64.
        input_shape: (N, C, H, W); kernel_size, stride, padding: pairs, as in forward.

    Returns:
        dL/dx: (N, C, H, W), dtype of grad, a new array.
    """
    raise NotImplementedError(
        "Exercise 3.11 (avg_pool2d_backward): see "
        "notebooks/03_cnn.ipynb, section 'Pooling'"
    )


@exercise("3.12", section="Batch normalisation")
def batch_norm_backward(
    grad: np.ndarray,
    x: np.ndarray,
    weight: np.ndarray | None,
    save_mean: np.ndarray,
    save_invstd: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Training-mode batch normalisation's backward pass, where μ and σ² depend on x.

    Section "Batch normalisation: the backward pass" sets up the derivation: x reaches the
    loss directly and through the batch statistics, and the three paths add up.

    Args:
        grad: dL/dy, like x; x: (N, C) or (N, C, H, W), float32 or float64.
        weight: γ, (C,), or None (γ = 1).
        save_mean, save_invstd: (C,), μ and 1/√(σ² + eps) as your batch_norm_forward
            returned them.

    Returns:
        ``(grad_x, grad_weight, grad_bias)``: dL/dx like x, dL/dγ and dL/dβ of shape (C,),
        all of the dtype of x (dL/dγ also when weight is None).

    Hint: check a float64 case against central differences of your batch_norm_forward
    (exercise 2.16's numerical_gradient does it for you).
    """
    raise NotImplementedError(
        "Exercise 3.12 (batch_norm_backward): see "
        "notebooks/03_cnn.ipynb, section 'Batch normalisation'"
    )
