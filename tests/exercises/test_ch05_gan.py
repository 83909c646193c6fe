"""Autograder for chapter 5: generative adversarial networks (5.1–5.9).

Expected values come from hand computation, from plain NumPy re-derivations written here
(``np.logaddexp`` for softplus, a GAN step on linear G and D derived by hand), from
minidl's reference kernels (``reference(name)``) and from float64 central differences;
never from the implementation under test.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import Phase, assume, given, settings
from hypothesis import strategies as st

from minidl.grading import assert_close, assert_true, assert_unchanged, numeric_grad, reference

CHAPTER = "ch05_gan"
POINTS = {"5.1": 2, "5.2": 1, "5.3": 1, "5.4": 2, "5.5": 3, "5.6": 1, "5.7": 3, "5.8": 2,
          "5.9": 2}
HINTS = {
    "5.1": "max(x, 0) − x·y + log(1 + e^(−|x|)) is the same loss and never overflows",
    "5.2": "d/dx of the loss is σ(x) − y; multiply by grad",
    "5.3": "mean BCE of the real logits against 1 plus mean BCE of the fake logits against 0",
    "5.4": "minimax: mean log(1 − σ(x)), gradient −σ(x)/M; non-saturating: −mean log σ(x), "
           "gradient −(1 − σ(x))/M",
    "5.5": "D step on D(real) and D(fake.detach()); then zero G's gradients and step G on the "
           "updated D(fake) with target 1; zero each optimizer's gradients before its backward",
    "5.6": "(in − 1)·stride − 2·padding + dilation·(kernel − 1) + output_padding + 1",
    "5.7": "cols = W.reshape(in, −1).T @ x.reshape(N, in, H·W), then col2im onto "
           "(N, out, OH, OW), then + bias",
    "5.8": "‖μ₁ − μ₂‖² + tr Σ₁ + tr Σ₂ − 2 Σ √eig(Σ₁^{1/2} Σ₂ Σ₁^{1/2})",
    "5.9": "sin((1 − t)Ω)/sin Ω · z0 + sin(tΩ)/sin Ω · z1 with cos Ω = z0·z1/(‖z0‖‖z1‖)",
}
HYPOTHESIS = settings(max_examples=15, deadline=None,
                      phases=(Phase.explicit, Phase.reuse, Phase.generate))


def tolerances(dtype: np.dtype) -> dict[str, float]:
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-9,
                                                                      "atol": 1e-10}


def softplus(x: np.ndarray) -> np.ndarray:
    """log(1 + e^x), overflow-free (NumPy's logaddexp), float64."""
    return np.logaddexp(0.0, np.asarray(x, np.float64))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 + 0.5 * np.tanh(0.5 * np.asarray(x, np.float64))


# ---- 5.1 bce_with_logits_forward ----------------------------------------------------------

@pytest.mark.exercise("5.1")
def test_bce_hand_computed(impl):
    x = np.array([0.0, 0.0, np.log(3.0), -np.log(3.0)])
    y = np.array([1.0, 0.0, 1.0, 1.0])
    want = np.array([np.log(2), np.log(2), np.log(4 / 3), np.log(4)])  # −log σ(±log 3)
    assert_close(impl.bce_with_logits_forward(x, y), want, exercise="5.1",
                 case="x = [0, 0, ln 3, −ln 3], y = [1, 0, 1, 1]", hint=HINTS["5.1"])


@pytest.mark.exercise("5.1")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_never_overflows(impl, dtype):
    x = np.array([1000.0, -1000.0, 1000.0, -1000.0, 88.0, -100.0], dtype)
    y = np.array([1.0, 0.0, 0.0, 1.0, 0.5, 0.25], dtype)
    want = (softplus(x) - x.astype(np.float64) * y).astype(dtype)  # BCE = softplus(x) − x·y
    with np.errstate(all="ignore"):
        got = impl.bce_with_logits_forward(x, y)
    assert_close(got, want, exercise="5.1", case=f"{np.dtype(dtype)} logits ±1000, 88, −100",
                 hint=HINTS["5.1"] + " (σ(1000) rounds to 1 and log(1 − 1) = −inf)",
                 **tolerances(np.dtype(dtype)))


@pytest.mark.exercise("5.1")
@HYPOTHESIS
@given(shape=st.sampled_from([(1,), (7,), (3, 1), (2, 5)]), dtype=st.sampled_from(
    [np.float32, np.float64]), scale=st.sampled_from([1.0, 10.0, 300.0]),
       seed=st.integers(0, 2**16))
def test_bce_matches_minidl(impl, shape, dtype, scale, seed):
    rng = np.random.default_rng(seed)
    x = (scale * rng.standard_normal(shape)).astype(dtype)
    y = rng.uniform(0, 1, shape).astype(dtype)
    before = x.copy()
    case = f"{np.dtype(dtype)} logits {shape}, scale {scale}"
    assert_close(impl.bce_with_logits_forward(x, y), reference("bce_with_logits_forward")(x, y),
                 exercise="5.1", case=case, hint=HINTS["5.1"], **tolerances(np.dtype(dtype)))
    assert_unchanged(before, x, exercise="5.1", case=case, name="logits")


# ---- 5.2 bce_with_logits_backward ---------------------------------------------------------

@pytest.mark.exercise("5.2")
def test_bce_backward_central_differences(impl):
    rng = np.random.default_rng(0)
    x, y, g = rng.standard_normal(6) * 3, rng.uniform(0, 1, 6), rng.standard_normal(6)
    want = numeric_grad(lambda v: softplus(v) - v * y, x, g)
    assert_close(impl.bce_with_logits_backward(g, x, y), want, exercise="5.2",
                 case="float64 logits (6,), vs central differences", hint=HINTS["5.2"],
                 rtol=1e-6, atol=1e-8)


@pytest.mark.exercise("5.2")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_backward_large_logits_and_dtype(impl, dtype):
    x = np.array([1000.0, -1000.0, 0.0], dtype)
    y = np.array([0.0, 0.0, 1.0], dtype)
    g = np.array([1.0, 2.0, 4.0], dtype)
    with np.errstate(all="ignore"):
        got = impl.bce_with_logits_backward(g, x, y)
    assert_close(got, np.array([1.0, 0.0, -2.0], dtype), exercise="5.2",
                 case=f"{np.dtype(dtype)} x = [1000, −1000, 0], y = [0, 0, 1], grad = [1, 2, 4]",
                 hint=HINTS["5.2"] + "; compute σ without overflow (½ + ½·tanh(x/2))",
                 **tolerances(np.dtype(dtype)))


# ---- 5.3 discriminator_loss ---------------------------------------------------------------

@pytest.mark.exercise("5.3")
def test_discriminator_loss_at_chance(impl):
    got = impl.discriminator_loss(np.zeros((4, 1)), np.zeros((6, 1)))
    assert_true(isinstance(got, float), exercise="5.3", case="all logits 0",
                problem=f"expected a Python float, got {type(got).__name__}",
                hint="return float(...)")
    assert_close(got, 2 * np.log(2), exercise="5.3", case="all logits 0 (D says ½ everywhere)",
                 hint=HINTS["5.3"], check_dtype=False)


@pytest.mark.exercise("5.3")
@pytest.mark.parametrize("n_real, n_fake", [(1, 1), (5, 3), (8, 8)])
def test_discriminator_loss_random(impl, n_real, n_fake):
    rng = np.random.default_rng(n_real * 10 + n_fake)
    real, fake = 4 * rng.standard_normal((n_real, 1)), 4 * rng.standard_normal((n_fake, 1))
    want = softplus(-real).mean() + softplus(fake).mean()
    assert_close(impl.discriminator_loss(real, fake), want, exercise="5.3",
                 case=f"{n_real} real and {n_fake} fake logits (a mean over each batch)",
                 hint=HINTS["5.3"], check_dtype=False)


# ---- 5.4 generator_loss -------------------------------------------------------------------

@pytest.mark.exercise("5.4")
@pytest.mark.parametrize("saturating", [True, False])
def test_generator_loss_and_gradient(impl, saturating):
    x = np.array([[-6.0], [-1.0], [0.0], [2.5], [7.0]])

    def loss(v):  # minimax: mean log(1 − σ(v)) = −mean softplus(v); else −mean log σ(v)
        return -softplus(v).mean() if saturating else softplus(-v).mean()

    got = impl.generator_loss(x, saturating=saturating)
    name = "minimax (saturating)" if saturating else "non-saturating"
    case = f"{name} loss, logits {x.ravel().tolist()}"
    assert_true(isinstance(got, tuple) and len(got) == 2, exercise="5.4", case=case,
                problem=f"expected a tuple (loss, grad), got {type(got).__name__}",
                hint="return loss, grad")
    assert_close(got[0], loss(x), exercise="5.4", case=case + " (loss)", hint=HINTS["5.4"],
                 check_dtype=False)
    want = numeric_grad(lambda v: np.array(loss(v)), x, np.array(1.0))
    assert_close(got[1], want, exercise="5.4", case=case + " (gradient, vs central "
                 "differences)", hint=HINTS["5.4"], rtol=1e-6, atol=1e-9)


@pytest.mark.exercise("5.4")
def test_minimax_gradient_vanishes_when_d_wins(impl):
    x = np.full((4, 1), -20.0)  # D is sure the samples are fake: D(G(z)) ≈ 2e-9
    _, g_sat = impl.generator_loss(x, saturating=True)
    _, g_ns = impl.generator_loss(x, saturating=False)
    assert_close(g_sat, -sigmoid(x) / 4, exercise="5.4", case="minimax, logits −20",
                 hint=HINTS["5.4"], rtol=1e-6, atol=1e-15)
    assert_close(g_ns, -(1 - sigmoid(x)) / 4, exercise="5.4", case="non-saturating, logits "
                 "−20", hint=HINTS["5.4"], rtol=1e-6, atol=1e-12)


# ---- 5.5 gan_training_step ----------------------------------------------------------------

def linear_gan(seed: int):
    """G = Linear(3 → 4), D = Linear(4 → 1), float64, with plain SGD (lr 0.5)."""
    import minidl
    from minidl import nn

    minidl.manual_seed(seed)
    G, D = nn.Linear(3, 4).double(), nn.Linear(4, 1).double()
    return G, D, minidl.optim.SGD(G.parameters(), lr=0.5), minidl.optim.SGD(D.parameters(),
                                                                            lr=0.5)


def hand_step(p: dict[str, np.ndarray], real: np.ndarray, z: np.ndarray, lr: float = 0.5):
    """The same step derived by hand for linear G and D: returns new params and the record."""
    wg, bg, wd, bd = p["wg"], p["bg"], p["wd"], p["bd"]
    fake = z @ wg.T + bg
    r, f = real @ wd.T + bd, fake @ wd.T + bd                 # logits (N, 1)
    d_loss = softplus(-r).mean() + softplus(f).mean()
    dr, df = -(1 - sigmoid(r)) / len(r), sigmoid(f) / len(f)  # dL_D/dlogits
    wd2 = wd - lr * (dr.T @ real + df.T @ fake)
    bd2 = bd - lr * (dr.sum(0) + df.sum(0))
    g = fake @ wd2.T + bd2                                     # the updated D
    g_loss = softplus(-g).mean()
    dfake = (-(1 - sigmoid(g)) / len(g)) @ wd2                 # dL_G/dfake (M, 4)
    new = {"wg": wg - lr * dfake.T @ z, "bg": bg - lr * dfake.sum(0), "wd": wd2, "bd": bd2}
    return new, {"d_loss": d_loss, "g_loss": g_loss, "d_real": sigmoid(r).mean(),
                 "d_fake": sigmoid(f).mean()}


@pytest.mark.exercise("5.5")
@pytest.mark.parametrize("steps", [1, 3])
def test_training_step_matches_hand_derivation(impl, steps):
    import minidl

    G, D, opt_g, opt_d = linear_gan(steps)
    p = {name: t.detach().numpy().copy() for name, t in
         (("wg", G.weight), ("bg", G.bias), ("wd", D.weight), ("bd", D.bias))}
    rng = np.random.default_rng(steps)
    for k in range(steps):
        real, z = rng.standard_normal((5, 4)) + 1, rng.standard_normal((6, 3))
        got = impl.gan_training_step(G, D, opt_g, opt_d, minidl.tensor(real), minidl.tensor(z))
        p, want = hand_step(p, real, z)
        case = f"linear G (3→4) and D (4→1), SGD lr 0.5, step {k + 1} of {steps}"
        assert_true(isinstance(got, dict) and set(want) <= set(got), exercise="5.5",
                    case=case, problem=f"expected a dict with keys {sorted(want)}, got {got!r}",
                    hint="return {'d_loss': …, 'g_loss': …, 'd_real': …, 'd_fake': …}")
        for key, value in want.items():
            assert_close(got[key], value, exercise="5.5", case=f"{case}: {key}",
                         hint=HINTS["5.5"], check_dtype=False, rtol=1e-9, atol=1e-12)
        for name, param in (("wg", G.weight), ("bg", G.bias), ("wd", D.weight),
                            ("bd", D.bias)):
            what = {"wg": "G's weight", "bg": "G's bias", "wd": "D's weight",
                    "bd": "D's bias"}[name]
            assert_close(param.detach().numpy(), p[name], exercise="5.5",
                         case=f"{case}: {what} after the step", hint=HINTS["5.5"] + (
                             " (a leftover or unwanted gradient reached G: detach the fake "
                             "batch in D's step, or zero G's gradients before its backward)"
                             if name[1] == "g" else " (D's update must use only D's loss: "
                             "zero D's gradients before its backward)"), rtol=1e-9, atol=1e-12)


# ---- 5.6 conv_transpose2d_output_size -----------------------------------------------------

OUTPUT_SIZES = [  # (in, kernel, stride, padding, output_padding, dilation) → out, by hand
    ((7, 4, 2, 1, 0, 1), 14),   # DCGAN: doubles
    ((14, 4, 2, 1, 0, 1), 28),
    ((1, 7, 1, 0, 0, 1), 7),    # a 1×1 code to a 7×7 map
    ((3, 3, 1, 1, 0, 1), 3),    # stride 1, "same" padding keeps the size
    ((4, 3, 2, 1, 1, 1), 8),    # 7 + output_padding 1
    ((5, 3, 3, 0, 2, 1), 17),
    ((2, 3, 1, 0, 0, 2), 6),    # dilated: the kernel spans 5
]


@pytest.mark.exercise("5.6")
@pytest.mark.parametrize("args, want", OUTPUT_SIZES)
def test_transposed_output_size_hand_computed(impl, args, want):
    got = impl.conv_transpose2d_output_size(*args)
    case = ("in_size={}, kernel_size={}, stride={}, padding={}, output_padding={}, "
            "dilation={}").format(*args)
    assert_true(isinstance(got, (int, np.integer)), exercise="5.6", case=case,
                problem=f"expected an int, got {type(got).__name__} {got!r}",
                hint="integer arithmetic only")
    assert_true(got == want, exercise="5.6", case=case, problem=f"expected {want}, got {got}",
                hint=HINTS["5.6"])


@pytest.mark.exercise("5.6")
@HYPOTHESIS
@given(size=st.integers(1, 12), kernel=st.integers(1, 5), stride=st.integers(1, 3),
       padding=st.integers(0, 2), dilation=st.integers(1, 2), data=st.data())
def test_transposed_output_size_inverts_the_convolution(impl, size, kernel, stride, padding,
                                                        dilation, data):
    op = data.draw(st.integers(0, stride - 1))
    span = dilation * (kernel - 1) + 1
    lengths = [n for n in range(1, 100) if n + 2 * padding >= span
               and (n + 2 * padding - span) // stride + 1 == size]  # conv inputs giving `size`
    assume(lengths)
    case = (f"in_size={size}, kernel_size={kernel}, stride={stride}, padding={padding}, "
            f"output_padding={op}, dilation={dilation}")
    got = impl.conv_transpose2d_output_size(size, kernel, stride, padding, op, dilation)
    want = lengths[0] + op
    assert_true(got == want, exercise="5.6", case=case,
                problem=f"expected {want} (the shortest input length {lengths[0]} of the "
                        f"convolution that outputs {size}, plus output_padding), got {got}",
                hint=HINTS["5.6"])


# ---- 5.7 conv_transpose2d_forward ---------------------------------------------------------

@pytest.mark.exercise("5.7")
def test_conv_transpose_hand_computed(impl):
    x = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    w = np.array([[[[1.0, 10.0], [100.0, 1000.0]]]])
    want = np.array([[[[1, 10, 2, 20], [100, 1000, 200, 2000],
                       [3, 30, 4, 40], [300, 3000, 400, 4000]]]], np.float64) + 0.5
    got = impl.conv_transpose2d_forward(x, w, np.array([0.5]), (2, 2), (0, 0), (0, 0), (1, 1))
    assert_close(got, want, exercise="5.7", case="x [[1, 2], [3, 4]], W [[1, 10], [100, 1000]], "
                 "bias 0.5, stride 2: every pixel stamps x·W", hint=HINTS["5.7"])


@st.composite
def transpose_geometry(draw) -> dict:
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    op = tuple(draw(st.integers(0, stride[a] - 1)) for a in (0, 1))
    size = (draw(st.integers(1, 6)), draw(st.integers(1, 6)))
    padding = []
    for a in (0, 1):
        full = (size[a] - 1) * stride[a] + dilation[a] * (kernel[a] - 1) + op[a]
        padding.append(draw(st.integers(0, min(2, full // 2))))
    return {"n": draw(st.integers(1, 3)), "c": draw(st.integers(1, 3)),
            "o": draw(st.integers(1, 3)), "size": size, "kernel": kernel, "stride": stride,
            "padding": tuple(padding), "op": op, "dilation": dilation,
            "dtype": draw(st.sampled_from([np.float32, np.float64])),
            "strided": draw(st.booleans()), "bias": draw(st.booleans()),
            "seed": draw(st.integers(0, 2**16))}


@pytest.mark.exercise("5.7")
@HYPOTHESIS
@given(g=transpose_geometry())
def test_conv_transpose_matches_minidl(impl, g):
    rng = np.random.default_rng(g["seed"])
    x = rng.standard_normal((g["n"], g["c"], *g["size"])).astype(g["dtype"])
    if g["strided"]:
        x = np.repeat(x, 2, axis=-1)[..., ::2]
    weight = rng.standard_normal((g["c"], g["o"], *g["kernel"])).astype(g["dtype"])
    bias = rng.standard_normal(g["o"]).astype(g["dtype"]) if g["bias"] else None
    args = (g["stride"], g["padding"], g["op"], g["dilation"])
    before = x.copy()
    case = (f"x {x.shape} {np.dtype(g['dtype'])}{' non-contiguous' if g['strided'] else ''}, "
            f"weight {weight.shape}, bias {'given' if g['bias'] else 'None'}, stride "
            f"{g['stride']}, padding {g['padding']}, output_padding {g['op']}, dilation "
            f"{g['dilation']}")
    got = impl.conv_transpose2d_forward(x, weight, bias, *args)
    want = reference("conv_transpose2d_forward")(x, weight, bias, *args)
    assert_close(got, want, exercise="5.7", case=case, hint=HINTS["5.7"],
                 **tolerances(np.dtype(g["dtype"])))
    assert_unchanged(before, x, exercise="5.7", case=case, name="x")


# ---- 5.8 frechet_distance -----------------------------------------------------------------

@pytest.mark.exercise("5.8")
def test_frechet_hand_computed(impl):
    cases = [  # (μ1, Σ1, μ2, Σ2, d²) worked out by hand
        ([0.0], [[4.0]], [3.0], [[1.0]], 9 + (2 - 1) ** 2),      # 1-D: (μ diff)² + (σ diff)²
        ([1.0, 2.0], np.diag([1.0, 9.0]), [1.0, 2.0], np.diag([4.0, 1.0]), 1 + 4),
        ([0.0, 0.0], np.eye(2), [0.0, 0.0], np.eye(2), 0.0),
        ([1.0, 1.0], np.zeros((2, 2)), [0.0, 0.0], np.diag([1.0, 0.0]), 2 + 1),  # singular
    ]
    for mu1, s1, mu2, s2, want in cases:
        got = impl.frechet_distance(np.array(mu1), np.array(s1), np.array(mu2), np.array(s2))
        case = f"μ1 {mu1}, Σ1 {np.array(s1).tolist()}, μ2 {mu2}, Σ2 {np.array(s2).tolist()}"
        assert_true(isinstance(got, float), exercise="5.8", case=case,
                    problem=f"expected a Python float, got {type(got).__name__}",
                    hint="return float(...)")
        assert_close(got, want, exercise="5.8", case=case, hint=HINTS["5.8"],
                     check_dtype=False, rtol=1e-7, atol=1e-7)


@pytest.mark.exercise("5.8")
@pytest.mark.parametrize("dim, rank", [(3, 3), (6, 6), (5, 2)])
def test_frechet_matches_minidl_and_is_symmetric(impl, dim, rank):
    rng = np.random.default_rng(dim + rank)
    a, b = rng.standard_normal((dim, rank)), rng.standard_normal((dim, dim))
    s1, s2 = a @ a.T, b @ b.T / dim                      # s1 singular when rank < dim
    mu1, mu2 = rng.standard_normal(dim), rng.standard_normal(dim)
    case = f"random {dim}-d Gaussians, Σ1 of rank {rank}"
    want = reference("frechet_distance")(mu1, s1, mu2, s2)
    assert_close(impl.frechet_distance(mu1, s1, mu2, s2), want, exercise="5.8", case=case,
                 hint=HINTS["5.8"], check_dtype=False, rtol=1e-6, atol=1e-8)
    assert_close(impl.frechet_distance(mu2, s2, mu1, s1), want, exercise="5.8",
                 case=case + ", arguments swapped (the distance is symmetric)",
                 hint=HINTS["5.8"], check_dtype=False, rtol=1e-6, atol=1e-8)


# ---- 5.9 slerp ----------------------------------------------------------------------------

@pytest.mark.exercise("5.9")
def test_slerp_quarter_circle(impl):
    z0, z1 = np.array([2.0, 0.0]), np.array([0.0, 2.0])   # 90° apart, both of length 2
    t = np.array([0.0, 1 / 3, 0.5, 1.0])
    angles = np.pi / 2 * t
    want = 2 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    assert_close(impl.slerp(z0, z1, t), want, exercise="5.9",
                 case="z0 = (2, 0), z1 = (0, 2), t = 0, 1/3, 1/2, 1: points on the circle of "
                      "radius 2 at angles 0°, 30°, 45°, 90°", hint=HINTS["5.9"])


@pytest.mark.exercise("5.9")
def test_slerp_parallel_codes_fall_back_to_lerp(impl):
    z0, z1 = np.array([1.0, 2.0, 2.0]), np.array([2.0, 4.0, 4.0])
    t = np.array([0.0, 0.25, 1.0])
    with np.errstate(all="ignore"):
        got = impl.slerp(z0, z1, t)
    assert_close(got, (1 - t)[:, None] * z0 + t[:, None] * z1, exercise="5.9",
                 case="z1 = 2·z0 (angle 0): linear interpolation", hint=HINTS["5.9"] +
                 " (sin Ω = 0 here: use (1 − t)·z0 + t·z1)")


@pytest.mark.exercise("5.9")
@HYPOTHESIS
@given(batch=st.sampled_from([(), (1,), (3,)]), dim=st.integers(2, 16),
       n_t=st.integers(1, 5), dtype=st.sampled_from([np.float32, np.float64]),
       seed=st.integers(0, 2**16))
def test_slerp_batches_match_minidl(impl, batch, dim, n_t, dtype, seed):
    rng = np.random.default_rng(seed)
    z0 = rng.standard_normal((*batch, dim)).astype(dtype)
    z1 = rng.standard_normal((*batch, dim)).astype(dtype)
    t = np.sort(rng.uniform(0, 1, n_t))
    before = z0.copy()
    case = f"z0, z1 of shape {z0.shape}, {np.dtype(dtype)}, {n_t} fractions"
    assert_close(impl.slerp(z0, z1, t), reference("slerp")(z0, z1, t), exercise="5.9",
                 case=case, hint=HINTS["5.9"], **tolerances(np.dtype(dtype)))
    assert_unchanged(before, z0, exercise="5.9", case=case, name="z0")
