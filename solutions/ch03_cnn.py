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
    # BEGIN SOLUTION
    span = dilation * (kernel_size - 1) + 1
    return (in_size + 2 * padding - span) // stride + 1
    # END SOLUTION


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
    # BEGIN SOLUTION
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh = conv2d_output_size(h, kh, sh, ph, dh)
    ow = conv2d_output_size(w, kw, sw, pw, dw)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            cols[:, :, i, j] = xp[:, :, top:top + sh * (oh - 1) + 1:sh,
                                  left:left + sw * (ow - 1) + 1:sw]
    return cols.reshape(n, c * kh * kw, oh * ow)
    # END SOLUTION


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
    # BEGIN SOLUTION
    n = x.shape[0]
    o, _, kh, kw = weight.shape
    oh = conv2d_output_size(x.shape[2], kh, stride[0], padding[0], dilation[0])
    ow = conv2d_output_size(x.shape[3], kw, stride[1], padding[1], dilation[1])
    cols = im2col(x, (kh, kw), stride, padding, dilation)  # (N, C·kh·kw, OH·OW)
    y = weight.reshape(o, -1) @ cols                       # (N, O, OH·OW)
    if bias is not None:
        y = y + bias[:, None]
    return y.reshape(n, o, oh, ow)
    # END SOLUTION


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
    # BEGIN SOLUTION
    n, c, h, w = input_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = kernel_size, stride, padding, dilation
    oh = conv2d_output_size(h, kh, sh, ph, dh)
    ow = conv2d_output_size(w, kw, sw, pw, dw)
    c6 = cols.reshape(n, c, kh, kw, oh, ow)
    out = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            top, left = i * dh, j * dw
            out[:, :, top:top + sh * (oh - 1) + 1:sh,
                left:left + sw * (ow - 1) + 1:sw] += c6[:, :, i, j]
    return out[:, :, ph:ph + h, pw:pw + w].copy()
    # END SOLUTION


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
    # BEGIN SOLUTION
    n = x.shape[0]
    o, _, kh, kw = weight.shape
    g = grad.reshape(n, o, -1)                             # (N, O, OH·OW)
    cols = im2col(x, (kh, kw), stride, padding, dilation)  # (N, K, OH·OW)
    grad_w = (g @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(weight.shape)
    grad_cols = weight.reshape(o, -1).T @ g                # (N, K, OH·OW)
    grad_x = col2im(grad_cols, x.shape, (kh, kw), stride, padding, dilation)
    grad_b = grad.sum(axis=(0, 2, 3)) if has_bias else None
    return grad_x, grad_w, grad_b
    # END SOLUTION


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
    # BEGIN SOLUTION
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    oh = conv2d_output_size(h, kh, sh, ph)
    ow = conv2d_output_size(w, kw, sw, pw)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    positions = np.pad(np.arange(h * w).reshape(h, w), ((ph, ph), (pw, pw)), constant_values=-1)
    best = np.full((n, c, oh, ow), -np.inf, dtype=x.dtype)
    indices = np.full((n, c, oh, ow), -1, dtype=np.int64)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i, i + sh * (oh - 1) + 1, sh)
            cols = slice(j, j + sw * (ow - 1) + 1, sw)
            value = xp[:, :, rows, cols]
            better = value > best
            best = np.where(better, value, best)
            indices = np.where(better, positions[rows, cols], indices)
    return best, indices
    # END SOLUTION


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
    # BEGIN SOLUTION
    n, c, h, w = input_shape
    dx = np.zeros((n * c, h * w), dtype=grad.dtype)
    per_plane = indices.shape[2] * indices.shape[3]
    rows = np.repeat(np.arange(n * c), per_plane)
    np.add.at(dx, (rows, indices.reshape(-1)), grad.reshape(-1))
    return dx.reshape(input_shape)
    # END SOLUTION


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
    # BEGIN SOLUTION
    kh, kw = kernel.shape
    out_h, out_w = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    out = np.empty((out_h, out_w), image.dtype)
    for r in numba.prange(out_h):
        for s in range(out_w):
            total = 0.0
            for a in range(kh):
                for b in range(kw):
                    total += kernel[a, b] * image[r + a, s + b]
            out[r, s] = total
    return out
    # END SOLUTION


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
    # BEGIN SOLUTION
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    if training:
        mean = x.mean(axis=axes, dtype=np.float64)
        var = x.var(axis=axes, dtype=np.float64)
        new_mean = new_var = None
        if running_mean is not None and running_var is not None:
            m = x.size // x.shape[1]
            unbiased = var * m / max(m - 1, 1)
            new_mean = ((1 - momentum) * running_mean + momentum * mean).astype(
                running_mean.dtype)
            new_var = ((1 - momentum) * running_var + momentum * unbiased).astype(
                running_var.dtype)
    else:
        mean = running_mean.astype(np.float64)
        var = running_var.astype(np.float64)
        new_mean, new_var = running_mean, running_var
    invstd = 1.0 / np.sqrt(var + eps)
    y = (x - mean.reshape(shape)) * invstd.reshape(shape)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y.astype(x.dtype), mean.astype(x.dtype), invstd.astype(x.dtype), new_mean, new_var
    # END SOLUTION


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
    # BEGIN SOLUTION
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    oh = conv2d_output_size(x.shape[2], kh, sh, ph)
    ow = conv2d_output_size(x.shape[3], kw, sw, pw)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    total = np.zeros((x.shape[0], x.shape[1], oh, ow), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            total += xp[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
    return total / x.dtype.type(kh * kw)
    # END SOLUTION


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
    # BEGIN SOLUTION
    n, c, h, w = input_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    oh, ow = grad.shape[2], grad.shape[3]
    share = grad / grad.dtype.type(kh * kw)
    dxp = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=grad.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += share
    return dxp[:, :, ph:ph + h, pw:pw + w].copy()
    # END SOLUTION


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
    # BEGIN SOLUTION
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    m = x.size // x.shape[1]
    g = grad.astype(np.float64)
    xhat = (x - save_mean.reshape(shape)) * save_invstd.reshape(shape)
    grad_bias = g.sum(axis=axes)
    grad_weight = (g * xhat).sum(axis=axes)
    gamma = np.ones(x.shape[1]) if weight is None else weight.astype(np.float64)
    scale = (gamma * save_invstd / m).reshape(shape)
    grad_x = scale * (m * g - grad_bias.reshape(shape) - xhat * grad_weight.reshape(shape))
    return grad_x.astype(x.dtype), grad_weight.astype(x.dtype), grad_bias.astype(x.dtype)
    # END SOLUTION
