"""Autograder for chapter 3: convolutional networks (3.1–3.12).

Expected values come from hand computation, from brute-force counting written here, from
minidl's reference kernels (``reference(name)``: never a learner's override) and from
float64 central differences of those kernels; never from the implementation under test
(``impl``: exercises/ by default, ``--impl solutions``).
"""

from __future__ import annotations

import numba
import numpy as np
import pytest
from hypothesis import Phase, assume, given, settings
from hypothesis import strategies as st

from minidl.grading import (
    assert_close,
    assert_true,
    assert_unchanged,
    numeric_grad,
    reference,
)
from minidl.grading.layouts import LAYOUTS as ARRAY_LAYOUTS
from minidl.grading.layouts import describe, relayout

CHAPTER = "ch03_cnn"
POINTS = {"3.1": 1, "3.2": 3, "3.3": 2, "3.4": 2, "3.5": 3, "3.6": 2, "3.7": 2, "3.8": 2,
          "3.9": 3, "3.10": 2, "3.11": 2, "3.12": 3}
HINTS = {
    "3.1": "out = (in + 2·padding − dilation·(kernel − 1) − 1) // stride + 1",
    "3.2": "for each offset (i, j) slice xp[:, :, i*dh : i*dh + sh*(OH-1) + 1 : sh, …] into "
           "cols6[:, :, i, j] of a (N, C, kh, kw, OH, OW) array, then reshape",
    "3.3": "y = W.reshape(O, -1) @ im2col(x) + b[:, None], reshaped to (N, O, OH, OW)",
    "3.4": "the reverse of im2col: add c6[:, :, i, j] into the strided slice of a zero padded "
           "array, then cut the padding off",
    "3.5": "forward was W2 @ cols per image: its backward gives dW (summed over the images) and "
           "dcols, which col2im turns into dx; the bias was added at every (n, oh, ow)",
    "3.6": "pad with −inf; replace where value > best (strictly: ties keep the first); indices "
           "are h·W + w in the unpadded plane",
    "3.7": "dx.flat[index] += grad for every output; np.add.at adds repeated indices",
    "3.8": "out[r, s] = Σ kernel[a, b]·image[r + a, s + b]; outer loop over numba.prange",
    "3.9": "reduce over (0, 2, 3, …); biased variance to normalise, unbiased (·M/(M−1)) for "
           "running_var; eval uses the running statistics",
    "3.10": "loop over the kernel offsets, add each strided slice of the zero-padded input, "
            "divide by kh·kw (padding counts in the average)",
    "3.11": "every input pixel gets grad/(kh·kw) from each window that contains it: add the "
            "shared gradient into each offset's strided slice of a padded zero array, then "
            "cut the padding off",
    "3.12": "three paths from x: directly through x̂, through μ and through σ² (both computed from"
            " the whole channel); add them, using Σ x̂ = 0 to simplify; dγ and dβ sum over every "
            "axis but the channel",
}
# no shrinking: feedback must come fast, and assert_close already names the worst element
HYPOTHESIS = settings(max_examples=15, deadline=None,
                      phases=(Phase.explicit, Phase.reuse, Phase.generate))


def tolerances(dtype: np.dtype) -> dict[str, float]:
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-9,
                                                                      "atol": 1e-10}


def pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else value


LAYOUTS = st.sampled_from(ARRAY_LAYOUTS)
DTYPES = st.sampled_from([np.float32, np.float64])


@st.composite
def conv_geometry(draw, max_channels: int = 3) -> dict:
    """A convolution case: x (N, C, H, W) and W (O, C, kh, kw) whose output is ≥ 1×1."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    size = []
    for a in (0, 1):
        smallest = max(1, dilation[a] * (kernel[a] - 1) + 1 - 2 * padding[a])
        size.append(draw(st.integers(smallest, smallest + 5)))
    return {"n": draw(st.integers(1, 3)), "c": draw(st.integers(1, max_channels)),
            "o": draw(st.integers(1, 3)), "h": size[0], "w": size[1], "kernel": kernel,
            "stride": stride, "padding": padding, "dilation": dilation,
            "dtype": draw(DTYPES), "layout": draw(LAYOUTS), "seed": draw(st.integers(0, 2**16))}


def geometry_text(g: dict) -> str:
    return (f"kernel {g['kernel']}, stride {g['stride']}, padding {g['padding']}, "
            f"dilation {g['dilation']}")


def conv_arrays(g: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (in the drawn layout), weight and bias of a geometry, from its seed."""
    rng = np.random.default_rng(g["seed"])
    x = rng.standard_normal((g["n"], g["c"], g["h"], g["w"])).astype(g["dtype"])
    weight = rng.standard_normal((g["o"], g["c"], *g["kernel"])).astype(g["dtype"])
    bias = rng.standard_normal(g["o"]).astype(g["dtype"])
    return relayout(x, g["layout"]), weight, bias


