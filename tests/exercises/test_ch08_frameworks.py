"""Autograder for chapter 8: frameworks, transfer, attribution, bias and cost (8.1–8.9).

Expected values come from hand computation (graphs drawn by hand, models whose gradients
are their weights, FLOPs counted position by position), from an independent least-squares
solve, and from minidl's own implementations (``minidl.jit.live_nodes``,
``minidl.interpret``); never from the implementation under test (``impl``).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

import minidl
from minidl import interpret, jit, nn
from minidl.grading import assert_close, assert_true

CHAPTER = "ch08_frameworks"
POINTS = {"8.1": 2, "8.2": 2, "8.3": 3, "8.4": 2, "8.5": 3, "8.6": 2, "8.7": 1, "8.8": 1,
          "8.9": 2}
HINTS = {
    "8.1": "walk the nodes from the last to the first, keeping a set of the value ids still "
           "needed; a node is live if it makes a needed value, and then its inputs are needed",
    "8.2": "backbone = model[:-1], head = model[-1]; requires_grad_(False) on the backbone "
           "for 'frozen', requires_grad_(True) on everything for 'full'",
    "8.3": "centre F and Y; W = (FcᵀFc + l2·I)⁻¹ FcᵀYc and b = mean(Y) − mean(F) W",
    "8.4": "x = minidl.tensor(x, requires_grad=True); model(x)[range(N), target].sum()"
           ".backward(); then |x.grad| and the max over axis 1",
    "8.5": "average the input gradients at base + (k + 0.5)/steps · (x − base), then "
           "multiply by (x − base)",
    "8.6": "for r in range(0, H − patch + 1, stride) (same for s): cover, score, add the "
           "drop to every covered pixel and 1 to its count; divide at the end",
    "8.7": "correct = predictions == labels; one mean per np.unique(groups); gap = max − min",
    "8.8": "rows = product of all but the last dim; each output needs in multiply-adds",
    "8.9": "N·O·OH·OW output values, each 2·C·kh·kw FLOPs (+1 with bias)",
}
HYPOTHESIS = settings(max_examples=15, deadline=None,
                      phases=(Phase.explicit, Phase.reuse, Phase.generate))

RNG = np.random.default_rng(0)
W = RNG.standard_normal((3, 2 * 4 * 5)).astype(np.float32)   # 3 classes, images 2×4×5
B = np.array([0.5, -1.0, 2.0], np.float32)
X = RNG.standard_normal((2, 2, 4, 5)).astype(np.float32)
T = np.array([2, 0])


def linear_model(x):
    """f(x) = W vec(x) + b, so ∂f_t/∂x = W[t] (by hand)."""
    return x.reshape(x.shape[0], -1) @ minidl.tensor(W.T) + minidl.tensor(B)


def small_cnn():
    minidl.manual_seed(3)
    return nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.Tanh(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(3 * 2 * 2, 3)).eval()


# ---- 8.1 live_nodes -----------------------------------------------------------------------

HAND_GRAPHS = [  # (nodes, outputs) → live nodes, drawn by hand
    ([([0], [1]), ([1], [2]), ([0, 1], [3]), ([2], [4])], [3], [0, 2]),
    ([([0], [1]), ([1], [2]), ([0, 1], [3]), ([2], [4])], [4], [0, 1, 3]),
    ([([0], [1]), ([1], [2])], [0], []),                          # returns its input
    ([([0], [1, 2]), ([2], [3]), ([1], [4])], [3], [0, 1]),       # a two-output node
    ([([0], [1]), ([0], [2]), ([1, 2], [3])], [3, 1], [0, 1, 2]),
]


@pytest.mark.exercise("8.1")
@pytest.mark.parametrize("nodes, outputs, want", HAND_GRAPHS)
def test_live_nodes_hand_drawn(impl, nodes, outputs, want):
    got = impl.live_nodes(nodes, outputs)
    assert_true(got is not None and list(got) == want, exercise="8.1",
                case=f"nodes {nodes}, outputs {outputs}", problem=f"expected {want}, got {got}",
                hint=HINTS["8.1"])


@st.composite
def random_graph(draw):
    """A random DAG in execution order: node k reads earlier values, makes 1–2 new ones."""
    n_inputs, values, nodes = draw(st.integers(1, 3)), None, []
    values = list(range(n_inputs))
    for _ in range(draw(st.integers(0, 12))):
        reads = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))
        makes = list(range(len(values), len(values) + draw(st.integers(1, 2))))
        values += makes
        nodes.append((reads, makes))
    outputs = draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))
    return nodes, outputs


def reachable_nodes(nodes, outputs):
    """Brute force: repeat "a node making a needed value is live" until nothing changes."""
    live, needed, changed = set(), set(outputs), True
    while changed:
        changed = False
        for k, (reads, makes) in enumerate(nodes):
            if k not in live and needed.intersection(makes):
                live.add(k)
                needed.update(reads)
                changed = True
    return sorted(live)


@pytest.mark.exercise("8.1")
@HYPOTHESIS
@given(graph=random_graph())
def test_live_nodes_random_graphs(impl, graph):
    nodes, outputs = graph
    want = reachable_nodes(nodes, outputs)
    assert want == jit.live_nodes(nodes, outputs)      # the oracle agrees with minidl's pass
    got = impl.live_nodes(nodes, outputs)
    assert_true(got is not None and list(got) == want, exercise="8.1",
                case=f"nodes {nodes}, outputs {outputs}", problem=f"expected {want}, got {got}",
                hint=HINTS["8.1"])


# ---- 8.2 fine_tuning_param_groups ----------------------------------------------------------

def pretrained():
    minidl.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))


def ids(params):
    return [id(p) for p in params]


@pytest.mark.exercise("8.2")
def test_frozen_backbone_trains_only_the_head(impl):
    model = pretrained()
    groups = impl.fine_tuning_param_groups(model, "frozen", lr=0.01)
    head, backbone = list(model[-1].parameters()), list(model[0].parameters())
    assert_true(isinstance(groups, list) and len(groups) == 1, exercise="8.2",
                case="mode 'frozen'", problem=f"expected one group, got {groups!r}",
                hint=HINTS["8.2"])
    assert_true(ids(groups[0]["params"]) == ids(head) and groups[0]["lr"] == 0.01,
                exercise="8.2", case="mode 'frozen'",
                problem="the group must hold the head's parameters (in order) at lr",
                hint=HINTS["8.2"])
    flags = [p.requires_grad for p in backbone] + [p.requires_grad for p in head]
    assert_true(flags == [False, False, True, True], exercise="8.2", case="mode 'frozen'",
                problem=f"requires_grad of conv weight, conv bias, head weight, head bias: "
                        f"expected [False, False, True, True], got {flags}", hint=HINTS["8.2"])
    before = [p.detach().numpy().copy() for p in model.parameters()]
    opt = minidl.optim.SGD(groups, lr=0.5)
    (model(minidl.randn(4, 1, 6, 6)) ** 2).sum().backward()
    opt.step()
    changed = [not np.array_equal(b, p.data) for b, p in zip(before, model.parameters())]
    assert_true(changed == [False, False, True, True], exercise="8.2", case="one SGD step",
                problem=f"which parameters moved (conv w, conv b, head w, head b): {changed}",
                hint=HINTS["8.2"])


@pytest.mark.exercise("8.2")
@pytest.mark.parametrize("backbone_lr, want", [(None, 0.001), (0.003, 0.003)])
def test_full_fine_tuning_unfreezes_and_uses_two_rates(impl, backbone_lr, want):
    model = pretrained()
    model.requires_grad_(False)                 # e.g. after a frozen phase
    groups = impl.fine_tuning_param_groups(model, "full", lr=0.01, backbone_lr=backbone_lr)
    case = f"mode 'full', lr 0.01, backbone_lr {backbone_lr}"
    assert_true(isinstance(groups, list) and len(groups) == 2, exercise="8.2", case=case,
                problem=f"expected two groups, got {groups!r}", hint=HINTS["8.2"])
    assert_true(ids(groups[0]["params"]) == ids(model[:-1].parameters())
                and ids(groups[1]["params"]) == ids(model[-1].parameters()), exercise="8.2",
                case=case, problem="expected [backbone group, head group]", hint=HINTS["8.2"])
    assert_true(abs(groups[0]["lr"] - want) < 1e-12 and groups[1]["lr"] == 0.01,
                exercise="8.2", case=case,
                problem=f"expected rates ({want}, 0.01), got ({groups[0]['lr']}, "
                        f"{groups[1]['lr']})", hint="the backbone's default is lr / 10")
    assert_true(all(p.requires_grad for p in model.parameters()), exercise="8.2", case=case,
                problem="every parameter must require gradients again", hint=HINTS["8.2"])


@pytest.mark.exercise("8.2")
def test_unknown_mode_is_an_error(impl):
    with pytest.raises(ValueError, match="partial"):
        impl.fine_tuning_param_groups(pretrained(), "partial", lr=0.01)


# ---- 8.3 fit_linear_probe -----------------------------------------------------------------

def ridge_by_lstsq(f, labels, k, l2):
    """Independent solution: least squares on [F 1; √l2·I 0] [W; b] ≈ [Y; 0]."""
    n, d = f.shape
    y = np.eye(k)[labels]
    a = np.block([[f, np.ones((n, 1))], [np.sqrt(l2) * np.eye(d), np.zeros((d, 1))]])
    sol = np.linalg.lstsq(a, np.vstack([y, np.zeros((d, k))]), rcond=None)[0]
    return sol[:-1], sol[-1]


@pytest.mark.exercise("8.3")
@HYPOTHESIS
@given(n=st.integers(8, 40), d=st.integers(1, 6), k=st.integers(2, 4),
       l2=st.sampled_from([0.0, 1e-2, 3.0]), seed=st.integers(0, 2**16),
       dtype=st.sampled_from([np.float32, np.float64]))
def test_probe_minimises_the_ridge_objective(impl, n, d, k, l2, seed, dtype):
    rng = np.random.default_rng(seed)
    f = rng.standard_normal((n, d)).astype(dtype) * 3 + 1
    labels = rng.integers(0, k, n)
    want_w, want_b = ridge_by_lstsq(f.astype(np.float64), labels, k, l2)
    got = impl.fit_linear_probe(f, labels, k, l2=l2)
    case = f"F {f.shape} {np.dtype(dtype)}, K = {k}, l2 = {l2}"
    assert_true(isinstance(got, tuple) and len(got) == 2, exercise="8.3", case=case,
                problem=f"expected a pair (W, b), got {type(got).__name__}", hint=HINTS["8.3"])
    assert_close(got[0], want_w, exercise="8.3", case=case + ": W", hint=HINTS["8.3"],
                 rtol=1e-6, atol=1e-8)
    assert_close(got[1], want_b, exercise="8.3", case=case + ": b", hint=HINTS["8.3"],
                 rtol=1e-6, atol=1e-8)


@pytest.mark.exercise("8.3")
def test_probe_separates_separable_features(impl):
    f = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 4.9], [0.0, 9.0], [0.2, 9.1]])
    labels = np.array([0, 0, 1, 1, 2, 2])
    w, b = impl.fit_linear_probe(f, labels, 3, l2=1e-3)
    predicted = np.argmax(f @ w + b, axis=1)
    assert_true(np.array_equal(predicted, labels), exercise="8.3", case="3 separated clusters",
                problem=f"predictions {predicted}, labels {labels}", hint=HINTS["8.3"])


# ---- 8.4 saliency -------------------------------------------------------------------------

@pytest.mark.exercise("8.4")
def test_saliency_of_a_linear_model_is_its_largest_weight_per_pixel(impl):
    want = np.abs(W[T].reshape(2, 2, 4, 5)).max(axis=1)
    assert_close(impl.saliency(linear_model, X, T), want, exercise="8.4",
                 case="f(x) = W·vec(x) + b, 2 channels", hint=HINTS["8.4"], rtol=1e-6)


@pytest.mark.exercise("8.4")
def test_saliency_matches_minidl_and_leaves_the_model_alone(impl):
    model = small_cnn()
    before = [p.detach().numpy().copy() for p in model.parameters()]
    got = impl.saliency(model, X, T)
    assert_close(got, interpret.saliency(small_cnn(), X, T), exercise="8.4",
                 case="a small CNN (conv, tanh, max-pool, linear)", hint=HINTS["8.4"],
                 rtol=1e-5, atol=1e-7)
    assert_true(all(np.array_equal(b, p.data) for b, p in zip(before, model.parameters())),
                exercise="8.4", case="a small CNN", problem="the model's weights changed",
                hint="only compute a gradient; do not step an optimizer")


# ---- 8.5 integrated_gradients -------------------------------------------------------------

@pytest.mark.exercise("8.5")
@pytest.mark.parametrize("steps", [1, 7])
def test_integrated_gradients_of_a_linear_model(impl, steps):
    baseline = np.full_like(X, 0.5)
    want = (X - baseline) * W[T].reshape(2, 2, 4, 5)     # the gradient is constant
    assert_close(impl.integrated_gradients(linear_model, X, T, baseline=baseline, steps=steps),
                 want, exercise="8.5", case=f"linear model, baseline 0.5, steps {steps}",
                 hint=HINTS["8.5"], rtol=1e-5, atol=1e-6)


@pytest.mark.exercise("8.5")
def test_integrated_gradients_complete_and_match_minidl(impl):
    model = small_cnn()
    got = impl.integrated_gradients(model, X, T, steps=5)
    assert_close(got, interpret.integrated_gradients(model, X, T, steps=5), exercise="8.5",
                 case="a small CNN, black baseline, 5 midpoints", hint=HINTS["8.5"],
                 rtol=1e-4, atol=1e-6)
    fine = impl.integrated_gradients(model, X, T, steps=200)
    want = interpret.target_scores(model, X, T) - interpret.target_scores(model, 0 * X, T)
    assert_close(fine.sum(axis=(1, 2, 3)), want, exercise="8.5",
                 case="completeness with 200 steps: Σ attributions = f(x) − f(0)",
                 hint=HINTS["8.5"], rtol=1e-2, atol=1e-3, check_dtype=False)


# ---- 8.6 occlusion ------------------------------------------------------------------------

def occlusion_by_hand(patch, stride, fill):
    """For the linear model a square's drop is Σ over it of W[t]·(x − fill)."""
    contrib = (W[T].reshape(2, 2, 4, 5) * (X - fill)).sum(axis=1)
    total, count = np.zeros((2, 4, 5)), np.zeros((4, 5))
    for r in range(0, 4 - patch + 1, stride):
        for s in range(0, 5 - patch + 1, stride):
            total[:, r:r + patch, s:s + patch] += contrib[:, r:r + patch, s:s + patch].sum(
                axis=(1, 2))[:, None, None]
            count[r:r + patch, s:s + patch] += 1
    return total / np.maximum(count, 1)


