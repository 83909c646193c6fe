"""Character-level language modelling on :func:`minidl.data.python_docs` (chapter 6).

The text is cut once: the first 90 % trains, the last 10 % validates. A batch is B random
windows of T + 1 characters: inputs are the first T, targets the same shifted by one.
Losses are in nats per character (natural log): a model that guessed uniformly among the
V characters would score ln V.

Three models are compared on it: the count-based bigram (next char given this one),
chapter 4's kind of model (Embedding → LSTM → Linear) and the GPT of :mod:`minidl.zoo.gpt`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import minidl
from minidl import nn
from minidl.data.text import CharVocab, python_docs


@dataclass
class CharData:
    vocab: CharVocab
    train: np.ndarray  # int64 ids
    val: np.ndarray

    def batch(self, rng: np.random.Generator, split: str, batch_size: int,
              block_size: int) -> tuple[np.ndarray, np.ndarray]:
        """(inputs, targets), both (batch_size, block_size) int64, from random windows."""
        data = self.train if split == "train" else self.val
        starts = rng.integers(0, len(data) - block_size - 1, batch_size)
        rows = starts[:, None] + np.arange(block_size + 1)
        windows = data[rows]
        return windows[:, :-1], windows[:, 1:]


def load_char_data(val_fraction: float = 0.1) -> CharData:
    """The documentation text, its vocabulary and the train/validation split."""
    text = python_docs()
    vocab = CharVocab.from_texts(text)
    ids = vocab.encode(text)
    cut = int(len(ids) * (1 - val_fraction))
    return CharData(vocab, ids[:cut], ids[cut:])


def bigram_nats(data: CharData, smoothing: float = 1.0) -> float:
    """Validation nats/char of the bigram model P(next | current) counted on the training
    text, with add-``smoothing`` counts (a character pair never seen is not impossible)."""
    v = len(data.vocab)
    counts = np.full((v, v), smoothing)
    np.add.at(counts, (data.train[:-1], data.train[1:]), 1)
    logp = np.log(counts / counts.sum(axis=1, keepdims=True))
    return float(-logp[data.val[:-1], data.val[1:]].mean())


class CharLSTM(nn.Module):
    """Chapter 4's character model: Embedding → LSTM (batch_first) → Linear; returns
    ``(logits, loss)`` like the GPT so that one training loop serves both."""

    def __init__(self, vocab_size: int, embed: int = 64, hidden: int = 256) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embed)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, idx, targets=None):  # noqa: ANN001, ANN201
        out, _ = self.lstm(self.embed(idx))
        logits = self.head(out)
        if targets is None:
            return logits, None
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                           targets.reshape(-1))
        return logits, loss


def evaluate(model: nn.Module, data: CharData, batches: int = 20, batch_size: int = 32,
             block_size: int = 64, seed: int = 1234) -> float:
    """Mean validation loss (nats/char) over ``batches`` fixed random windows."""
    rng = np.random.default_rng(seed)
    was_training = model.training
    model.eval()
    total = 0.0
    with minidl.no_grad():
        for _ in range(batches):
            x, y = data.batch(rng, "val", batch_size, block_size)
            _, loss = model(minidl.tensor(x), minidl.tensor(y))
            total += loss.item()
    model.train(was_training)
    return total / batches
