"""``python -m minidl.zoo [--steps N] [--out DIR]``: train chapter 6's shipped weights.

Seeded (``--seed``, default 0). Writes to ``--out`` (default minidl/zoo/weights/):

* ``gpt_char.npz``: the GPT (4 layers, 4 heads, 128 dims, context 64, no dropout, no
  biases: nanoGPT's CPU configuration) trained for ``--steps`` AdamW steps (batch 12,
  lr 1e-3, warm-up 50 then cosine to 1e-4, weight decay 0.1 on matrices) on the Python
  documentation text;
* ``lstm_char.npz``: the LSTM baseline (Embedding 64 → LSTM 256 → Linear) trained on the
  same text for the same wall time as the GPT (Adam, lr 3e-3, same schedule);
* ``bert_mlm.npz``: TinyBERT (2 layers, 4 heads, 64 dims, :mod:`minidl.zoo.bert`)
  pre-trained by masked-language modelling for ``--bert-steps`` AdamW steps (batch 64,
  lr 2e-3) on 20,000 unlabelled mood reviews; its ``meta.*`` holds the MLM loss (mean of
  the first and of the last 100 steps).

The character models' files carry their steps, seconds and validation nats/char
(``meta.*``). The shipped files were made with ``nice -n 5 python -m minidl.zoo --steps 800``
(before ``--models`` existed: the same as ``--models gpt`` now) with one BLAS thread
(``OPENBLAS_NUM_THREADS=1``) on the course's shared 2-core machine; the wall time, and so
the LSTM's steps, depend on the machine. ``bert_mlm.npz`` was made in the same way with
``nice -n 5 python -m minidl.zoo --models bert --bert-steps 3000``. ``--models`` picks what
to train (default: all); CI runs ``--steps 2 --bert-steps 2`` (seconds).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import minidl
from minidl.zoo import bert, gpt
from minidl.zoo.charlm import CharLSTM, evaluate, load_char_data
from minidl.zoo.train import train_char_model
from minidl.zoo.weights import WEIGHTS, save_weights


def gpt_config(vocab_size: int) -> gpt.GPTConfig:
    return gpt.GPTConfig(block_size=64, vocab_size=vocab_size, n_layer=4, n_head=4, n_embd=128,
                         dropout=0.0, bias=False)


def main(argv: list[str] | None = None) -> dict[str, Path]:
    parser = argparse.ArgumentParser(prog="python -m minidl.zoo", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bert-steps", type=int, default=3000)
    parser.add_argument("--models", nargs="+", choices=("gpt", "bert"), default=["gpt", "bert"],
                        help="gpt: the GPT and its LSTM baseline; bert: TinyBERT's MLM")
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    args = parser.parse_args(argv)
    written = {}
    if "gpt" in args.models:
        written.update(train_char_models(args.steps, args.seed, args.out))
    if "bert" in args.models:
        written["bert"] = pretrain_bert(args.bert_steps, args.seed, args.out)
    return written


def pretrain_bert(steps: int, seed: int, out: Path) -> Path:
    """TinyBERT's masked-language-model pre-training, written to ``out/bert_mlm.npz``."""
    minidl.manual_seed(seed)
    model = bert.TinyBERT()
    start = time.perf_counter()
    losses = bert.pretrain(model, bert.mood_reviews(20_000, seed=seed), steps, seed=seed,
                           log=print)
    seconds = time.perf_counter() - start
    first, last = np.mean(losses[:100]), np.mean(losses[-100:])
    print(f"TinyBERT: {steps} MLM steps in {seconds:.0f} s, loss {first:.3f} → {last:.3f}")
    return save_weights(model, out / "bert_mlm.npz", steps=steps, seconds=seconds,
                        mlm_loss_first=first, mlm_loss_last=last, seed=seed)


def train_char_models(steps: int, seed: int, out: Path) -> dict[str, Path]:
    """The GPT for ``steps`` steps, then the LSTM for the same wall time."""
    data = load_char_data()
    written = {}
    minidl.manual_seed(seed)
    model = gpt.GPT(gpt_config(len(data.vocab)))
    opt = model.configure_optimizers(0.1, 1e-3, (0.9, 0.99))
    steps, seconds, _ = train_char_model(model, data, opt, steps=steps, seed=seed,
                                         log=print)
    val = evaluate(model, data)
    print(f"GPT: {steps} steps in {seconds:.0f} s, validation {val:.3f} nats/char")
    written["gpt"] = save_weights(model, out / "gpt_char.npz", steps=steps,
                                  seconds=seconds, val_nats=val, seed=seed)

    minidl.manual_seed(seed)
    lstm = CharLSTM(len(data.vocab))
    opt = minidl.optim.Adam(lstm.parameters(), lr=3e-3)
    lstm_steps, lstm_seconds, _ = train_char_model(lstm, data, opt, seconds=seconds,
                                                   seed=seed, log=print)
    val = evaluate(lstm, data)
    print(f"LSTM: {lstm_steps} steps in {lstm_seconds:.0f} s, validation {val:.3f} nats/char")
    written["lstm"] = save_weights(lstm, out / "lstm_char.npz", steps=lstm_steps,
                                   seconds=lstm_seconds, val_nats=val, seed=seed)
    return written


if __name__ == "__main__":
    main()
