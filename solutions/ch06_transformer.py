"""Chapter 6: attention and the Transformer (notebooks/06_transformer.ipynb).

Exercises 6.1–6.5, 6.7–6.9 have the names and signatures of minidl's kernel slots, so after
``minidl.use_exercises()`` ``F.scaled_dot_product_attention``, ``nn.MultiheadAttention``,
``nn.LayerNorm``, ``nn.GELU`` and everything built on them (the chapter's GPT and BERT) run
your code: the attention forward pass (6.1) with your causal mask (6.2), its backward through
your softmax gradient (6.3), your head split and merge (6.4, 6.5), your layer norm (6.7, 6.8)
and your GELU (6.9). Exercises 6.6 and 6.10–6.12 are the Transformer's other parts:
sinusoidal positions, the distribution to sample the next token from, the learning-rate
warm-up, and BERT's input corruption.

Shapes: N the batch, H the heads, L the queries (target length), S the keys and values
(source length), E the features of a query or key, D a model (embedding) dimension. Arrays
are NumPy arrays, float32 or float64; every result keeps the dtype of the inputs unless said
otherwise. Never modify an input in place.
"""

from __future__ import annotations

import math  # noqa: F401  (exercises 6.6, 6.9 and 6.11 may use it)

import numpy as np

from minidl.course import exercise
from minidl.kernels.cpu.activation import erf  # noqa: F401  (given, for exercise 6.9)

IGNORE_INDEX = -100  # the label cross_entropy skips (PyTorch's default ignore_index)


@exercise("6.1", section="Scaled dot-product attention")
def attention_forward(
    q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None, scale: float
) -> tuple[np.ndarray, np.ndarray]:
    """Scaled dot-product attention: every query takes a weighted average of the values,
    weighted by how well it matches each key.

        scores = q kᵀ · scale + mask            (..., L, S)
        P = softmax(scores) along the last axis (each row sums to 1)
        out = P v                               (..., L, Ev)

    Args:
        q: queries, shape (..., L, E).
        k: keys, shape (..., S, E) (the same leading dims as q).
        v: values, shape (..., S, Ev).
        mask: None, or an additive mask broadcastable to (..., L, S): 0 where a query may
            look at a key, −∞ where it may not (any other float is added as it is).
        scale: the factor for the scores, usually 1/√E.

    Returns:
        ``(out, probs)``: out (..., L, Ev) and the attention weights P (..., L, S).

    Hint: ``np.swapaxes(k, -1, -2)`` transposes the last two axes of a stack of matrices and
    ``@`` multiplies stacks; subtract each row's maximum before ``np.exp`` (a row's max is
    finite as long as one key is allowed; e^(−∞) = 0 takes care of the rest).
    """
    # BEGIN SOLUTION
    scores = (q @ np.swapaxes(k, -1, -2)) * q.dtype.type(scale)
    if mask is not None:
        scores = scores + mask
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    probs = e / e.sum(axis=-1, keepdims=True)
    return probs @ v, probs
    # END SOLUTION


@exercise("6.2", section="Masks: causal and padding")
def causal_mask(target_len: int, source_len: int, dtype: np.dtype) -> np.ndarray:
    """The additive causal mask of a language model: query i may look at keys 0, 1, …, i
    only (never into the future).

        mask[i, j] = 0   if j ≤ i
                   = −∞  if j > i

    Args:
        target_len: L, the number of queries (rows).
        source_len: S, the number of keys (columns); S may differ from L (the mask is the
            top-left-aligned lower triangle, as PyTorch's ``is_causal``).
        dtype: the float dtype of the result.

    Returns:
        The mask, shape (L, S), dtype ``dtype``.

    Hint: ``np.triu(..., k=1)`` keeps what lies strictly above the diagonal; ``np.where``
    turns a bool array into two values.
    """
    # BEGIN SOLUTION
    future = np.triu(np.ones((target_len, source_len), dtype=bool), k=1)
    return np.where(future, -np.inf, 0.0).astype(dtype)
    # END SOLUTION


