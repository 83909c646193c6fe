"""Chapter 5: generative adversarial networks (notebooks/05_gan.ipynb).

Exercises 5.1–5.4 are the losses of the adversarial game: the binary cross-entropy of a
logit, computed so that it never overflows, and its gradient; the discriminator's loss;
the generator's loss in its two forms. 5.5 is one alternating training step of a GAN, on
minidl modules. 5.6 and 5.7 are the transposed convolution, the layer a generator uses
to grow an image. 5.8 is the Fréchet distance behind FID, 5.9 spherical interpolation in
the latent space.

5.1, 5.2, 5.7, 5.8 and 5.9 have the names and signatures of minidl's kernel slots: after
``minidl.use_exercises()`` the chapter's losses, generators, metrics and latent walks run
your code. Arrays are NumPy arrays; results keep the dtype of the inputs unless stated;
never modify an input in place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minidl.course import exercise

Pair = tuple[int, int]


@exercise("5.1", section="The discriminator's loss")
def bce_with_logits_forward(logits: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The binary cross-entropy between σ(logits) and target, elementwise, from the logits.

    For one logit x and a target y ∈ [0, 1] this is the loss of a classifier that says
    "real" with probability σ(x) when the truth is y (the notebook writes it out). It must
    stay finite and accurate for every float logit, e.g. x = ±1000 in float32, where
    computing σ(x) first and taking its log gives inf or nan.

    Args:
        logits: any shape, float32 or float64.
        target: the same shape and dtype, values in [0, 1].

    Returns:
        The elementwise losses, same shape and dtype (no mean).

    Hint: the section "The discriminator's loss" rewrites the loss with log(1 + e^(−|x|)),
    which never exponentiates a positive number; ``np.log1p`` keeps it accurate.
    """
    # BEGIN SOLUTION
    return np.maximum(logits, 0) - logits * target + np.log1p(np.exp(-np.abs(logits)))
    # END SOLUTION


@exercise("5.2", section="The discriminator's loss")
def bce_with_logits_backward(grad: np.ndarray, logits: np.ndarray,
                             target: np.ndarray) -> np.ndarray:
    """The gradient of exercise 5.1's losses with respect to the logits.

    Args:
        grad: dL/d(loss), the same shape as logits (the upstream gradient).
        logits, target: as in exercise 5.1.

    Returns:
        dL/d(logits), same shape and dtype as logits; finite for every float logit.

    Hint: differentiate the loss as a function of x; the result is strikingly simple.
    σ(x) = ½ + ½·tanh(x/2) never overflows.
    """
    # BEGIN SOLUTION
    return grad * (0.5 + 0.5 * np.tanh(0.5 * logits) - target)
    # END SOLUTION


@exercise("5.3", section="The discriminator's loss")
def discriminator_loss(real_logits: np.ndarray, fake_logits: np.ndarray) -> float:
    """The discriminator's loss on one batch of real and one batch of generated images.

    D is a binary classifier: it should call the real images real and the generated ones
    fake. Its loss is the mean binary cross-entropy on the real batch plus the mean binary
    cross-entropy on the fake batch (each with its own target).

    Args:
        real_logits: D's logits on the real images, shape (N, 1) or (N,).
        fake_logits: D's logits on the generated images, shape (M, 1) or (M,).

    Returns:
        The loss, a Python float.

    Hint: use your bce_with_logits_forward (exercise 5.1) with the right target arrays.
    """
    # BEGIN SOLUTION
    real = bce_with_logits_forward(real_logits, np.ones_like(real_logits)).mean()
    fake = bce_with_logits_forward(fake_logits, np.zeros_like(fake_logits)).mean()
    return float(real + fake)
    # END SOLUTION


@exercise("5.4", section="Minimax or non-saturating: the generator's loss")
def generator_loss(fake_logits: np.ndarray, saturating: bool = False
                   ) -> tuple[float, np.ndarray]:
    """The generator's loss on D's logits for a batch of generated images, and its gradient.

    ``saturating=True``: the original minimax game's generator loss, the *negative* of the
    fake-batch term of the discriminator's loss (G minimises what D maximises).
    ``saturating=False``: the non-saturating loss, the mean binary cross-entropy of the fake
    batch against the target "real" (G tries to make D say "real").

    Args:
        fake_logits: D's logits on the generated images, shape (M, 1) or (M,), float64.
        saturating: which of the two losses.

    Returns:
        ``(loss, grad)``: the loss as a Python float, and dloss/d(fake_logits) with the
        shape and dtype of fake_logits (remember the 1/M of the mean).

    Hint: the notebook's figure of both losses as functions of D(G(z)) shows where each
    one's gradient vanishes; both gradients are short expressions in σ(x).
    """
    # BEGIN SOLUTION
    p = 0.5 + 0.5 * np.tanh(0.5 * fake_logits)        # D(G(z))
    m = fake_logits.size
    if saturating:                                    # mean log(1 − σ(x)) = −mean softplus(x)
        loss = -bce_with_logits_forward(fake_logits, np.zeros_like(fake_logits)).mean()
        return float(loss), -p / m
    loss = bce_with_logits_forward(fake_logits, np.ones_like(fake_logits)).mean()
    return float(loss), -(1 - p) / m
    # END SOLUTION