@pytest.mark.exercise("8.6")
@pytest.mark.parametrize("patch, stride, fill", [(2, 2, 0.0), (3, 1, 0.0), (1, 1, -0.5),
                                                 (2, 3, 1.0)])
def test_occlusion_of_a_linear_model(impl, patch, stride, fill):
    got = impl.occlusion(linear_model, X, T, patch=patch, stride=stride, fill=fill)
    assert_close(got, occlusion_by_hand(patch, stride, fill).astype(np.float32), exercise="8.6",
                 case=f"linear model, patch {patch}, stride {stride}, fill {fill}",
                 hint=HINTS["8.6"], rtol=1e-4, atol=1e-5)


@pytest.mark.exercise("8.6")
def test_occlusion_matches_minidl_on_a_cnn(impl):
    model = small_cnn()
    assert_close(impl.occlusion(model, X, T, patch=2, stride=1),
                 interpret.occlusion(model, X, T, patch=2, stride=1), exercise="8.6",
                 case="a small CNN, patch 2, stride 1", hint=HINTS["8.6"], rtol=1e-4,
                 atol=1e-6)


# ---- 8.7 group_accuracy_gap ---------------------------------------------------------------

@pytest.mark.exercise("8.7")
def test_group_accuracies_by_hand(impl):
    predictions = np.array([1, 0, 1, 1, 0, 0, 1])
    labels = np.array([1, 0, 0, 1, 1, 0, 1])
    groups = np.array(["red", "red", "red", "green", "green", "blue", "blue"])
    accuracies, gap = impl.group_accuracy_gap(predictions, labels, groups)
    # np.unique order: blue (2/2), green (1/2), red (2/3)
    assert_close(accuracies, np.array([1.0, 0.5, 2 / 3]), exercise="8.7",
                 case="three named groups", hint=HINTS["8.7"])
    assert_true(isinstance(gap, float) and abs(gap - 0.5) < 1e-12, exercise="8.7",
                case="three named groups", problem=f"gap: expected 0.5 (a float), got {gap!r}",
                hint=HINTS["8.7"])


