"""minidl.data.text (offline text, CharVocab, encode_words) and minidl.data.sequences."""

from __future__ import annotations

import numpy as np
import pytest

from minidl.data import (
    CharVocab,
    adding_problem,
    delayed_recall,
    noisy_signal,
    python_function_names,
    sliding_windows,
    synthetic_reviews,
    zen_of_python,
)
from minidl.data.sequences import NEGATIVE, POSITIVE
from minidl.data.text import encode_words, stdlib_path
from minidl.errors import ShapeError

# ---- text ----------------------------------------------------------------------------------


def test_python_function_names_are_real_stdlib_functions():
    names = python_function_names()
    assert len(names) > 1000
    assert names == sorted(set(names))
    assert {"make_archive", "splitext", "shuffle", "dumps"} <= set(names)
    assert all(not n.startswith("_") for n in names)
    assert all(3 <= len(n) <= 16 and n[0].isalpha() and n == n.lower() for n in names)
    text = (stdlib_path() / "shutil.py").read_text(encoding="utf-8")
    assert "def make_archive(" in text


def test_python_function_names_length_filter():
    short = python_function_names(min_length=3, max_length=4)
    assert short and all(3 <= len(n) <= 4 for n in short)
    assert "copy" in short
    with pytest.raises(ValueError, match="min_length"):
        python_function_names(min_length=5, max_length=4)


def test_zen_of_python_is_the_text_this_prints():
    zen = zen_of_python()
    assert zen.startswith("The Zen of Python, by Tim Peters")
    assert "Beautiful is better than ugly." in zen
    assert "Namespaces are one honking great idea -- let's do more of those!" in zen
    assert len(zen.strip().splitlines()) == 21  # title, blank line, 19 aphorisms


def test_char_vocab_round_trip_and_order():
    vocab = CharVocab.from_texts(["cab", "ba"], specials=".")
    assert vocab.itos == [".", "a", "b", "c"] and len(vocab) == 4
    ids = vocab.encode("cab.")
    assert ids.dtype == np.int64 and ids.tolist() == [3, 1, 2, 0]
    assert vocab.decode(ids) == "cab."
    assert vocab.decode(np.array([], dtype=np.int64)) == ""
    with pytest.raises(KeyError, match="'z'"):
        vocab.encode("za")
    with pytest.raises(IndexError):
        vocab.decode([4])
    with pytest.raises(ShapeError):
        vocab.decode(np.zeros((2, 2), dtype=np.int64))
    with pytest.raises(ValueError):
        CharVocab(["ab"])


def test_encode_words_shifts_targets_and_pads_with_ignore_index():
    vocab = CharVocab.from_texts(["ab", "b"], specials=".")  # . a b → 0 1 2
    inputs, targets = encode_words(["ab", "b"], vocab)
    assert inputs.tolist() == [[0, 1, 2], [0, 2, 0]]
    assert targets.tolist() == [[1, 2, 0], [2, 0, -100]]
    with pytest.raises(ValueError, match="length"):
        encode_words(["abab"], vocab, length=3)


# ---- sequences --------------------------------------------------------------------------------


def test_noisy_signal_is_seeded_and_has_the_stated_noise():
    a, b = noisy_signal(500, noise=0.0, seed=3), noisy_signal(500, noise=0.0, seed=3)
    assert a.dtype == np.float32 and a.shape == (500,) and np.array_equal(a, b)
    noisy = noisy_signal(500, noise=0.2, seed=3)
    assert abs(float(np.std(noisy - a)) - 0.2) < 0.02
    t = np.arange(500)
    # one sine of period 10 and amplitude 2: the peak-to-peak range is 4
    pure = noisy_signal(500, noise=0.0, periods=(10.0,), amplitudes=(2.0,))
    assert np.allclose(pure[t % 10 == 3], pure[3], atol=1e-5)
    assert 3.9 < float(pure.max() - pure.min()) <= 4.0
    with pytest.raises(ValueError, match="amplitudes"):
        noisy_signal(10, periods=(5.0,), amplitudes=(1.0, 2.0))


def test_sliding_windows():
    X, y = sliding_windows(np.arange(7.0), window=3, horizon=2)
    assert X.shape == (3, 3, 1) and y.shape == (3, 2)
    assert X[1, :, 0].tolist() == [1, 2, 3] and y[1].tolist() == [4, 5]
    with pytest.raises(ValueError, match="window"):
        sliding_windows(np.arange(4.0), window=3, horizon=2)


def test_adding_problem_targets_and_baseline():
    X, y = adding_problem(4000, seq_len=30, seed=1)
    assert X.shape == (4000, 30, 2) and X.dtype == np.float32 and y.dtype == np.float32
    markers = X[..., 1]
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :15].sum(axis=1) == 1)  # one marker in each half
    assert np.allclose((X[..., 0] * markers).sum(axis=1), y, atol=1e-6)
    assert abs(float(np.mean((y - 1.0) ** 2)) - 1 / 6) < 0.01  # the stated baseline MSE


def test_delayed_recall_label_is_the_first_symbol():
    X, y = delayed_recall(300, delay=5, n_symbols=3, seed=2)
    assert X.shape == (300, 6, 4) and y.dtype == np.int64
    assert np.array_equal(X[:, 0, :3].argmax(axis=1), y)
    assert np.all(X[:, :, :3].sum(axis=2) == 1)
    assert np.all(X[:, -1, 3] == 1) and np.all(X[:, :-1, 3] == 0)
    assert set(np.unique(y)) == {0, 1, 2}


def test_synthetic_reviews_labels_follow_the_stated_rule():
    data = synthetic_reviews(400, seed=4)
    assert data.tokens.shape == (400, 20) and data.labels.dtype == np.int64
    assert 0.3 < data.labels.mean() < 0.7
    for i in range(400):
        words = data.text(i).split()
        assert len(words) == data.lengths[i]
        assert np.all(data.tokens[i, data.lengths[i]:] == 0)
        score = 0
        for k, w in enumerate(words):
            sign = 1 if w in POSITIVE else -1 if w in NEGATIVE else 0
            if sign and k > 0 and words[k - 1] == "not":
                sign = -sign
            score += sign
        assert score != 0 and data.labels[i] == int(score > 0), data.text(i)
    assert any("not" in data.text(i).split() for i in range(400))
