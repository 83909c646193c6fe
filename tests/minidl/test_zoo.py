"""minidl.zoo: the weight-training command runs (reduced to seconds), the shipped weights
load (≤ 2 MB each, no pickle) and score what their metadata says; the chapter's helpers
(text data, bigram baseline, TinyBERT, 80/10/10 masking, warm-up schedule) behave."""

from __future__ import annotations

import math

import numpy as np
import pytest

import minidl
from minidl.zoo import bert, gpt
from minidl.zoo.__main__ import gpt_config, main
from minidl.zoo.charlm import CharLSTM, bigram_nats, evaluate, load_char_data
from minidl.zoo.train import warmup_cosine_schedule
from minidl.zoo.weights import WEIGHTS, load_weights


@pytest.fixture(scope="module")
def data():
    return load_char_data()


def test_char_data_is_english_and_split(data):
    text = data.vocab.decode(data.train[:2000])
    assert " the " in text and len(data.vocab) > 60
    assert len(data.val) / (len(data.train) + len(data.val)) == pytest.approx(0.1, abs=1e-3)
    x, y = data.batch(np.random.default_rng(0), "train", 4, 16)
    assert x.shape == y.shape == (4, 16) and np.array_equal(x[:, 1:], y[:, :-1])


def test_bigram_beats_uniform(data):
    assert bigram_nats(data) < math.log(len(data.vocab)) - 1.0


def test_training_command_runs_reduced(tmp_path, capsys):
    written = main(["--steps", "2", "--bert-steps", "2", "--out", str(tmp_path)])
    assert set(written) == {"gpt", "lstm", "bert"}
    for name, path in written.items():
        assert path.stat().st_size < 2_000_000
        score = "meta.mlm_loss_last" if name == "bert" else "meta.val_nats"
        with np.load(path, allow_pickle=False) as archive:
            assert archive["meta.steps"] >= 1 and np.isfinite(archive[score])
    out = capsys.readouterr().out
    assert "GPT: 2 steps" in out and "TinyBERT: 2 MLM steps" in out


@pytest.mark.parametrize("name", ["gpt_char.npz", "lstm_char.npz"])
def test_shipped_weights_load_and_score_what_they_say(data, name):
    path = WEIGHTS / name
    assert path.stat().st_size <= 2_000_000
    model = gpt.GPT(gpt_config(len(data.vocab))) if name.startswith("gpt") \
        else CharLSTM(len(data.vocab))
    meta = load_weights(model, path)
    assert meta["seed"] == 0 and meta["steps"] > 100
    # stored as float16: the score moves in the third decimal at most
    assert evaluate(model, data) == pytest.approx(meta["val_nats"], abs=0.02)
    assert meta["val_nats"] < bigram_nats(data)


@pytest.mark.parametrize("warmup, max_steps, ratio", [(10, 110, 0.1), (1, 20, 0.2)])
def test_warmup_cosine_schedule_is_exercise_6_11s_closed_form(warmup, max_steps, ratio):
    def factor(s):  # the closed form exercise 6.11 asks for
        if s < warmup:
            return (s + 1) / warmup
        t = (s - warmup) / (max_steps - warmup)
        return ratio + (1 - ratio) * 0.5 * (1 + math.cos(math.pi * t))

    opt = minidl.optim.AdamW([minidl.nn.Parameter(minidl.zeros(1))], lr=2e-3)
    schedule = warmup_cosine_schedule(opt, warmup, max_steps, ratio)
    lrs = []
    for _ in range(max_steps):
        lrs.append(opt.param_groups[0]["lr"])
        schedule.step()
    assert lrs == pytest.approx([2e-3 * factor(s) for s in range(max_steps)], rel=1e-9)


def test_mlm_mask_reference_proportions_and_specials():
    tokens = bert.with_cls(bert.mood_reviews(400, seed=0))
    inputs, labels = bert.mlm_mask(tokens, bert.MASK, len(bert.VOCAB), np.random.default_rng(0),
                                   special_ids=(bert.PAD, bert.CLS))
    chosen = labels != -100
    real = (tokens != bert.PAD) & (tokens != bert.CLS)
    assert not chosen[~real].any()
    assert chosen[real].mean() == pytest.approx(0.15, abs=0.02)
    assert (inputs[chosen] == bert.MASK).mean() == pytest.approx(0.8, abs=0.05)
    assert np.array_equal(inputs[~chosen], tokens[~chosen])


def test_tiny_bert_ignores_padding_and_trains():
    minidl.manual_seed(0)
    model = bert.TinyBERT(max_len=24)
    model.eval()
    tokens = bert.with_cls(bert.mood_reviews(1, length=12, seed=1))
    length = int((tokens[0] != bert.PAD).sum())
    short = tokens[:, :length]
    longer = np.concatenate([short, np.full((1, 5), bert.PAD)], axis=1)
    with minidl.no_grad():  # extra padding changes nothing for the real tokens
        a = model(minidl.tensor(short)).data
        b = model(minidl.tensor(longer)).data[:, :length]
    assert a.shape == (1, length, 64) and np.allclose(a, b, atol=1e-5)
    losses = bert.pretrain(model, bert.mood_reviews(64, seed=2), steps=3, batch_size=8)
    assert len(losses) == 3 and all(np.isfinite(losses))
    assert model.classify(minidl.tensor(longer)).shape == (1, 2)


def test_shipped_bert_predicts_masked_words_far_better_than_untrained():
    path = WEIGHTS / "bert_mlm.npz"
    assert path.stat().st_size <= 2_000_000
    minidl.manual_seed(0)
    untrained, model = bert.TinyBERT(), bert.TinyBERT()
    meta = load_weights(model, path)
    assert meta["seed"] == 0 and meta["steps"] >= 1000
    assert meta["mlm_loss_last"] < meta["mlm_loss_first"] - 0.2
    tokens = bert.with_cls(bert.mood_reviews(256, seed=123))  # reviews it was not trained on
    inputs, labels = bert.mlm_mask(tokens, bert.MASK, len(bert.VOCAB), np.random.default_rng(0),
                                   special_ids=(bert.PAD, bert.CLS))
    losses = []
    for m in (untrained, model):
        m.eval()
        with minidl.no_grad():
            losses.append(m.mlm_loss(minidl.tensor(inputs), minidl.tensor(labels)).item())
    assert losses[1] < losses[0] - 0.4  # measured: 3.55 untrained, 2.97 shipped