@exercise("6.3", section="Backward through attention")
def softmax_backward(grad: np.ndarray, out: np.ndarray, dim: int) -> np.ndarray:
    """The gradient of s = softmax(x) along ``dim``, given g = dL/ds and s itself.

    The Jacobian is ∂s_i/∂x_k = s_i (δ_ik − s_k), so

        dL/dx_k = Σ_i g_i s_i (δ_ik − s_k) = s_k (g_k − Σ_i g_i s_i)

    Attention's backward pass runs this on the weights P: dL/dscores = softmax_backward(
    dL/dP, P, −1). Masked entries have s = 0, so they get no gradient.

    Args:
        grad: g = dL/ds, any shape.
        out: s = softmax(x), the same shape (the forward's output; x is not needed).
        dim: the axis softmax normalised over (may be negative).

    Returns:
        dL/dx, the same shape as ``grad``.

    Hint: ``keepdims=True`` keeps the summed axis so the sum broadcasts back.
    """
    # BEGIN SOLUTION
    return out * (grad - (grad * out).sum(axis=dim, keepdims=True))
    # END SOLUTION


@exercise("6.4", section="Multi-head attention")
def split_heads(x: np.ndarray, num_heads: int) -> np.ndarray:
    """Split the features of every token into ``num_heads`` heads of d = D / H features:

        out[n, h, l, :] = x[n, l, h·d : (h+1)·d]

    Each head then attends on its own (a stack of N·H independent attentions).

    Args:
        x: shape (N, L, D), D divisible by num_heads.
        num_heads: H.

    Returns:
        Shape (N, H, L, d), a C-contiguous array (``np.ascontiguousarray``): the GEMMs that
        follow want each head's (L, d) matrix in one block of memory.

    Hint: a reshape to (N, L, H, d) then a transpose of two axes.
    """
    # BEGIN SOLUTION
    n, length, d_model = x.shape
    heads = x.reshape(n, length, num_heads, d_model // num_heads)
    return np.ascontiguousarray(heads.transpose(0, 2, 1, 3))
    # END SOLUTION


@exercise("6.5", section="Multi-head attention")
def merge_heads(x: np.ndarray) -> np.ndarray:
    """The inverse of :func:`split_heads`: put the heads' outputs side by side again.

        out[n, l, h·d : (h+1)·d] = x[n, h, l, :]

    Args:
        x: shape (N, H, L, d).

    Returns:
        Shape (N, L, H·d), C-contiguous.

    Hint: transpose first, then reshape (a reshape never moves data between axes).
    """
    # BEGIN SOLUTION
    n, heads, length, d = x.shape
    return np.ascontiguousarray(x.transpose(0, 2, 1, 3)).reshape(n, length, heads * d)
    # END SOLUTION


@exercise("6.6", section="Positional information")
def sinusoidal_encoding(num_positions: int, dim: int) -> np.ndarray:
    """The fixed positional encoding of "Attention Is All You Need": for position p and
    i = 0, 1, …, dim/2 − 1,

        PE[p, 2i]     = sin(p / 10000^(2i/dim))
        PE[p, 2i + 1] = cos(p / 10000^(2i/dim))

    Each pair of columns is a clock of its own frequency, from one turn per 2π positions
    (i = 0) to one per 10000·2π; PE[p + k] is a rotation of PE[p] that depends on k only.

    Args:
        num_positions: P, positions 0 … P − 1.
        dim: the model dimension, even.

    Returns:
        PE, shape (P, dim), float64.

    Raises:
        ValueError: when dim is odd or < 2.

    Hint: build a column of positions (P, 1) and a row of frequencies (dim/2,) and let
    broadcasting make the (P, dim/2) table of angles.
    """
    # BEGIN SOLUTION
    if dim < 2 or dim % 2:
        raise ValueError(f"sinusoidal_encoding: dim must be even and ≥ 2, got {dim}")
    positions = np.arange(num_positions, dtype=np.float64)[:, None]
    freqs = 10000.0 ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)
    angles = positions * freqs
    pe = np.empty((num_positions, dim))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe
    # END SOLUTION


