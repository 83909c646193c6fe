"""Image augmentation: shapes, content moved (not invented), per-image randomness, seeding."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl.data.augment import RandomCrop, RandomHorizontalFlip, RandomShift, augment_batch
from minidl.data.transforms import Compose
from minidl.errors import ShapeError


def images(n=16, c=2, h=5, w=6):
    return np.arange(n * c * h * w, dtype=np.float32).reshape(n, c, h, w) + 1  # all distinct, > 0


def test_random_crop_cuts_windows_of_the_padded_image():
    x = images()
    out = RandomCrop((4, 3), padding=1, generator=np.random.default_rng(0)).batch(x)
    assert out.shape == (16, 2, 4, 3) and out.dtype == np.float32
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    offsets = set()
    for n in range(16):
        found = [(i, j) for i in range(4) for j in range(6)
                 if np.array_equal(padded[n, :, i:i + 4, j:j + 3], out[n])]
        assert found, f"image {n} is not a window of its padded input"
        offsets.add(found[0])
    assert len(offsets) > 3  # each image draws its own window


def test_random_shift_keeps_size_and_shifts_at_most_max_shift():
    x = images(h=7, w=7)
    out = RandomShift(2, generator=np.random.default_rng(1)).batch(x)
    assert out.shape == x.shape
    for n in range(16):
        # the top-left pixel of the original lands within 2 pixels of the corner (or is cut off)
        pos = np.argwhere(out[n, 0] == x[n, 0, 0, 0])
        if len(pos):
            assert np.all(pos <= 4)
        assert set(np.unique(out[n])) <= set(np.unique(x[n])) | {0.0}


def test_horizontal_flip_probability_and_content():
    x = images(n=200)
    out = RandomHorizontalFlip(0.5, generator=np.random.default_rng(2)).batch(x)
    flipped = np.array([np.array_equal(out[n], x[n, :, :, ::-1]) for n in range(200)])
    kept = np.array([np.array_equal(out[n], x[n]) for n in range(200)])
    assert np.all(flipped ^ kept)
    assert 70 < flipped.sum() < 130
    assert np.array_equal(RandomHorizontalFlip(1.0).batch(x), x[..., ::-1])


def test_single_image_tensor_and_array_and_seeding():
    img = images(n=1)[0]
    t = RandomCrop(4, padding=2)(minidl.tensor(img))
    assert isinstance(t, minidl.Tensor) and t.shape == (2, 4, 4)
    a = RandomShift(1, generator=np.random.default_rng(3))(img)
    b = RandomShift(1, generator=np.random.default_rng(3))(img)
    assert isinstance(a, np.ndarray) and np.array_equal(a, b)
    minidl.manual_seed(5)
    c = augment_batch(images(), RandomShift(2))
    minidl.manual_seed(5)
    assert np.array_equal(c, augment_batch(images(), RandomShift(2)))


def test_augment_batch_with_compose():
    x = minidl.tensor(images())
    out = augment_batch(x, Compose([RandomCrop((5, 6), padding=1), RandomHorizontalFlip()]))
    assert isinstance(out, minidl.Tensor) and out.shape == x.shape


def test_errors():
    with pytest.raises(ShapeError, match=r"augment_batch: expected a batch \(N, C, H, W\)"):
        augment_batch(images()[0], RandomShift())
    with pytest.raises(ShapeError, match=r"RandomCrop: expected an image \(C, H, W\)"):
        RandomCrop(2)(images())
    with pytest.raises(ShapeError, match="larger than the padded image"):
        RandomCrop(9).batch(images())
    with pytest.raises(TypeError, match="no vectorised batch"):
        augment_batch(images(), Compose([lambda x: x]))
    with pytest.raises(ValueError, match="p must be in"):
        RandomHorizontalFlip(2)
