"""Chapter 1: the perceptron and activation functions (notebooks/01_perceptron.ipynb).

Exercises 1.1–1.3 build Rosenblatt's perceptron (1957): its prediction, its learning rule
and its training loop. Exercises 1.4–1.9 are the activation functions and their
derivatives; they have the names and signatures of minidl's kernels, so after
``minidl.use_exercises()`` minidl itself runs your versions.

Arrays are NumPy arrays. Labels are 0 or 1.
"""

from __future__ import annotations

import numpy as np

from minidl.course import exercise


@exercise("1.1", section="The artificial neuron")
def perceptron_predict(X: np.ndarray, w: np.ndarray, b: float) -> np.ndarray:
    """Predict 0/1 labels with a perceptron: ŷ = step(X·w + b).

    For each row x of X the neuron computes the weighted sum z = w·x + b and fires
    (ŷ = 1) when z ≥ 0, else ŷ = 0:

        step(z) = 1 if z ≥ 0 else 0

    Args:
        X: inputs, shape (N, D), one example per row (any real dtype).
        w: weights, shape (D,).
        b: bias, a Python or NumPy scalar.

    Returns:
        Predictions, shape (N,), dtype int64, each 0 or 1.

    Hint: ``X @ w`` computes all N weighted sums at once; a comparison gives booleans,
    and ``.astype(np.int64)`` turns them into 0/1.
    """
    # BEGIN SOLUTION
    z = X @ w + b
    return (z >= 0).astype(np.int64)
    # END SOLUTION


@exercise("1.2", section="The perceptron learning rule")
def perceptron_update(
    w: np.ndarray, b: float, x: np.ndarray, y: int, lr: float
) -> tuple[np.ndarray, float]:
    """One step of the perceptron learning rule on a single example (x, y).

    Predict ŷ = step(w·x + b) (as in exercise 1.1, with step(z) = 1 if z ≥ 0 else 0), then

        w ← w + lr · (y − ŷ) · x
        b ← b + lr · (y − ŷ)

    A correct prediction (y = ŷ) changes nothing; a false negative (y=1, ŷ=0) moves the
    boundary towards x, a false positive (y=0, ŷ=1) away from it.

    Args:
        w: weights, shape (D,), float.
        b: bias, a scalar.
        x: one example, shape (D,).
        y: its label, 0 or 1.
        lr: the learning rate η > 0.

    Returns:
        ``(new_w, new_b)``: a NEW array of shape (D,) (float64) and a Python float. Do not
        modify ``w`` in place: the caller may still need the old weights.

    Hint: ``w + lr * (y - y_hat) * x`` builds a new array; ``float(...)`` makes the bias
    a Python float.
    """
    # BEGIN SOLUTION
    y_hat = 1 if float(x @ w + b) >= 0 else 0
    delta = lr * (y - y_hat)
    return np.asarray(w + delta * x, dtype=np.float64), float(b + delta)
    # END SOLUTION


@exercise("1.3", section="Training until convergence")
def train_perceptron(
    X: np.ndarray, y: np.ndarray, lr: float = 1.0, epochs: int = 10
) -> tuple[np.ndarray, float, list[int]]:
    """Train a perceptron with the classic online loop.

    Start from w = 0 (shape (D,), float64) and b = 0.0. In each epoch visit the
    examples in order i = 0 … N−1; when example i is misclassified
    (perceptron_predict gives ŷ ≠ y_i) apply perceptron_update and count one error. After
    each epoch append its error count to ``errors``; stop early after the first epoch
    with zero errors (the data are separated), else after ``epochs`` epochs.

    Args:
        X: inputs, shape (N, D).
        y: labels, shape (N,), each 0 or 1.
        lr: the learning rate η.
        epochs: the maximum number of passes over the data.

    Returns:
        ``(w, b, errors)``: weights (D,) float64, bias (float), and the list of errors
        per epoch (ints; its length is the number of epochs run).

    Hint: reuse your perceptron_predict (on ``X[i:i+1]``) and perceptron_update.
    """
    # BEGIN SOLUTION
    w, b = np.zeros(X.shape[1], dtype=np.float64), 0.0
    errors: list[int] = []
    for _ in range(epochs):
        mistakes = 0
        for i in range(X.shape[0]):
            if perceptron_predict(X[i : i + 1], w, b)[0] != y[i]:
                w, b = perceptron_update(w, b, X[i], int(y[i]), lr)
                mistakes += 1
        errors.append(mistakes)
        if mistakes == 0:
            break
    return w, b, errors
    # END SOLUTION