def window_args(g: dict) -> tuple:
    return g["kernel"], g["stride"], g["padding"], g["dilation"]


# ---- 3.1 conv2d_output_size ---------------------------------------------------------------

OUTPUT_SIZES = [  # (in, kernel, stride, padding, dilation) → out, worked out by hand
    ((28, 5, 1, 2, 1), 28),   # LeNet conv1: "same" padding
    ((28, 5, 1, 0, 1), 24),
    ((7, 3, 2, 1, 1), 4),     # (7 + 2 − 2 − 1) // 2 + 1
    ((224, 7, 2, 3, 1), 112),  # ResNet's first layer
    ((10, 3, 1, 0, 2), 6),    # a dilated 3-tap kernel spans 5 pixels
    ((5, 1, 2, 0, 1), 3),
    ((6, 2, 2, 0, 1), 3),     # 2×2 pooling halves
    ((1, 1, 1, 0, 1), 1),
]


@pytest.mark.exercise("3.1")
@pytest.mark.parametrize("args, want", OUTPUT_SIZES)
def test_output_size_hand_computed(impl, args, want):
    got = impl.conv2d_output_size(*args)
    case = "in_size={}, kernel_size={}, stride={}, padding={}, dilation={}".format(*args)
    assert_true(isinstance(got, (int, np.integer)), exercise="3.1", case=case,
                problem=f"expected an int, got {type(got).__name__} {got!r}",
                hint="use integer floor division // (not /)")
    assert_true(got == want, exercise="3.1", case=case,
                problem=f"expected {want}, got {got}", hint=HINTS["3.1"])


@pytest.mark.exercise("3.1")
@HYPOTHESIS
@given(size=st.integers(1, 40), kernel=st.integers(1, 7), stride=st.integers(1, 4),
       padding=st.integers(0, 3), dilation=st.integers(1, 3))
def test_output_size_counts_positions(impl, size, kernel, stride, padding, dilation):
    span = dilation * (kernel - 1) + 1
    assume(span <= size + 2 * padding)  # else no window fits: not a case the exercise covers
    # count the window positions one by one: start 0, stride, 2·stride, … while it fits
    want = sum(1 for start in range(0, size + 2 * padding, stride)
               if start + span <= size + 2 * padding)
    got = impl.conv2d_output_size(size, kernel, stride, padding, dilation)
    assert_true(got == want, exercise="3.1",
                case=f"in_size={size}, kernel_size={kernel}, stride={stride}, "
                     f"padding={padding}, dilation={dilation}",
                problem=f"expected {want} window positions, got {got}", hint=HINTS["3.1"])


# ---- 3.2 im2col ---------------------------------------------------------------------------

@pytest.mark.exercise("3.2")
def test_im2col_hand_computed(impl):
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)  # [[1 2 3] [4 5 6] [7 8 9]]
    want = np.array([[[1, 2, 4, 5],    # offset (0, 0) of the four 2×2 windows
                      [2, 3, 5, 6],    # offset (0, 1)
                      [4, 5, 7, 8],    # offset (1, 0)
                      [5, 6, 8, 9]]],  # offset (1, 1)
                    dtype=np.float64)
    got = impl.im2col(x, (2, 2), (1, 1), (0, 0), (1, 1))
    assert_close(got, want, exercise="3.2", case="x = 1..9 as (1, 1, 3, 3), 2×2 kernel",
                 hint=HINTS["3.2"])


@pytest.mark.exercise("3.2")
def test_im2col_padding_and_stride_by_hand(impl):
    x = np.arange(1.0, 5.0).reshape(1, 1, 2, 2)  # [[1 2] [3 4]], padded to 4×4
    # kernel 2, stride 2, padding 1: windows at rows/cols 0 and 2 of the padded image
    want = np.array([[[0, 0, 0, 4], [0, 0, 3, 0], [0, 2, 0, 0], [1, 0, 0, 0]]],
                    dtype=np.float64)
    got = impl.im2col(x, (2, 2), (2, 2), (1, 1), (1, 1))
    assert_close(got, want, exercise="3.2",
                 case="x = [[1, 2], [3, 4]], kernel 2, stride 2, padding 1",
                 hint="zeros come from the padding: pad x first with np.pad")


@pytest.mark.exercise("3.2")
@HYPOTHESIS
@given(g=conv_geometry())
def test_im2col_matches_minidl(impl, g):
    x, _, _ = conv_arrays(g)
    before = x.copy()
    case = f"{describe('x', x)}, {geometry_text(g)}"
    got = impl.im2col(x, *window_args(g))
    assert_close(got, reference("im2col")(x, *window_args(g)), exercise="3.2", case=case,
                 hint=HINTS["3.2"], rtol=0, atol=0)
    assert_unchanged(before, x, exercise="3.2", case=case, name="x")