@exercise("6.7", section="The block: residuals and LayerNorm")
def layer_norm_forward(
    x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None, eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Layer norm: standardise each row (the last axis, D values) on its own, then scale
    and shift.

        μ = (1/D) Σ_j x_j     σ² = (1/D) Σ_j (x_j − μ)²     (biased variance)
        rstd = 1 / √(σ² + eps)
        y_j = γ_j (x_j − μ) · rstd + β_j

    Args:
        x: shape (..., D).
        weight: γ, shape (D,), or None (γ = 1).
        bias: β, shape (D,), or None (β = 0).
        eps: added to the variance (1e-5 in PyTorch).

    Returns:
        ``(y, mean, rstd)``: y like x; mean and rstd shape (...) (one per row; backward
        needs them).
    """
    # BEGIN SOLUTION
    mean = x.mean(axis=-1)
    centred = x - mean[..., None]
    rstd = 1.0 / np.sqrt((centred * centred).mean(axis=-1) + eps)
    y = centred * rstd[..., None]
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y.astype(x.dtype), mean.astype(x.dtype), rstd.astype(x.dtype)
    # END SOLUTION


@exercise("6.8", section="The block: residuals and LayerNorm")
def layer_norm_backward(
    grad: np.ndarray, x: np.ndarray, weight: np.ndarray | None, mean: np.ndarray,
    rstd: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The gradients of layer norm (exercise 6.7) given g = dL/dy.

    With x̂ = (x − μ) · rstd and ĝ = g ⊙ γ (the gradient at x̂), per row:

        dL/dx = rstd · (ĝ − mean_j(ĝ) − x̂ ⊙ mean_j(ĝ ⊙ x̂))
        dL/dγ = Σ_rows g ⊙ x̂        dL/dβ = Σ_rows g         (shape (D,))

    The two means are what μ and σ² depend on: moving one x_j moves the whole row's
    statistics, so every output of the row pulls on it.

    Args:
        grad: g, shape (..., D).
        x: the forward's input, shape (..., D).
        weight: γ (D,) or None (γ = 1).
        mean, rstd: from the forward pass, shape (...).

    Returns:
        ``(grad_x, grad_weight, grad_bias)``: (..., D), (D,), (D,) (the last two also
        when weight is None), the dtype of x.
    """
    # BEGIN SOLUTION
    xhat = (x - mean[..., None]) * rstd[..., None]
    ghat = grad if weight is None else grad * weight
    grad_x = rstd[..., None] * (ghat - ghat.mean(axis=-1, keepdims=True)
                                - xhat * (ghat * xhat).mean(axis=-1, keepdims=True))
    d = x.shape[-1]
    grad_w = (grad * xhat).reshape(-1, d).sum(axis=0)
    grad_b = grad.reshape(-1, d).sum(axis=0)
    return grad_x.astype(x.dtype), grad_w.astype(x.dtype), grad_b.astype(x.dtype)
    # END SOLUTION


@exercise("6.9", section="The MLP and GELU")
def gelu_forward(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """GELU, the Transformer's activation: x weighted by the probability that a standard
    normal variable is below it.

        GELU(x) = x · Φ(x) = ½ x (1 + erf(x / √2))                    approximate="none"
        GELU(x) ≈ ½ x (1 + tanh(√(2/π) (x + 0.044715 x³)))             approximate="tanh"

    Args:
        x: any shape.
        approximate: "none" (exact, with erf) or "tanh" (GPT-2's approximation).

    Returns:
        GELU(x), the shape and dtype of x.

    Hint: ``erf`` is given (imported at the top of this file): an elementwise NumPy ufunc.
    """
    # BEGIN SOLUTION
    if approximate == "tanh":
        inner = math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)
        return (0.5 * x * (1.0 + np.tanh(inner))).astype(x.dtype)
    return (0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))).astype(x.dtype)
    # END SOLUTION