@exercise("1.4", section="Activation functions: sigmoid")
def sigmoid_forward(x: np.ndarray) -> np.ndarray:
    """The logistic sigmoid σ, elementwise (the notebook's table gives its definition).

    Args:
        x: any shape, float32 or float64.

    Returns:
        σ(x): a new array, same shape and dtype as x, values in [0, 1]. It must be exactly 0
        and 1 at x = −1000 and x = +1000, without overflow warnings.

    Hint: the section "Activation functions: sigmoid" explains why the textbook form
    overflows for very negative x and which equivalent form does not; make sure the form you
    use is only ever evaluated where it is safe.
    """
    # BEGIN SOLUTION
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    e = np.exp(x[~pos])
    out[~pos] = e / (1.0 + e)
    return out
    # END SOLUTION


@exercise("1.5", section="Activation functions: sigmoid")
def sigmoid_backward(grad: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The sigmoid's backward pass: dL/dx from the upstream gradient dL/dy (chain rule).

    Args:
        grad: the upstream gradient dL/dy, shape S.
        out: what the forward pass returned, y = σ(x), shape S (x itself is not given).

    Returns:
        dL/dx, shape S, dtype of grad.

    Hint: differentiate σ(x) = 1 / (1 + e^(−x)) and write σ'(x) in terms of σ(x) alone
    (section "Activation functions: sigmoid"); then no exponential is needed here.
    """
    # BEGIN SOLUTION
    return grad * out * (1 - out)
    # END SOLUTION


@exercise("1.6", section="Activation functions: tanh")
def tanh_forward(x: np.ndarray) -> np.ndarray:
    """The hyperbolic tangent, elementwise (definition in the notebook's table).

    Args:
        x: any shape, float32 or float64.

    Returns:
        tanh(x): a new array, same shape and dtype, values in [−1, 1]; exactly ±1 at ±1000
        without overflow warnings.

    Hint: the definition overflows if written literally for large |x|; the section
    "Activation functions: tanh" relates tanh to the sigmoid you already wrote.
    """
    # BEGIN SOLUTION
    return np.tanh(x)
    # END SOLUTION


@exercise("1.7", section="Activation functions: tanh")
def tanh_backward(grad: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The backward pass of tanh: dL/dx from the upstream gradient dL/dy (chain rule).

    Args:
        grad: the upstream gradient dL/dy, shape S.
        out: what the forward pass returned, y = tanh(x), shape S (x itself is not given).

    Returns:
        dL/dx, shape S, dtype of grad.

    Hint: differentiate the quotient that defines tanh and express the result through tanh
    itself (section "Activation functions: tanh").
    """
    # BEGIN SOLUTION
    return grad * (1 - out * out)
    # END SOLUTION


@exercise("1.8", section="Activation functions: ReLU")
def relu_forward(x: np.ndarray) -> np.ndarray:
    """The rectified linear unit, elementwise (definition in the notebook's table).

    Args:
        x: any shape, float32 or float64.

    Returns:
        ReLU(x): a new array, same shape and dtype as x (x itself is left unchanged).

    Hint: the tests check the dtype: a float32 input must give a float32 output.
    """
    # BEGIN SOLUTION
    return np.maximum(x, 0).astype(x.dtype, copy=False)
    # END SOLUTION


@exercise("1.9", section="Activation functions: ReLU")
def relu_backward(grad: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The backward pass of ReLU: dL/dx from the upstream gradient dL/dy (chain rule).

    ReLU has no derivative at exactly 0; like PyTorch, use 0 there (section
    "Activation functions: ReLU").

    Args:
        grad: the upstream gradient dL/dy, shape S.
        x: the forward pass's INPUT, shape S.

    Returns:
        dL/dx, shape S, dtype of grad.
    """
    # BEGIN SOLUTION
    return grad * (x > 0)
    # END SOLUTION