@pytest.mark.exercise("8.7")
def test_one_group_has_no_gap(impl):
    accuracies, gap = impl.group_accuracy_gap(np.array([1, 2, 3]), np.array([1, 0, 3]),
                                              np.array([7, 7, 7]))
    assert_close(accuracies, np.array([2 / 3]), exercise="8.7", case="one group",
                 hint=HINTS["8.7"])
    assert_true(gap == 0.0, exercise="8.7", case="one group", problem=f"gap {gap}, expected 0")


# ---- 8.8 linear_flops, 8.9 conv2d_flops ---------------------------------------------------

@pytest.mark.exercise("8.8")
@pytest.mark.parametrize("args, want", [
    (((1, 784), 128, True), 128 * (2 * 784 + 1)),
    (((64, 400), 120, False), 64 * 120 * 800),
    (((8, 16, 32), 10, True), 8 * 16 * 10 * 65),      # (batch, sequence, features)
    (((32,), 4, True), 4 * 65),                        # one unbatched vector
])
def test_linear_flops_by_hand(impl, args, want):
    got = impl.linear_flops(*args)
    assert_true(got == want and isinstance(got, (int, np.integer)), exercise="8.8",
                case=f"input {args[0]}, out {args[1]}, bias {args[2]}",
                problem=f"expected {want}, got {got!r}", hint=HINTS["8.8"])