# ---- 3.3 conv2d_forward -------------------------------------------------------------------

@pytest.mark.exercise("3.3")
def test_conv_forward_hand_computed(impl):
    x = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    weight = np.array([[[[1.0, 1.0], [1.0, 1.0]]],     # sums each 2×2 window
                       [[[1.0, 0.0], [0.0, -1.0]]]])   # top-left minus bottom-right
    bias = np.array([0.5, 0.0])
    want = np.array([[[[12.5, 16.5], [24.5, 28.5]], [[-4.0, -4.0], [-4.0, -4.0]]]])
    got = impl.conv2d_forward(x, weight, bias, (1, 1), (0, 0), (1, 1))
    assert_close(got, want, exercise="3.3",
                 case="x = 1..9 as (1, 1, 3, 3), a 2×2 box filter (+0.5) and a diagonal "
                      "difference filter", hint=HINTS["3.3"])


@pytest.mark.exercise("3.3")
@HYPOTHESIS
@given(g=conv_geometry(), with_bias=st.booleans())
def test_conv_forward_matches_minidl(impl, g, with_bias):
    x, weight, bias = conv_arrays(g)
    bias = bias if with_bias else None
    before = x.copy()
    case = (f"{describe('x', x)}, weight {weight.shape}, bias "
            f"{'(O,)' if with_bias else 'None'}, {geometry_text(g)}")
    got = impl.conv2d_forward(x, weight, bias, g["stride"], g["padding"], g["dilation"])
    want = reference("conv2d_forward")(x, weight, bias, g["stride"], g["padding"],
                                       g["dilation"])
    assert_close(got, want, exercise="3.3", case=case, hint=HINTS["3.3"],
                 **tolerances(x.dtype))
    assert_unchanged(before, x, exercise="3.3", case=case, name="x")


# ---- 3.4 col2im ---------------------------------------------------------------------------