@exercise("5.5", section="Alternating training")
def gan_training_step(G: Any, D: Any, opt_g: Any, opt_d: Any, real: Any, z: Any
                      ) -> dict[str, float]:
    """One alternating step of GAN training, on minidl modules and optimizers.

    First update D once (its loss as in exercise 5.3, on ``real`` and on G(z)), then update
    G once with the non-saturating loss, against the D that was just updated. D's update
    must not change G, and G's update must not change D: think about which parameters
    each ``backward()`` reaches, which gradients are still stored, and where ``detach()``
    belongs.

    Args:
        G: an ``nn.Module`` mapping codes (N, Z) to images; D: images to logits (N, 1).
        opt_g, opt_d: minidl optimizers over G's and over D's parameters.
        real: a batch of real images (a Tensor); z: a batch of codes (N, Z) (a Tensor).

    Returns:
        A dict of Python floats: ``d_loss`` and ``g_loss`` (the two losses that were
        minimised), ``d_real`` and ``d_fake``: the mean probability D gave to the real
        batch and to the fake batch *in D's step* (before its update).

    Hint: ``minidl.functional.binary_cross_entropy_with_logits(logits, target)`` is the
    mean of exercise 5.1; ``minidl.ones_like(t)`` / ``minidl.zeros_like(t)`` make targets;
    ``.item()`` turns a one-element Tensor into a float.
    """
    # BEGIN SOLUTION
    import minidl
    from minidl import functional as F

    fake = G(z)
    opt_d.zero_grad()
    real_logits = D(real)
    fake_logits = D(fake.detach())          # no gradient into G from D's loss
    d_loss = (F.binary_cross_entropy_with_logits(real_logits, minidl.ones_like(real_logits))
              + F.binary_cross_entropy_with_logits(fake_logits,
                                                   minidl.zeros_like(fake_logits)))
    d_loss.backward()
    opt_d.step()
    opt_g.zero_grad()                       # also clears nothing D left: D never reached G
    logits = D(fake)                        # the updated D
    g_loss = F.binary_cross_entropy_with_logits(logits, minidl.ones_like(logits))
    g_loss.backward()                       # fills D's .grad too; opt_d.zero_grad() clears it
    opt_g.step()
    return {"d_loss": d_loss.item(), "g_loss": g_loss.item(),
            "d_real": F.sigmoid(real_logits).mean().item(),
            "d_fake": F.sigmoid(fake_logits).mean().item()}
    # END SOLUTION


@exercise("5.6", section="Transposed convolution: learning to upsample")
def conv_transpose2d_output_size(in_size: int, kernel_size: int, stride: int = 1,
                                 padding: int = 0, output_padding: int = 0,
                                 dilation: int = 1) -> int:
    """The length of a transposed convolution's output along one axis (PyTorch's).

    A transposed convolution with these settings produces an array of the length of the
    *input* of the convolution with the same kernel_size, stride, padding and dilation
    (whose output length exercise 3.1 computed) that outputs ``in_size`` positions. When
    stride > 1 several input lengths give that same output; PyTorch takes the shortest and
    adds ``output_padding`` (0 ≤ output_padding < stride).

    Args:
        in_size: ≥ 1; kernel_size, stride, dilation ≥ 1; padding, output_padding ≥ 0.

    Returns:
        The output length, a Python int.

    Hint: invert the convolution's size formula for the smallest L; check your answer
    with the notebook's example, 7 → 14 for kernel 4, stride 2, padding 1.
    """
    # BEGIN SOLUTION
    return (in_size - 1) * stride - 2 * padding + dilation * (kernel_size - 1) \
        + output_padding + 1
    # END SOLUTION