def conv_positions_by_counting(size, k, stride, padding, dilation):
    """Window start positions along one axis, counted one by one."""
    return sum(1 for start in range(0, size + 2 * padding, stride)
               if start + dilation * (k - 1) < size + 2 * padding)


@pytest.mark.exercise("8.9")
@pytest.mark.parametrize("args, want", [
    (((1, 1, 28, 28), (6, 1, 5, 5), 1, 2, 1, True), 6 * 28 * 28 * 51),   # LeNet conv1
    (((64, 6, 14, 14), (16, 6, 5, 5), 1, 0, 1, True), 64 * 16 * 100 * 301),
    (((2, 3, 7, 7), (4, 3, 3, 3), 2, 1, 1, False), 2 * 4 * 16 * 54),
])
def test_conv2d_flops_by_hand(impl, args, want):
    got = impl.conv2d_flops(*args)
    assert_true(got == want and isinstance(got, (int, np.integer)), exercise="8.9",
                case="input {}, weight {}, stride {}, padding {}, dilation {}, bias {}".format(
                    *args), problem=f"expected {want}, got {got!r}", hint=HINTS["8.9"])


@pytest.mark.exercise("8.9")
@HYPOTHESIS
@given(n=st.integers(1, 3), c=st.integers(1, 4), o=st.integers(1, 4), h=st.integers(5, 12),
       w=st.integers(5, 12), k=st.integers(1, 3), stride=st.integers(1, 3),
       padding=st.integers(0, 2), dilation=st.integers(1, 2), bias=st.booleans())
def test_conv2d_flops_counts_every_window(impl, n, c, o, h, w, k, stride, padding, dilation,
                                          bias):
    oh = conv_positions_by_counting(h, k, stride, padding, dilation)
    ow = conv_positions_by_counting(w, k, stride, padding, dilation)
    want = n * o * oh * ow * (2 * c * k * k + bias)
    got = impl.conv2d_flops((n, c, h, w), (o, c, k, k), stride, padding, dilation, bias)
    assert_true(got == want, exercise="8.9",
                case=f"input {(n, c, h, w)}, kernel {k}, stride {stride}, padding {padding}, "
                     f"dilation {dilation}, bias {bias}", problem=f"expected {want}, got {got}",
                hint=HINTS["8.9"])