@pytest.mark.exercise("3.4")
def test_col2im_counts_overlaps(impl):
    cols = np.ones((1, 4, 4))  # 2×2 windows over a 3×3 image: how often is each pixel used?
    want = np.array([[[[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]]])
    got = impl.col2im(cols, (1, 1, 3, 3), (2, 2), (1, 1), (0, 0), (1, 1))
    assert_close(got, want, exercise="3.4",
                 case="cols of ones, (1, 1, 3, 3) image, 2×2 kernel: each pixel gets the "
                      "number of windows that contain it", hint=HINTS["3.4"])


@pytest.mark.exercise("3.4")
@HYPOTHESIS
@given(g=conv_geometry())
def test_col2im_is_the_adjoint_of_im2col(impl, g):
    g = {**g, "dtype": np.float64}
    x, _, _ = conv_arrays(g)
    cols_x = reference("im2col")(x, *window_args(g))
    c = np.random.default_rng(g["seed"] + 1).standard_normal(cols_x.shape)
    c = relayout(c, g["layout"])
    before = c.copy()
    case = f"x {x.shape}, {describe('cols', c)}, {geometry_text(g)}"
    got = impl.col2im(c, x.shape, *window_args(g))
    assert_close(got, reference("col2im")(c, x.shape, *window_args(g)), exercise="3.4",
                 case=case, hint=HINTS["3.4"], rtol=1e-12, atol=1e-12)
    # ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩: the defining property of an adjoint
    lhs, rhs = float(np.sum(cols_x * c)), float(np.sum(x * got))
    assert_true(abs(lhs - rhs) <= 1e-9 * (1 + abs(lhs)), exercise="3.4", case=case,
                problem=f"⟨im2col(x), cols⟩ = {lhs:.6g} but ⟨x, col2im(cols)⟩ = {rhs:.6g}",
                hint=HINTS["3.4"])
    assert_unchanged(before, c, exercise="3.4", case=case, name="cols")


# ---- 3.5 conv2d_backward ------------------------------------------------------------------

def check_conv_gradients(impl, got, want, has_bias, case, tol):
    assert_true(isinstance(got, tuple) and len(got) == 3, exercise="3.5", case=case,
                problem=f"expected a tuple (grad_x, grad_weight, grad_bias), got "
                        f"{type(got).__name__}", hint="return grad_x, grad_w, grad_b")
    for name, g, w in zip(("grad_x", "grad_weight"), got[:2], want[:2], strict=True):
        assert_close(g, w, exercise="3.5", case=f"{case} ({name})", hint=HINTS["3.5"], **tol)
    if has_bias:
        assert_close(got[2], want[2], exercise="3.5", case=f"{case} (grad_bias)",
                     hint=HINTS["3.5"], **tol)
    else:
        assert_true(got[2] is None, exercise="3.5", case=f"{case}, has_bias=False",
                    problem=f"expected grad_bias None, got {type(got[2]).__name__}",
                    hint="return None as the bias gradient when has_bias is False")


@pytest.mark.exercise("3.5")
@pytest.mark.parametrize("kernel, stride, padding, dilation", [
    ((3, 3), (1, 1), (0, 0), (1, 1)),
    ((3, 2), (2, 2), (1, 1), (1, 1)),
    ((2, 2), (2, 1), (1, 0), (2, 1)),
])
def test_conv_backward_matches_central_differences(impl, kernel, stride, padding, dilation):
    rng = np.random.default_rng(sum(kernel) + sum(stride))
    x = rng.standard_normal((2, 2, 5, 4))
    weight = rng.standard_normal((3, 2, *kernel))
    bias = rng.standard_normal(3)
    fwd = reference("conv2d_forward")
    grad = rng.standard_normal(fwd(x, weight, bias, stride, padding, dilation).shape)
    want = (numeric_grad(lambda v: fwd(v, weight, bias, stride, padding, dilation), x, grad),
            numeric_grad(lambda v: fwd(x, v, bias, stride, padding, dilation), weight, grad),
            numeric_grad(lambda v: fwd(x, weight, v, stride, padding, dilation), bias, grad))
    got = impl.conv2d_backward(grad, x, weight, stride, padding, dilation, True)
    case = (f"float64 x (2, 2, 5, 4), weight {weight.shape}, kernel {kernel}, stride {stride}, "
            f"padding {padding}, dilation {dilation}, vs central differences")
    check_conv_gradients(impl, got, want, True, case, {"rtol": 1e-6, "atol": 1e-7})


@pytest.mark.exercise("3.5")
@HYPOTHESIS
@given(g=conv_geometry(), has_bias=st.booleans())
def test_conv_backward_matches_minidl(impl, g, has_bias):
    x, weight, _ = conv_arrays(g)
    args = (g["stride"], g["padding"], g["dilation"])
    y_shape = reference("conv2d_forward")(x, weight, None, *args).shape
    grad = np.random.default_rng(g["seed"] + 2).standard_normal(y_shape).astype(x.dtype)
    grad = relayout(grad, g["layout"])
    before_x, before_g = x.copy(), grad.copy()
    case = f"{describe('grad', grad)}, {describe('x', x)}, {geometry_text(g)}"
    got = impl.conv2d_backward(grad, x, weight, *args, has_bias)
    want = reference("conv2d_backward")(grad, x, weight, *args, has_bias)
    check_conv_gradients(impl, got, want, has_bias, case, tolerances(x.dtype))
    assert_unchanged(before_x, x, exercise="3.5", case=case, name="x")
    assert_unchanged(before_g, grad, exercise="3.5", case=case, name="grad")


# ---- 3.6 max_pool2d_forward ---------------------------------------------------------------

def check_pool(got, want_y, want_idx, case, hint=HINTS["3.6"]):
    assert_true(isinstance(got, tuple) and len(got) == 2, exercise="3.6", case=case,
                problem=f"expected a tuple (y, indices), got {type(got).__name__}",
                hint="return y, indices")
    assert_close(got[0], want_y, exercise="3.6", case=case + " (y)", hint=hint, rtol=0, atol=0)
    assert_close(got[1], want_idx, exercise="3.6", case=case + " (indices)", hint=hint,
                 rtol=0, atol=0)


@pytest.mark.exercise("3.6")
def test_max_pool_hand_computed(impl):
    x = np.array([[1, 3, 2, 0], [4, 2, 1, 5], [0, 1, 9, 8], [7, 6, 8, 2]],
                 dtype=np.float32).reshape(1, 1, 4, 4)
    want_y = np.array([[[[4, 5], [7, 9]]]], dtype=np.float32)
    want_idx = np.array([[[[4, 7], [12, 10]]]], dtype=np.int64)  # flat positions h·4 + w
    check_pool(impl.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0)), want_y, want_idx,
               "a 4×4 float32 plane, 2×2 windows, stride 2")


@pytest.mark.exercise("3.6")
def test_max_pool_padding_and_ties(impl):
    x = -np.ones((1, 1, 3, 3))  # all equal and negative: the first position wins, never padding
    want_y = -np.ones((1, 1, 2, 2))
    want_idx = np.array([[[[0, 1], [3, 4]]]], dtype=np.int64)
    check_pool(impl.max_pool2d_forward(x, (2, 2), (2, 2), (1, 1)), want_y, want_idx,
               "a 3×3 plane of −1, 2×2 windows, stride 2, padding 1",
               hint="pad with −inf, not 0 (0 > −1 would win), and compare with > (ties keep "
                    "the first position)")