@exercise("6.10", section="Sampling: temperature and top-k")
def next_token_distribution(
    logits: np.ndarray, temperature: float, top_k: int | None = None
) -> np.ndarray:
    """The distribution a language model samples its next token from (as nanoGPT's
    ``generate``): keep the k largest logits, divide by the temperature T, softmax.

        ℓ'_v = ℓ_v / T   if ℓ_v ≥ (the k-th largest logit of the row), else −∞
        p_v = exp(ℓ'_v) / Σ_u exp(ℓ'_u)

    T < 1 sharpens, T > 1 flattens; T = 0 means greedy decoding: p is 1 at the row's
    first largest logit and 0 elsewhere. Ties at the k-th value all stay in.

    Args:
        logits: shape (..., V).
        temperature: T ≥ 0.
        top_k: None (all V stay in) or an int ≥ 1; k > V means V.

    Returns:
        p, shape (..., V), float64, each row summing to 1.

    Raises:
        ValueError: when temperature < 0 or top_k < 1.

    Hint: ``np.sort(logits, axis=-1)[..., -k]`` is each row's k-th largest value.
    """
    # BEGIN SOLUTION
    if temperature < 0:
        raise ValueError(f"next_token_distribution: temperature must be ≥ 0, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"next_token_distribution: top_k must be ≥ 1, got {top_k}")
    logits = np.asarray(logits, dtype=np.float64)
    vocab = logits.shape[-1]
    if temperature == 0:
        return np.eye(vocab)[np.argmax(logits, axis=-1)]
    if top_k is not None:
        kth = np.sort(logits, axis=-1)[..., vocab - min(top_k, vocab), None]
        logits = np.where(logits >= kth, logits, -np.inf)
    scaled = logits / temperature
    e = np.exp(scaled - scaled.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
    # END SOLUTION


@exercise("6.11", section="Training a tiny GPT")
def warmup_cosine(step: int, warmup_steps: int, max_steps: int, min_ratio: float = 0.1) -> float:
    """The learning-rate factor of a linear warm-up followed by a cosine decay (use it as
    ``LambdaLR(optimizer, lambda s: warmup_cosine(s, …))``: lr = base_lr · factor).

        factor = (step + 1) / warmup_steps                       step < warmup_steps
               = r + (1 − r) · ½ (1 + cos(π · t))                 warmup_steps ≤ step < max_steps
                 with t = (step − warmup_steps) / (max_steps − warmup_steps)
               = r                                               step ≥ max_steps
        (r = min_ratio)

    Adam's early steps are large relative to a fresh model's scale (its second-moment
    estimate starts at 0); a short warm-up keeps them from wrecking the initialisation.

    Args:
        step: the optimizer step, 0, 1, 2, …
        warmup_steps: ≥ 0 (0: no warm-up).
        max_steps: > warmup_steps, where the decay reaches min_ratio.
        min_ratio: r in [0, 1], the final factor.

    Returns:
        The factor as a Python float.
    """
    # BEGIN SOLUTION
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    if step >= max_steps:
        return float(min_ratio)
    t = (step - warmup_steps) / (max_steps - warmup_steps)
    return float(min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * t)))
    # END SOLUTION


@exercise("6.12", section="A tiny BERT")
def mlm_mask(
    tokens: np.ndarray, mask_id: int, vocab_size: int, rng: np.random.Generator,
    mask_prob: float = 0.15, special_ids: tuple[int, ...] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """BERT's masked-language-model corruption: pick 15 % of the tokens to predict; of those,
    replace 80 % by [MASK], 10 % by a random token, and keep 10 % unchanged.

    Draw exactly these three arrays from ``rng``, in this order, all of shape tokens.shape:

        u = rng.random(shape)                    chosen where u < mask_prob (and the token
                                                 is not one of special_ids)
        r = rng.random(shape)                    among the chosen: r < 0.8 → mask_id,
                                                 0.8 ≤ r < 0.9 → the random id, else kept
        random_ids = rng.integers(0, vocab_size, shape)

    Args:
        tokens: integer ids, any shape (e.g. (N, L)).
        mask_id: the id of the [MASK] token.
        vocab_size: V; random replacements are uniform over 0 … V − 1.
        rng: a ``np.random.Generator``.
        mask_prob: the fraction to predict (0.15).
        special_ids: ids never chosen (padding, [CLS], …).

    Returns:
        ``(inputs, labels)``, both int64 of tokens' shape: the corrupted inputs, and the
        original token where chosen, −100 (cross_entropy's ignore_index) elsewhere.

    Hint: ``np.isin(tokens, special_ids)``; build the result with ``np.where``.
    """
    # BEGIN SOLUTION
    u = rng.random(tokens.shape)
    r = rng.random(tokens.shape)
    random_ids = rng.integers(0, vocab_size, tokens.shape)
    chosen = (u < mask_prob) & ~np.isin(tokens, special_ids)
    inputs = np.where(chosen & (r < 0.8), mask_id, tokens)
    inputs = np.where(chosen & (r >= 0.8) & (r < 0.9), random_ids, inputs)
    labels = np.where(chosen, tokens, IGNORE_INDEX)
    return inputs.astype(np.int64), labels.astype(np.int64)
    # END SOLUTION
