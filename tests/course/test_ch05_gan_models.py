"""Chapter 5's course code: the shipped-weights command (reduced), the shipped files, the
sample metrics, the toy game's mode count, and the widgets' static fallbacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

import minidl
from minidl.course.gan import metrics, models, shipped, toy
from minidl.course.gan.training import GANHistory, sample, train_gan

ROOT = Path(__file__).resolve().parents[2]
MAX_BYTES = 2 * 10**6


def test_the_training_command_runs_in_reduced_form_and_its_files_load(tmp_path):
    done = subprocess.run([sys.executable, "-m", "minidl.course.train", "ch05", "--quick",
                           "--out", str(tmp_path)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    for name, model in (("judge", models.DigitJudge()), ("mlp_gan", models.mlp_generator()),
                        ("dcgan", models.dcgan_generator()),
                        ("cgan", models.ConditionalGenerator())):
        path = tmp_path / f"ch05_{name}.npz"
        assert path.stat().st_size <= MAX_BYTES
        _, extra = shipped.load(name, model, tmp_path)
        if name != "judge":
            history = shipped.history_from(extra)
            assert len(history.d_loss) == shipped.GANS[name].quick
            assert history.snapshots[-1][1].shape == (shipped.SNAPSHOT_NOISE, 1, 28, 28)


@pytest.mark.parametrize("name, model", [("judge", models.DigitJudge), ("mlp_gan",
                         models.mlp_generator), ("dcgan", models.dcgan_generator),
                         ("cgan", models.ConditionalGenerator)])
def test_shipped_weights_are_small_safe_and_fit_their_models(name, model):
    path = shipped.WEIGHTS / f"ch05_{name}.npz"
    assert path.stat().st_size <= MAX_BYTES
    with np.load(path, allow_pickle=False) as f:
        assert all(f[k].dtype != object for k in f.files)
    loaded, _ = shipped.load(name, model())
    assert not loaded.training


def test_shipped_judge_reads_held_out_digits():
    judge, _ = shipped.load("judge", models.DigitJudge())
    test = minidl.data.MNIST("test", source="offline", verbose=False)
    probs, feats = metrics.judge_outputs(judge, test.data[:300, None] / 127.5 - 1)
    assert feats.shape == (300, 84)
    assert (probs.argmax(1) == test.targets[:300]).mean() > 0.9


def test_class_coverage_and_inception_score_by_hand():
    one_class = np.tile(np.eye(10)[3], (50, 1))
    balanced = np.eye(10)[np.arange(50) % 10]
    assert metrics.class_coverage(one_class) == 1 and metrics.class_coverage(balanced) == 10
    assert metrics.inception_score(one_class) == pytest.approx(1.0)
    assert metrics.inception_score(balanced) == pytest.approx(10.0, rel=1e-6)
    assert metrics.inception_score(np.full((20, 10), 0.1)) == pytest.approx(1.0)
    share = np.eye(10)[np.r_[np.zeros(99, int), [5]]]     # class 5 has 1 % < 2 %
    assert metrics.class_coverage(share) == 1


def test_nearest_distances_match_brute_force():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((7, 1, 4, 4)), rng.standard_normal((11, 1, 4, 4))
    dist, idx = metrics.nearest_distances(a, b, batch_size=3)
    brute = np.linalg.norm(a.reshape(7, 1, -1) - b.reshape(1, 11, -1), axis=2)
    np.testing.assert_array_equal(idx, brute.argmin(1))
    np.testing.assert_allclose(dist, brute.min(1), rtol=1e-4)


def test_mode_stats_counts_modes_and_quality_by_hand():
    c = toy.centres()
    points = np.concatenate([np.repeat(c[:3], 10, axis=0), np.zeros((10, 2))])  # 3 modes + 10 off
    assert toy.mode_stats(points) == (3, pytest.approx(0.75))


def test_gan_step_detaches_and_moves_both_players():
    minidl.manual_seed(0)
    G, D = models.dcgan_generator(width=4), models.dcgan_discriminator(width=4)
    before = [p.detach().numpy().copy() for p in (*G.parameters(), *D.parameters())]
    images = np.random.default_rng(0).uniform(-1, 1, (8, 1, 28, 28)).astype(np.float32)
    z = np.random.default_rng(1).standard_normal((3, models.Z_DIM)).astype(np.float32)
    history = train_gan(G, D, images, 2, batch_size=4, fixed_z=z, snapshot_every=1)
    assert isinstance(history, GANHistory) and len(history.d_loss) == 2
    assert [s for s, _ in history.snapshots] == [1, 2]
    after = [p.detach().numpy() for p in (*G.parameters(), *D.parameters())]
    assert all(not np.array_equal(a, b) for a, b in zip(before, after))
    assert sample(G, z).shape == (3, 1, 28, 28)


def test_lr_decay_falls_linearly_to_zero_over_the_last_fraction():
    from minidl.course.gan.training import gan_step

    lrs = []

    def recording_step(G, D, opt_g, opt_d, *args):  # noqa: ANN001, ANN002
        lrs.append((opt_g.param_groups[0]["lr"], opt_d.param_groups[0]["lr"]))
        return gan_step(G, D, opt_g, opt_d, *args)

    minidl.manual_seed(0)
    G, D = models.mlp_generator(hidden=8), models.mlp_discriminator(hidden=8)
    images = np.random.default_rng(0).uniform(-1, 1, (8, 1, 28, 28)).astype(np.float32)
    train_gan(G, D, images, 4, batch_size=4, lr=1e-3, lr_decay=0.5, step=recording_step)
    np.testing.assert_allclose(lrs, [(1e-3, 1e-3)] * 3 + [(5e-4, 5e-4)], rtol=1e-12)


def test_widgets_fall_back_to_the_end_state(monkeypatch):
    monkeypatch.setenv("MINIDL_WIDGETS", "static")
    from minidl.widgets.gan import game_player, latent_walk

    run = toy.train_toy(4, frame_every=2, batch_size=16)
    fig = game_player(run)
    assert isinstance(fig, Figure)
    assert fig.axes[0].get_title().startswith("step 4:")   # the last frame, not the first
    minidl.manual_seed(0)
    z = np.random.default_rng(0).standard_normal((2, models.Z_DIM)).astype(np.float32)
    walk = latent_walk(models.dcgan_generator(width=4), z[0], z[1], steps=5, t=1.0)
    assert isinstance(walk, Figure) and len(walk.axes) == 11
