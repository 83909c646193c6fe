"""Synthetic sequence tasks for chapter 4: generated in NumPy, seeded, instant.

=============================  ================================================================
``noisy_signal``               a sum of sines plus Gaussian noise, for forecasting
``sliding_windows``            (window → next values) pairs cut from a series
``adding_problem``             the adding problem (Hochreiter & Schmidhuber, 1997)
``delayed_recall``             remember the first symbol, answer after a delay
``synthetic_reviews``          labelled "movie reviews" made of words, with negation
=============================  ================================================================

The same arguments always give the same arrays. Float arrays are float32, labels and token ids
int64. The long-range tasks are built so that a model that ignores the distant past scores
at chance level (stated in each docstring), which makes "the RNN failed" a measurable claim.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from minidl.data.toy import _float_arg, _int_arg


def noisy_signal(n_steps: int = 1000, noise: float = 0.1, periods: tuple[float, ...] = (50.0, 17.0),
                 amplitudes: tuple[float, ...] = (1.0, 0.5), seed: int = 0) -> np.ndarray:
    """A periodic signal plus noise: x_t = Σ_k a_k sin(2π t / T_k + φ_k) + ε_t, ε_t ~ N(0, noise²).

    The phases φ_k are drawn from the seed. Returns float32, shape (n_steps,).
    """
    fn = "noisy_signal"
    n_steps = _int_arg(fn, "n_steps", n_steps, 1)
    noise = _float_arg(fn, "noise", noise)
    if len(periods) != len(amplitudes) or not periods:
        raise ValueError(f"{fn}: expected as many amplitudes as periods (≥ 1), got "
                         f"{len(periods)} periods and {len(amplitudes)} amplitudes")
    rng = np.random.default_rng(seed)
    t = np.arange(n_steps, dtype=np.float64)
    phases = rng.uniform(0, 2 * np.pi, size=len(periods))
    clean = sum(a * np.sin(2 * np.pi * t / p + f)
                for a, p, f in zip(amplitudes, periods, phases, strict=True))
    return (clean + noise * rng.standard_normal(n_steps)).astype(np.float32)


def sliding_windows(series: np.ndarray, window: int, horizon: int = 1) -> tuple[np.ndarray,
                                                                                 np.ndarray]:
    """Every window of ``window`` consecutive values and the ``horizon`` values after it.

    series (T,) → X (T − window − horizon + 1, window, 1), y (same count, horizon): row i is
    X[i] = series[i : i + window] and y[i] = series[i + window : i + window + horizon]
    (X has a trailing feature axis of size 1, the input an RNN with ``batch_first`` expects).
    """
    fn = "sliding_windows"
    series = np.asarray(series)
    window, horizon = _int_arg(fn, "window", window, 1), _int_arg(fn, "horizon", horizon, 1)
    if series.ndim != 1 or len(series) < window + horizon:
        raise ValueError(f"{fn}: expected a 1-D series of at least window + horizon = "
                         f"{window + horizon} values, got shape {series.shape}")
    frames = np.lib.stride_tricks.sliding_window_view(series, window + horizon)
    return frames[:, :window, None].copy(), frames[:, window:].copy()


def adding_problem(n_samples: int = 1000, seq_len: int = 50, seed: int = 0) -> tuple[np.ndarray,
                                                                                       np.ndarray]:
    """The adding problem: add the two numbers that carry a marker.

    Each sequence has ``seq_len`` steps of 2 features: a value u_t ~ U(0, 1) and a marker
    m_t ∈ {0, 1}. Exactly two markers are 1: one in the first half, one in the second. The
    target is the sum of the two marked values, y = Σ_t m_t u_t ∈ (0, 2).

    Always predicting the mean, 1, gives a mean squared error of 1/6 ≈ 0.167 (the variance
    of a sum of two U(0, 1)); a model counts as solving the task well below that (e.g. MSE
    < 0.05). The first marker sits in the first half, so the model must carry it over at
    least ``seq_len / 2`` steps.

    Returns:
        X float32 (n_samples, seq_len, 2) (batch first), y float32 (n_samples,).
    """
    fn = "adding_problem"
    n_samples = _int_arg(fn, "n_samples", n_samples, 1)
    seq_len = _int_arg(fn, "seq_len", seq_len, 2)
    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 1, size=(n_samples, seq_len))
    half = seq_len // 2
    first = rng.integers(0, half, size=n_samples)
    second = rng.integers(half, seq_len, size=n_samples)
    markers = np.zeros_like(values)
    rows = np.arange(n_samples)
    markers[rows, first] = markers[rows, second] = 1.0
    X = np.stack([values, markers], axis=-1).astype(np.float32)
    return X, (values[rows, first] + values[rows, second]).astype(np.float32)


def delayed_recall(n_samples: int = 1000, delay: int = 20, n_symbols: int = 4,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Remember the first symbol, answer after ``delay`` steps of noise.

    Step 0 shows one of ``n_symbols`` symbols (one-hot); the next ``delay`` steps show
    random distractor symbols drawn from the same set, so nothing but memory tells the
    first symbol apart. The label is the first symbol. Features are the one-hot symbol plus
    a last "answer now" channel set on the final step only.

    Guessing scores 1/n_symbols; a model that only sees the last few steps cannot beat it.

    Returns:
        X float32 (n_samples, delay + 1, n_symbols + 1) (batch first), y int64 (n_samples,).
    """
    fn = "delayed_recall"
    n_samples = _int_arg(fn, "n_samples", n_samples, 1)
    delay = _int_arg(fn, "delay", delay, 0)
    n_symbols = _int_arg(fn, "n_symbols", n_symbols, 2)
    rng = np.random.default_rng(seed)
    symbols = rng.integers(0, n_symbols, size=(n_samples, delay + 1))
    X = np.zeros((n_samples, delay + 1, n_symbols + 1), dtype=np.float32)
    np.put_along_axis(X, symbols[..., None], 1.0, axis=-1)
    X[:, -1, -1] = 1.0
    return X, symbols[:, 0].astype(np.int64)


