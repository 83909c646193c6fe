# Your workbook, generated from solutions/ch04_rnn.py
# by `python -m minidl.course sync`. Replace each `raise NotImplementedError(...)` with
# your code; sync keeps your edits when the course changes. Check your work with
# check("N.M") in the notebook or `python -m minidl.grade N.M` in a terminal.
"""Chapter 4: recurrent networks (notebooks/04_rnn.ipynb).

Exercises 4.1–4.5 are one time step of the three classic recurrent cells, forward and
backward, with PyTorch's weight layout; 4.6 is gradient clipping. They have the names and
signatures of minidl's kernel slots, so after ``minidl.use_exercises()`` the layers
``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` run your cells at every time step (and
``nn.utils.clip_grad_norm_`` your clipping). Exercise 4.7 samples the next character of a
language model. Exercise 4.8 is the GRU cell's backward pass and 4.9 backpropagation
through time over a whole sequence; both are minidl kernel slots too (``nn.RNN`` runs your
``rnn_backward``).

Shapes: N the batch, I the input size, H the hidden size. Arrays are NumPy arrays, float32
or float64; every result keeps the dtype of the inputs. Never modify an input in place.
"""

from __future__ import annotations

import numpy as np

from minidl.course import exercise


def sigmoid(x: np.ndarray) -> np.ndarray:
    """σ(x) = 1 / (1 + e^(−x)), written as ½ + ½·tanh(x/2) (no overflow). Given: you wrote
    it in exercise 1.4."""
    return 0.5 + 0.5 * np.tanh(0.5 * x)


@exercise("4.1", section="The recurrence")
def rnn_cell_forward(
    x: np.ndarray,
    h: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None,
    b_hh: np.ndarray | None,
    nonlinearity: str,
) -> np.ndarray:
    """One step of an Elman RNN (PyTorch's ``nn.RNNCell``):

        h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh),     act = tanh or ReLU

    Args:
        x: the input at this step, shape (N, I).
        h: the previous hidden state, shape (N, H).
        w_ih: input-to-hidden weights, shape (H, I).
        w_hh: hidden-to-hidden (recurrent) weights, shape (H, H).
        b_ih, b_hh: biases, shape (H,) each, or both None (a layer without bias).
        nonlinearity: "tanh" or "relu".

    Returns:
        h', shape (N, H), the dtype of h.

    Hint: ``x @ w_ih.T`` is (N, H); a bias of shape (H,) broadcasts over the N rows.
    """
    raise NotImplementedError(
        "Exercise 4.1 (rnn_cell_forward): see "
        "notebooks/04_rnn.ipynb, section 'The recurrence'"
    )