@st.composite
def pool_geometry(draw) -> dict:
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    return {"n": draw(st.integers(1, 2)), "c": draw(st.integers(1, 3)),
            "h": draw(st.integers(kernel[0], kernel[0] + 6)),
            "w": draw(st.integers(kernel[1], kernel[1] + 6)), "kernel": kernel,
            "stride": (draw(st.integers(1, 3)), draw(st.integers(1, 3))),
            "padding": (draw(st.integers(0, kernel[0] // 2)),
                        draw(st.integers(0, kernel[1] // 2))),
            "dtype": draw(DTYPES), "layout": draw(LAYOUTS), "seed": draw(st.integers(0, 2**16))}


def pool_input(g: dict) -> np.ndarray:
    # a permutation: no ties, so the position of every maximum is unambiguous
    size = g["n"] * g["c"] * g["h"] * g["w"]
    x = np.random.default_rng(g["seed"]).permutation(size).reshape(
        g["n"], g["c"], g["h"], g["w"]) - size / 2
    return relayout(x.astype(g["dtype"]), g["layout"])


@pytest.mark.exercise("3.6")
@HYPOTHESIS
@given(g=pool_geometry())
def test_max_pool_matches_minidl(impl, g):
    x = pool_input(g)
    before = x.copy()
    args = (g["kernel"], g["stride"], g["padding"])
    case = f"{describe('x', x)}, kernel {g['kernel']}, stride {g['stride']}, " \
           f"padding {g['padding']}"
    check_pool(impl.max_pool2d_forward(x, *args), *reference("max_pool2d_forward")(x, *args),
               case)
    assert_unchanged(before, x, exercise="3.6", case=case, name="x")


# ---- 3.7 max_pool2d_backward --------------------------------------------------------------

@pytest.mark.exercise("3.7")
def test_max_pool_backward_overlapping_windows(impl):
    # 2×2 windows, stride 1, over [[0 1 0] [2 9 3] [0 4 0]]: the 9 wins all four windows
    indices = np.full((1, 1, 2, 2), 4, dtype=np.int64)
    grad = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    want = np.zeros((1, 1, 3, 3))
    want[0, 0, 1, 1] = 10.0
    got = impl.max_pool2d_backward(grad, indices, (1, 1, 3, 3))
    assert_close(got, want, exercise="3.7",
                 case="one pixel is the maximum of all four windows (grads 1, 2, 3, 4)",
                 hint=HINTS["3.7"] + " (x[idx] += g counts a repeated index only once)")


@pytest.mark.exercise("3.7")
@pytest.mark.parametrize("kernel, stride, padding", [((2, 2), (2, 2), (0, 0)),
                                                     ((3, 3), (1, 2), (1, 1))])
def test_max_pool_backward_matches_central_differences(impl, kernel, stride, padding):
    rng = np.random.default_rng(kernel[0])
    x = rng.permutation(2 * 2 * 5 * 6).reshape(2, 2, 5, 6) / 10.0  # gaps of 0.1 ≫ ε
    y, indices = reference("max_pool2d_forward")(x, kernel, stride, padding)
    grad = rng.standard_normal(y.shape)
    want = numeric_grad(lambda v: reference("max_pool2d_forward")(v, kernel, stride,
                                                                  padding)[0], x, grad)
    got = impl.max_pool2d_backward(grad, indices, x.shape)
    assert_close(got, want, exercise="3.7",
                 case=f"float64 x (2, 2, 5, 6), kernel {kernel}, stride {stride}, padding "
                      f"{padding}, vs central differences", hint=HINTS["3.7"],
                 rtol=1e-6, atol=1e-7)


@pytest.mark.exercise("3.7")
@HYPOTHESIS
@given(g=pool_geometry())
def test_max_pool_backward_matches_minidl(impl, g):
    x = pool_input(g)
    y, indices = reference("max_pool2d_forward")(x, g["kernel"], g["stride"], g["padding"])
    grad = relayout(np.random.default_rng(g["seed"]).standard_normal(y.shape).astype(x.dtype),
                    g["layout"])
    before = grad.copy()
    case = f"{describe('grad', grad)}, input {x.shape}, kernel {g['kernel']}, stride " \
           f"{g['stride']}, padding {g['padding']}"
    got = impl.max_pool2d_backward(grad, indices, x.shape)
    assert_close(got, reference("max_pool2d_backward")(grad, indices, x.shape),
                 exercise="3.7", case=case, hint=HINTS["3.7"], **tolerances(x.dtype))
    assert_unchanged(before, grad, exercise="3.7", case=case, name="grad")


# ---- 3.8 correlate2d (Numba) --------------------------------------------------------------

def correlate_reference(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """One-channel valid cross-correlation through minidl's conv2d kernel."""
    return reference("conv2d_forward")(image[None, None], kernel[None, None], None,
                                       (1, 1), (0, 0), (1, 1))[0, 0]


@pytest.mark.exercise("3.8")
@pytest.mark.timeout(120)  # the first call compiles the kernel
def test_correlate2d_hand_computed_and_parallel(impl):
    image = np.arange(1.0, 10.0).reshape(3, 3)
    kernel = np.array([[1.0, 0.0], [0.0, -1.0]])  # image[r, s] − image[r + 1, s + 1] = −4
    got = impl.correlate2d(image, kernel)
    assert_close(got, np.full((2, 2), -4.0), exercise="3.8",
                 case="image 1..9 (3×3), kernel [[1, 0], [0, -1]]", hint=HINTS["3.8"])
    fn = impl.describe("correlate2d")  # facts from the learner's process
    if numba.config.DISABLE_JIT:
        return  # NUMBA_DISABLE_JIT=1 (debugging): njit returns the plain Python function
    assert_true(fn["targetoptions"].get("parallel"),
                exercise="3.8", case="the function object",
                problem="correlate2d is not compiled with @numba.njit(parallel=True)",
                hint="keep the decorator @numba.njit(cache=True, parallel=True)")
    assert_true("prange" in fn["co_names"], exercise="3.8",
                case="the loops of correlate2d",
                problem="no loop runs over numba.prange, so nothing runs in parallel",
                hint="write the outermost loop as `for r in numba.prange(out_h):`")


@pytest.mark.exercise("3.8")
@pytest.mark.timeout(120)  # float32 and non-contiguous images compile new versions
@pytest.mark.parametrize("dtype, layout", [(np.float64, "contiguous"),
                                           (np.float32, "contiguous"),
                                           (np.float64, "strided")])
def test_correlate2d_matches_minidl(impl, dtype, layout):
    rng = np.random.default_rng(3)
    for h, w, kh, kw in [(1, 1, 1, 1), (5, 7, 3, 3), (9, 4, 2, 4), (28, 28, 5, 5)]:
        image = relayout(rng.standard_normal((h, w)).astype(dtype), layout)
        kernel = rng.standard_normal((kh, kw)).astype(dtype)
        before = image.copy()
        case = f"{describe('image', image)}, kernel ({kh}, {kw})"
        got = impl.correlate2d(image, kernel)
        assert_close(got, correlate_reference(image, kernel), exercise="3.8", case=case,
                     hint=HINTS["3.8"], **tolerances(np.dtype(dtype)))
        assert_unchanged(before, image, exercise="3.8", case=case, name="image")


# ---- 3.9 batch_norm_forward ---------------------------------------------------------------

BN_NAMES = ("y", "mean", "invstd", "new_running_mean", "new_running_var")


def check_batch_norm(got, want, case, tol):
    assert_true(isinstance(got, tuple) and len(got) == 5, exercise="3.9", case=case,
                problem=f"expected a tuple of 5 values, got {type(got).__name__}",
                hint="return y, mean, invstd, new_running_mean, new_running_var")
    for name, g, w in zip(BN_NAMES, got, want, strict=True):
        if w is None:
            assert_true(g is None, exercise="3.9", case=f"{case} ({name})",
                        problem=f"expected None (no running statistics), got "
                                f"{type(g).__name__}", hint=HINTS["3.9"])
        else:
            assert_close(g, w, exercise="3.9", case=f"{case} ({name})", hint=HINTS["3.9"],
                         **tol)


@pytest.mark.exercise("3.9")
def test_batch_norm_train_hand_computed(impl):
    x = np.array([[1.0], [2.0], [3.0], [4.0]])  # one channel, M = 4: μ = 2.5, σ² = 1.25
    invstd = 1 / np.sqrt(1.25 + 1e-5)
    want = (2.0 * (x - 2.5) * invstd + 1.0, np.array([2.5]), np.array([invstd]),
            np.array([0.25]),                          # 0.9·0 + 0.1·2.5
            np.array([0.9 + 0.1 * 1.25 * 4 / 3]))     # unbiased: σ²·M/(M−1)
    got = impl.batch_norm_forward(x, np.array([2.0]), np.array([1.0]), np.array([0.0]),
                                  np.array([1.0]), True, 0.1, 1e-5)
    check_batch_norm(got, want, "x = [[1], [2], [3], [4]], γ = 2, β = 1, running (0, 1), "
                     "momentum 0.1, training", {"rtol": 1e-9, "atol": 1e-12})


@pytest.mark.exercise("3.9")
def test_batch_norm_eval_uses_running_statistics(impl):
    x = np.array([[1.0, 10.0], [3.0, 20.0]])
    running_mean, running_var = np.array([1.0, 0.0]), np.array([4.0, 100.0])
    want_y = (x - running_mean) / np.sqrt(running_var + 1e-5)
    want = (want_y, running_mean, 1 / np.sqrt(running_var + 1e-5), running_mean, running_var)
    got = impl.batch_norm_forward(x, None, None, running_mean.copy(), running_var.copy(),
                                  False, 0.1, 1e-5)
    check_batch_norm(got, want, "x (2, 2), no γ/β, running mean (1, 0), var (4, 100), eval",
                     {"rtol": 1e-9, "atol": 1e-12})


@pytest.mark.exercise("3.9")
@HYPOTHESIS
@given(n=st.integers(1, 4), c=st.integers(1, 3), spatial=st.sampled_from([(), (1, 1), (3, 2)]),
       dtype=DTYPES, affine=st.booleans(), track=st.booleans(), training=st.booleans(),
       momentum=st.sampled_from([0.0, 0.1, 1.0]), layout=LAYOUTS, seed=st.integers(0, 2**16))
def test_batch_norm_matches_minidl(impl, n, c, spatial, dtype, affine, track, training,
                                   momentum, layout, seed):
    assume(n * int(np.prod(spatial)) >= 2 or not training)  # one value has no variance
    assume(training or track)  # evaluation needs running statistics
    rng = np.random.default_rng(seed)
    x = relayout((3 * rng.standard_normal((n, c, *spatial)) + 1).astype(dtype), layout)
    weight, bias = (rng.standard_normal((2, c)).astype(dtype) if affine else (None, None))
    running = (rng.standard_normal(c).astype(dtype), rng.uniform(0.5, 2, c).astype(dtype)) \
        if track else (None, None)
    inputs = [a for a in (x, weight, bias, *running) if a is not None]
    before = [a.copy() for a in inputs]
    case = (f"{describe('x', x)}, γ/β {'given' if affine else 'None'}, running statistics "
            f"{'given' if track else 'None'}, {'training' if training else 'eval'}, "
            f"momentum {momentum}")
    got = impl.batch_norm_forward(x, weight, bias, *running, training, momentum, 1e-5)
    want = reference("batch_norm_forward")(x, weight, bias, *running, training, momentum, 1e-5)
    check_batch_norm(got, want, case, tolerances(np.dtype(dtype)))
    for old, now in zip(before, inputs, strict=True):
        assert_unchanged(old, now, exercise="3.9", case=case, name="x, weight, bias or a "
                         "running statistic")



# ---- 3.10 / 3.11 average pooling ---------------------------------------------------------


@pytest.mark.exercise("3.10")
def test_avg_pool_hand_computed(impl):
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    want = np.array([[[[2.5, 4.5], [10.5, 12.5]]]])   # means of the four 2×2 blocks
    assert_close(impl.avg_pool2d_forward(x, (2, 2), (2, 2), (0, 0)), want, exercise="3.10",
                 case="x = arange(16) as (1, 1, 4, 4), kernel 2, stride 2", hint=HINTS["3.10"])
    # padding 1 counts as zeros: the corner window holds x[0, 0] = 0 and three zeros
    corner = impl.avg_pool2d_forward(x + 1, (2, 2), (2, 2), (1, 1))[0, 0, 0, 0]
    assert_close(corner, np.float64(0.25), exercise="3.10",
                 case="x = arange(16) + 1, kernel 2, stride 2, padding 1: the top-left window "
                      "holds one pixel (value 1) and three padding zeros",
                 hint=HINTS["3.10"] + " (divide by kh·kw, not by the number of real pixels)")


@pytest.mark.exercise("3.10")
@HYPOTHESIS
@given(g=pool_geometry())
def test_avg_pool_matches_minidl(impl, g):
    x = pool_input(g)
    before = x.copy()
    args = (g["kernel"], g["stride"], g["padding"])
    case = f"{describe('x', x)}, kernel {g['kernel']}, stride {g['stride']}, " \
           f"padding {g['padding']}"
    got = impl.avg_pool2d_forward(x, *args)
    assert_close(got, reference("avg_pool2d_forward")(np.ascontiguousarray(x), *args),
                 exercise="3.10", case=case, hint=HINTS["3.10"], check_dtype=True,
                 rtol=1e-5, atol=1e-4)
    assert_unchanged(before, x, exercise="3.10", case=case, name="x")


@pytest.mark.exercise("3.11")
@pytest.mark.parametrize("kernel, stride, padding", [((2, 2), (2, 2), (0, 0)),
                                                     ((3, 3), (1, 2), (1, 1)),
                                                     ((3, 2), (2, 1), (1, 0))])
def test_avg_pool_backward_matches_central_differences(impl, kernel, stride, padding):
    rng = np.random.default_rng(kernel[0] + stride[1])
    x = rng.standard_normal((2, 2, 5, 6))
    forward = reference("avg_pool2d_forward")
    grad = rng.standard_normal(forward(x, kernel, stride, padding).shape)
    want = numeric_grad(lambda v: forward(v, kernel, stride, padding), x, grad)
    got = impl.avg_pool2d_backward(grad, x.shape, kernel, stride, padding)
    assert_close(got, want, exercise="3.11",
                 case=f"float64 x (2, 2, 5, 6), kernel {kernel}, stride {stride}, padding "
                      f"{padding}, vs central differences", hint=HINTS["3.11"],
                 rtol=1e-6, atol=1e-7)


@pytest.mark.exercise("3.11")
@HYPOTHESIS
@given(g=pool_geometry())
def test_avg_pool_backward_matches_minidl(impl, g):
    shape = (g["n"], g["c"], g["h"], g["w"])
    args = (g["kernel"], g["stride"], g["padding"])
    out_shape = reference("avg_pool2d_forward")(np.zeros(shape, g["dtype"]), *args).shape
    grad = relayout(np.random.default_rng(g["seed"]).standard_normal(out_shape)
                    .astype(g["dtype"]), g["layout"])
    before = grad.copy()
    case = f"{describe('grad', grad)}, input {shape}, kernel {g['kernel']}, stride " \
           f"{g['stride']}, padding {g['padding']}"
    got = impl.avg_pool2d_backward(grad, shape, *args)
    assert_close(got, reference("avg_pool2d_backward")(np.ascontiguousarray(grad), shape, *args),
                 exercise="3.11", case=case, hint=HINTS["3.11"], check_dtype=True,
                 **tolerances(grad.dtype))
    assert_unchanged(before, grad, exercise="3.11", case=case, name="grad")


# ---- 3.12 batch_norm_backward -------------------------------------------------------------


def batch_norm_loss_grads(x, weight, bias, grad):
    """Central differences of Σ grad ⊙ y through minidl's training-mode batch norm forward."""
    forward = reference("batch_norm_forward")

    def y_of(x_, w_, b_):
        return forward(x_, w_, b_, None, None, True, 0.1, 1e-5)[0]

    return (numeric_grad(lambda v: y_of(v, weight, bias), x, grad),
            numeric_grad(lambda v: y_of(x, v, bias), weight, grad),
            numeric_grad(lambda v: y_of(x, weight, v), bias, grad))


@pytest.mark.exercise("3.12")
@pytest.mark.parametrize("shape", [(6, 3), (2, 3, 4, 5), (1, 2, 3, 3)])
def test_batch_norm_backward_matches_central_differences(impl, shape):
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal(shape) * 2 + 1
    c = shape[1]
    weight, bias = rng.uniform(0.5, 2.0, c), rng.standard_normal(c)
    grad = rng.standard_normal(shape)
    _, mean, invstd, _, _ = reference("batch_norm_forward")(x, weight, bias, None, None, True,
                                                            0.1, 1e-5)
    want = batch_norm_loss_grads(x, weight, bias, grad)
    got = impl.batch_norm_backward(grad, x, weight, mean, invstd)
    assert_true(isinstance(got, tuple) and len(got) == 3, exercise="3.12",
                case=f"x {shape}", problem=f"expected a tuple (grad_x, grad_weight, grad_bias), "
                                           f"got {type(got).__name__}", hint=HINTS["3.12"])
    for name, g_got, g_want in zip(("grad_x", "grad_weight", "grad_bias"), got, want):
        assert_close(g_got, g_want, exercise="3.12",
                     case=f"{name}, float64 x {shape}, vs central differences",
                     hint=HINTS["3.12"], rtol=1e-5, atol=1e-6)


@pytest.mark.exercise("3.12")
@HYPOTHESIS
@given(n=st.integers(1, 4), c=st.integers(1, 3), spatial=st.sampled_from([(), (3, 2), (1, 4)]),
       with_weight=st.booleans(), dtype=DTYPES, layout=LAYOUTS, seed=st.integers(0, 2**16))
def test_batch_norm_backward_matches_minidl(impl, n, c, spatial, with_weight, dtype, layout,
                                            seed):
    shape = (max(n, 2), c, *spatial)
    rng = np.random.default_rng(seed)
    x = relayout(rng.standard_normal(shape).astype(dtype), layout)
    grad = relayout(rng.standard_normal(shape).astype(dtype), layout)
    weight = rng.uniform(0.5, 2.0, c).astype(dtype) if with_weight else None
    _, mean, invstd, _, _ = reference("batch_norm_forward")(
        np.ascontiguousarray(x), weight, None, None, None, True, 0.1, 1e-5)
    before = (x.copy(), grad.copy())
    case = f"{describe('x', x)}, weight {'given' if with_weight else 'None'}"
    got = impl.batch_norm_backward(grad, x, weight, mean, invstd)
    want = reference("batch_norm_backward")(np.ascontiguousarray(grad), np.ascontiguousarray(x),
                                            weight, mean, invstd)
    for name, g_got, g_want in zip(("grad_x", "grad_weight", "grad_bias"), got, want):
        assert_close(g_got, g_want, exercise="3.12", case=f"{name}, {case}", hint=HINTS["3.12"],
                     check_dtype=True, **tolerances(np.dtype(dtype)))
    assert_unchanged(before[0], x, exercise="3.12", case=case, name="x")
    assert_unchanged(before[1], grad, exercise="3.12", case=case, name="grad")