@dataclass(frozen=True)
class Reviews:
    """A labelled text-classification set: token ids, labels and the vocabulary.

    ``tokens`` int64 (N, L), padded with id 0 (the word ``"<pad>"``); ``labels`` int64 (N,),
    1 = positive, 0 = negative; ``vocab`` the words by id; ``lengths`` int64 (N,) the
    number of real (non-padding) words of each review.
    """

    tokens: np.ndarray
    labels: np.ndarray
    lengths: np.ndarray
    vocab: tuple[str, ...]

    def text(self, i: int) -> str:
        """Review ``i`` as words, without the padding."""
        return " ".join(self.vocab[t] for t in self.tokens[i, : self.lengths[i]])


POSITIVE = ("good", "great", "fun", "brilliant", "moving", "clever")
NEGATIVE = ("bad", "boring", "awful", "dull", "silly", "weak")
FILLER = ("the", "movie", "film", "plot", "was", "and", "acting", "story", "really", "quite",
          "it", "ending", "cast", "music", "very", "but")
NEGATOR = "not"


def synthetic_reviews(n_samples: int = 2000, min_words: int = 8, max_words: int = 20,
                      p_negate: float = 0.4, seed: int = 0) -> Reviews:
    """Synthetic, clearly labelled "movie reviews" where word order matters.

    A review is filler words (``"the"``, ``"plot"``, ``"was"``, …) with one or three
    opinion words mixed in, each from a positive or a negative list; each opinion word is
    preceded by ``"not"`` with probability ``p_negate``, which flips its polarity
    (``"not good"`` counts as negative). The label is the sign of the summed polarities:
    1 (positive) when Σ > 0, 0 (negative) otherwise (an odd count never sums to 0).

    Because of negation, a bag of words cannot be exact: "not" is a filler-like word unless
    you know *which* opinion word it precedes. A sequence model can.

    Returns:
        A :class:`Reviews` with ``tokens`` (n_samples, max_words) padded with 0.
    """
    fn = "synthetic_reviews"
    n_samples = _int_arg(fn, "n_samples", n_samples, 1)
    min_words = _int_arg(fn, "min_words", min_words, 7)
    max_words = _int_arg(fn, "max_words", max_words, min_words)
    p_negate = _float_arg(fn, "p_negate", p_negate, 0.0, 1.0)
    vocab = ("<pad>", NEGATOR, *POSITIVE, *NEGATIVE, *FILLER)
    ids = {w: i for i, w in enumerate(vocab)}
    rng = np.random.default_rng(seed)
    tokens = np.zeros((n_samples, max_words), dtype=np.int64)
    labels = np.empty(n_samples, dtype=np.int64)
    lengths = np.empty(n_samples, dtype=np.int64)
    for row in range(n_samples):
        length = int(rng.integers(min_words, max_words + 1))
        n_opinions = int(rng.choice([1, 3]))
        words = [FILLER[k] for k in rng.integers(0, len(FILLER), size=length)]
        # opinion phrases go into distinct, non-adjacent slots (each takes 2 with its "not")
        slots = np.sort(rng.choice(np.arange(1, length, 2), size=n_opinions, replace=False))
        score = 0
        for slot in slots:
            positive = bool(rng.random() < 0.5)
            word = (POSITIVE if positive else NEGATIVE)[int(rng.integers(0, 6))]
            negated = bool(rng.random() < p_negate)
            words[slot] = word
            if negated:
                words[slot - 1] = NEGATOR
            score += (1 if positive else -1) * (-1 if negated else 1)
        tokens[row, :length] = [ids[w] for w in words]
        labels[row], lengths[row] = int(score > 0), length
    return Reviews(tokens, labels, lengths, vocab)