@exercise("4.2", section="Backpropagation through time")
def rnn_cell_backward(
    grad_h_new: np.ndarray,
    x: np.ndarray,
    h: np.ndarray,
    h_new: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    nonlinearity: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The gradients of one RNN step (exercise 4.1), given dL/dh'.

    Derive them from h' = act(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (section "Backpropagation
    through time"): first the gradient at the pre-activation, through act (written with
    the output h', which forward computed), then back through the two matrix products and
    the two biases, as for a linear layer (exercise 2.4).

    Args:
        grad_h_new: dL/dh', shape (N, H).
        x, h: the step's inputs, shapes (N, I) and (N, H).
        h_new: the step's output h', shape (N, H).
        w_ih, w_hh: the weights, shapes (H, I) and (H, H).
        nonlinearity: "tanh" or "relu".

    Returns:
        ``(grad_x, grad_h, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh)``: shapes (N, I),
        (N, H), (H, I), (H, H), (H,), (H,), dtype of grad_h_new.

    Hint: the dL/dh you return is what flows into the previous time step: in BPTT it is
    added to that step's own dL/dh'.
    """
    raise NotImplementedError(
        "Exercise 4.2 (rnn_cell_backward): see "
        "notebooks/04_rnn.ipynb, section 'Backpropagation through time'"
    )


@exercise("4.3", section="LSTM: the cell state and its gates")
def lstm_cell_forward(
    x: np.ndarray,
    h: np.ndarray,
    c: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None,
    b_hh: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One LSTM step with PyTorch's gate layout [i | f | g | o]:

        [a_i | a_f | a_g | a_o] = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh        (N, 4H)
        i = σ(a_i)   input gate       f = σ(a_f)   forget gate
        g = tanh(a_g) candidate        o = σ(a_o)   output gate
        c' = f ⊙ c + i ⊙ g             (the cell state: forget some, write some)
        h' = o ⊙ tanh(c')              (the hidden state: read some)

    Args:
        x: shape (N, I);  h, c: shape (N, H).
        w_ih: shape (4H, I);  w_hh: shape (4H, H): the four gates' rows stacked i, f, g, o.
        b_ih, b_hh: shape (4H,) each, or both None.

    Returns:
        ``(h_new, c_new, gates)``: h' and c' (N, H), and the activated gates
        [i | f | g | o] concatenated along axis 1, shape (N, 4H) (backward needs them).

    Hint: columns ``k*H:(k+1)*H`` of the (N, 4H) pre-activation belong to gate k; use
    the given ``sigmoid``.
    """
    raise NotImplementedError(
        "Exercise 4.3 (lstm_cell_forward): see "
        "notebooks/04_rnn.ipynb, section 'LSTM: the cell state and its gates'"
    )


@exercise("4.4", section="LSTM: the cell state and its gates")
def lstm_cell_backward(
    grad_h_new: np.ndarray,
    grad_c_new: np.ndarray,
    x: np.ndarray,
    h: np.ndarray,
    c: np.ndarray,
    c_new: np.ndarray,
    gates: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """The gradients of one LSTM step (exercise 4.3), given dL/dh' and dL/dc'.

    Derive them from the gate equations of section "LSTM: the cell state and its gates":
    c' reaches the loss twice, directly (dL/dc', from the next step) and through
    h' = o ⊙ tanh(c'); from the total gradient at c' go back through c' = f ⊙ c + i ⊙ g to
    the four gates, through their activations to the (N, 4H) pre-activation, and through
    the matrix products as in exercise 4.2. dL/dc shows the LSTM's secret: along the cell
    state, what multiplies the gradient?

    Args:
        grad_h_new, grad_c_new: dL/dh' and dL/dc', shape (N, H).
        x (N, I), h (N, H), c (N, H): the step's inputs; c_new (N, H): its c'.
        gates: the (N, 4H) activated gates [i | f | g | o] from forward.
        w_ih (4H, I), w_hh (4H, H): the weights.

    Returns:
        ``(grad_x, grad_h, grad_c, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh)``: shapes
        (N, I), (N, H), (N, H), (4H, I), (4H, H), (4H,), (4H,), dtype of grad_h_new.

    Hint: slice i, f, g, o out of ``gates`` exactly as forward packed them.
    """
    raise NotImplementedError(
        "Exercise 4.4 (lstm_cell_backward): see "
        "notebooks/04_rnn.ipynb, section 'LSTM: the cell state and its gates'"
    )


@exercise("4.5", section="GRU: two gates instead of three")
def gru_cell_forward(
    x: np.ndarray,
    h: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    b_ih: np.ndarray | None,
    b_hh: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray]:
    """One GRU step with PyTorch's gate layout [r | z | n]:

        gi = x W_ihᵀ + b_ih,   gh = h W_hhᵀ + b_hh            both (N, 3H)
        r = σ(gi_r + gh_r)                 reset gate
        z = σ(gi_z + gh_z)                 update gate
        n = tanh(gi_n + r ⊙ gh_n)          candidate (r scales the recurrent part only)
        h' = (1 − z) ⊙ n + z ⊙ h           keep a fraction z of the old state

    Args:
        x: shape (N, I);  h: shape (N, H).
        w_ih: shape (3H, I);  w_hh: shape (3H, H): rows stacked r, z, n.
        b_ih, b_hh: shape (3H,) each, or both None.

    Returns:
        ``(h_new, cache)``: h' (N, H), and the cache [r | z | n | gh_n] concatenated along
        axis 1, shape (N, 4H), where gh_n = h W_hnᵀ + b_hn is the recurrent part of n
        (backward needs it to differentiate through r).

    Hint: unlike the LSTM, keep gi and gh apart: b_hn sits *inside* r ⊙ (…).
    """
    raise NotImplementedError(
        "Exercise 4.5 (gru_cell_forward): see "
        "notebooks/04_rnn.ipynb, section 'GRU: two gates instead of three'"
    )


@exercise("4.6", section="Exploding gradients and clipping")
def clip_grad_norm(
    grads: list[np.ndarray], max_norm: float, norm_type: float
) -> tuple[list[np.ndarray], float]:
    """Scale all gradients together so that their joint p-norm is at most ``max_norm``.

    Treat the gradients as one long vector (p = ``norm_type``):

        total = (Σ_i Σ_j |g_ij|^p)^(1/p)        or  total = max_ij |g_ij|  for p = ∞
        c = max_norm / (total + 10⁻⁶)
        g_i ← c · g_i  for every i, but only when c < 1 (small gradients stay as they are)

    Scaling everything by one factor keeps the gradient's *direction*; only an overlong
    step is shortened.

    Args:
        grads: a list of arrays of any shapes (the gradients of all parameters).
        max_norm: the largest norm allowed, ≥ 0.
        norm_type: p ≥ 1, or ``np.inf`` (= ``math.inf``).

    Returns:
        ``(clipped, total)``: a list of NEW arrays (same shapes and dtypes as ``grads``) and
        the total norm before clipping as a Python float.

    Hint: accumulate the norm in float64 (``g.astype(np.float64)``); ``.astype(g.dtype)``
    gives each result its original dtype back.
    """
    raise NotImplementedError(
        "Exercise 4.6 (clip_grad_norm): see "
        "notebooks/04_rnn.ipynb, section 'Exploding gradients and clipping'"
    )


@exercise("4.7", section="Sampling with a temperature")
def sample_with_temperature(
    logits: np.ndarray, temperature: float, rng: np.random.Generator, top_k: int | None = None
) -> np.ndarray:
    """Draw one class per row from softmax(logits / temperature), optionally among the top k.

        p_v = exp(ℓ_v / T) / Σ_u exp(ℓ_u / T)

    T = 1 samples the model's own distribution; T < 1 sharpens it (T → 0: always the most
    likely class, the argmax); T > 1 flattens it towards uniform. With ``top_k = k`` only
    the k largest logits of each row keep their probability (the rest get 0) before
    renormalising.

    Args:
        logits: scores, shape (..., V): one row of V class scores per prediction.
        temperature: T ≥ 0; T = 0 means greedy: return the argmax.
        rng: a ``np.random.Generator``; draw every random number from it (e.g.
            ``rng.random(...)``) so that a fixed seed gives fixed samples.
        top_k: None (all classes) or an int 1 ≤ k ≤ V.

    Returns:
        The sampled class ids, int64, shape (...) (a 0-d array for logits of shape (V,)).

    Raises:
        ValueError: when temperature < 0 or top_k is outside [1, V].

    Hint: subtract each row's maximum before ``np.exp`` (no overflow at small T); one
    uniform number u per row and the cumulative sum of p give the class: the first index
    whose cumulative probability exceeds u.
    """
    raise NotImplementedError(
        "Exercise 4.7 (sample_with_temperature): see "
        "notebooks/04_rnn.ipynb, section 'Sampling with a temperature'"
    )


@exercise("4.8", section="GRU: two gates instead of three")
def gru_cell_backward(
    grad_h_new: np.ndarray,
    x: np.ndarray,
    h: np.ndarray,
    gates: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The gradients of one GRU step (exercise 4.5), given dL/dh'.

    Derive them from the four equations of section "GRU: two gates instead of three", from
    h' back to the pre-activations gi and gh, then through the two matrix products (as in
    exercise 4.2). Mind the two paths from h to h' (directly, and through gh) and that r
    multiplies only the recurrent part gh_n.

    Args:
        grad_h_new: dL/dh', shape (N, H).
        x, h: the step's inputs, shapes (N, I) and (N, H).
        gates: the cache your gru_cell_forward returned, [r | z | n | gh_n], shape (N, 4H).
        w_ih, w_hh: shapes (3H, I) and (3H, H), rows stacked r, z, n.

    Returns:
        ``(grad_x, grad_h, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh)``: shapes (N, I),
        (N, H), (3H, I), (3H, H), (3H,), (3H,), dtype of grad_h_new.

    Hint: write dL/dgi and dL/dgh, both (N, 3H) in the order [r | z | n], first; every
    weight and bias gradient follows from those two.
    """
    raise NotImplementedError(
        "Exercise 4.8 (gru_cell_backward): see "
        "notebooks/04_rnn.ipynb, section 'GRU: two gates instead of three'"
    )


@exercise("4.9", section="Backpropagation through time")
def rnn_backward(
    grad_output: np.ndarray,
    grad_h_n: np.ndarray,
    x: np.ndarray,
    h0: np.ndarray,
    output: np.ndarray,
    w_ih: np.ndarray,
    w_hh: np.ndarray,
    nonlinearity: str,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Backpropagation through time for a whole sequence of RNN steps (exercise 4.1).

    The forward pass ran h_t = rnn_cell_forward(x_t, h_{t−1}, …) for t = 1 … T from h_0,
    and output[t − 1] = h_t. Section "Backpropagation through time" says which two
    gradients reach each h_t and what happens to the shared weights; use your
    rnn_cell_backward (exercise 4.2) for the single steps.

    Args:
        grad_output: (T, N, H), dL/d output (the loss may read every step).
        grad_h_n: (N, H), dL/dh_T coming from the final state the layer also returns (it is
            output[T − 1] too: both gradients count).
        x: (T, N, I); h0: (N, H); output: (T, N, H) as the forward pass returned it.
        w_ih: (H, I); w_hh: (H, H); nonlinearity: "tanh" or "relu".

    Returns:
        ``(grad_x, grad_h0, grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh)``: shapes (T, N, I),
        (N, H), (H, I), (H, H), (H,), (H,), dtype of grad_output.
    """
    raise NotImplementedError(
        "Exercise 4.9 (rnn_backward): see "
        "notebooks/04_rnn.ipynb, section 'Backpropagation through time'"
    )