@exercise("5.7", section="Transposed convolution: learning to upsample")
def conv_transpose2d_forward(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None,
    stride: Pair,
    padding: Pair,
    output_padding: Pair,
    dilation: Pair,
) -> np.ndarray:
    """A transposed convolution's forward pass, as one matrix product and a col2im.

    x (N, in, H, W) is treated as the gradient dL/dy of a convolution with weight
    (in, out, kh, kw) (a convolution from ``out`` to ``in`` channels); the result is
    that convolution's input-gradient, of shape (N, out, OH, OW) with OH, OW from your
    exercise 5.6, plus ``bias[o]`` on every pixel of output channel o.

    Args:
        x: (N, in, H, W); weight: (in, out, kh, kw); bias: (out,) or None.
        stride, padding, output_padding, dilation: pairs (along H, along W).

    Returns:
        y: (N, out, OH, OW), dtype of x.

    Hint: chapter 3's backward pass (exercise 3.5) computed dL/dcols with one matrix
    product and folded it with col2im; here x plays dL/dy. minidl's col2im is
    ``minidl.kernels.cpu.im2col.col2im(cols, input_shape, kernel_size, stride, padding,
    dilation)`` with cols (N, out·kh·kw, H·W) and input_shape = (N, out, OH, OW).
    """
    # BEGIN SOLUTION
    from minidl.kernels.cpu.im2col import col2im

    n, c_in, h, w = x.shape
    _, c_out, kh, kw = weight.shape
    oh, ow = (conv_transpose2d_output_size((h, w)[a], (kh, kw)[a], stride[a], padding[a],
                                           output_padding[a], dilation[a]) for a in (0, 1))
    cols = weight.reshape(c_in, -1).T @ x.reshape(n, c_in, h * w)   # (N, out·kh·kw, H·W)
    y = col2im(cols, (n, c_out, oh, ow), (kh, kw), stride, padding, dilation)
    if bias is not None:
        y = y + bias[:, None, None]
    return y.astype(x.dtype)
    # END SOLUTION


@exercise("5.8", section="Measuring samples, not eyeballing them")
def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray,
                     sigma2: np.ndarray) -> float:
    """The squared Fréchet distance between the Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    Args:
        mu1, mu2: means, shape (D,); sigma1, sigma2: covariance matrices, shape (D, D),
            symmetric positive semi-definite (possibly singular).

    Returns:
        d², a Python float ≥ 0 (clip a tiny negative rounding error to 0).

    Hint: the notebook shows why tr (Σ₁Σ₂)^{1/2} equals the trace of the square root of a
    *symmetric* matrix; ``np.linalg.eigh`` / ``eigvalsh`` handle symmetric matrices
    (compute the square root of a symmetric PSD matrix from its eigen-decomposition, and
    clip eigenvalues that rounding made slightly negative).
    """
    # BEGIN SOLUTION
    w, v = np.linalg.eigh(sigma1)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T              # Σ₁^{1/2}
    m = root @ sigma2 @ root
    cross = np.sqrt(np.clip(np.linalg.eigvalsh((m + m.T) / 2), 0, None)).sum()
    d2 = ((mu1 - mu2) ** 2).sum() + np.trace(sigma1) + np.trace(sigma2) - 2 * cross
    return max(float(d2), 0.0)
    # END SOLUTION


@exercise("5.9", section="Walking the latent space")
def slerp(z0: np.ndarray, z1: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Spherical interpolation from z0 to z1 at the fractions t.

    The path moves along the great circle through z0 and z1 at constant angular speed
    (for codes of equal length it stays on the sphere of that radius). Codes that point in
    the same or opposite directions (angle within 1e-6 rad of 0 or π) have no unique great
    circle: interpolate those linearly.

    Args:
        z0, z1: (..., D), the same shape: one pair of codes (D,) or a batch of pairs (N, D).
        t: (T,) fractions in [0, 1].

    Returns:
        (T, ..., D), dtype of z0: out[k] is the point at fraction t[k] (z0 at t = 0, z1 at
        t = 1).

    Hint: write the point as a·z0 + b·z1 and find a(t), b(t) from the angle Ω between
    the codes (the notebook's figure); reshape t to (T, 1, …, 1) so it broadcasts.
    """
    # BEGIN SOLUTION
    a, b = z0.astype(np.float64), z1.astype(np.float64)
    t = np.asarray(t, np.float64).reshape((-1,) + (1,) * a.ndim)
    norms = np.linalg.norm(a, axis=-1, keepdims=True) * np.linalg.norm(b, axis=-1,
                                                                        keepdims=True)
    omega = np.arccos(np.clip((a * b).sum(-1, keepdims=True) / norms, -1.0, 1.0))
    sin = np.sin(omega)
    linear = sin < 1e-6
    sin = np.where(linear, 1.0, sin)
    wa = np.where(linear, 1 - t, np.sin((1 - t) * omega) / sin)
    wb = np.where(linear, t, np.sin(t * omega) / sin)
    return (wa * a + wb * b).astype(z0.dtype)
    # END SOLUTION
