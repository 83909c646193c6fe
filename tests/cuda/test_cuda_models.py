"""End to end: the same model, seed and batches train to the same numbers on cpu and cuda."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import minidl
from minidl import nn


def train_both(make: Callable[[], nn.Module], batches: list[tuple[np.ndarray, np.ndarray]],
               loss_fn: Callable, opt: Callable = lambda p: minidl.optim.SGD(p, lr=0.1),
               ) -> tuple[list[float], list[float], nn.Module, nn.Module]:
    """Train a CPU and a CUDA copy of one model on the same batches; return both losses.

    ``loss_fn(output, y)`` scores ``model(x)``; with ``loss_fn=None`` the model's forward takes
    ``(x, y)`` and returns ``(output, loss)`` (the zoo's GPT and char LSTM)."""
    minidl.manual_seed(0)
    cpu_model = make()
    gpu_model = make()
    gpu_model.load_state_dict(cpu_model.state_dict())
    weight = gpu_model.parameters().__next__()
    assert gpu_model.to("cuda") is gpu_model
    assert weight.is_cuda and next(gpu_model.parameters()) is weight  # moved in place
    losses = {}
    for model, dev in ((cpu_model, "cpu"), (gpu_model, "cuda")):
        optimizer = opt(model.parameters())
        losses[dev] = []
        for x, y in batches:
            optimizer.zero_grad()
            xs, ys = minidl.tensor(x, device=dev), minidl.tensor(y, device=dev)
            loss = model(xs, ys)[1] if loss_fn is None else loss_fn(model(xs), ys)
            loss.backward()
            optimizer.step()
            losses[dev].append(loss.item())
    return losses["cpu"], losses["cuda"], cpu_model, gpu_model


def assert_same_model(cpu_model: nn.Module, gpu_model: nn.Module, tol: float = 1e-4) -> None:
    gpu_state = gpu_model.state_dict()
    for name, value in cpu_model.state_dict().items():
        assert gpu_state[name].is_cuda
        np.testing.assert_allclose(gpu_state[name].cpu().numpy(), value.numpy(), rtol=tol,
                                   atol=tol, err_msg=name)


def check_trains_alike(make: Callable[[], nn.Module], batches: list, loss_fn: Callable | None,
                       opt: Callable) -> None:
    """Same losses step by step (float32 tolerance), a falling loss, the same weights."""
    cpu, gpu, cpu_model, gpu_model = train_both(make, batches, loss_fn, opt)
    np.testing.assert_allclose(gpu, cpu, rtol=1e-5)
    assert cpu[-1] < cpu[0]
    assert_same_model(cpu_model, gpu_model)


def test_mlp_trains_on_cuda_like_on_cpu() -> None:
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((8, 5)).astype(np.float32), rng.integers(0, 3, 8))] * 3
    check_trains_alike(lambda: nn.Sequential(nn.Linear(5, 16), nn.ReLU(), nn.Linear(16, 3)),
                       batches, nn.CrossEntropyLoss(), lambda p: minidl.optim.Adam(p, lr=0.01))


def test_lenet_trains_on_cuda_like_on_cpu() -> None:
    """LeNet-5's layers (conv 5×5 pad 2, tanh, avg-pool, conv 5×5, tanh, avg-pool, three
    linear layers) at a third of its widths on 2 images of 16×16: under the simulator a
    full-size step takes minutes, nearly all in the tiled matmul's barriers."""
    rng = np.random.default_rng(1)
    batches = [(rng.standard_normal((2, 1, 16, 16)).astype(np.float32), np.array([3, 7]))] * 2

    def lenet() -> nn.Module:
        return nn.Sequential(
            nn.Conv2d(1, 2, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2),
            nn.Conv2d(2, 5, 5), nn.Tanh(), nn.AvgPool2d(2), nn.Flatten(),
            nn.Linear(5 * 2 * 2, 40), nn.Tanh(), nn.Linear(40, 28), nn.Tanh(),
            nn.Linear(28, 10))

    check_trains_alike(lenet, batches, nn.CrossEntropyLoss(),
                       lambda p: minidl.optim.SGD(p, lr=0.05, momentum=0.9))


def test_char_lstm_trains_on_cuda_like_on_cpu() -> None:
    from minidl.zoo.charlm import CharLSTM

    rng = np.random.default_rng(2)
    tokens = rng.integers(0, 11, (2, 6))
    batches = [(tokens[:, :-1], tokens[:, 1:])] * 2
    check_trains_alike(lambda: CharLSTM(11, 8, 16), batches, None,
                       lambda p: minidl.optim.Adam(p, lr=0.01))


def test_tiny_gpt_trains_on_cuda_like_on_cpu() -> None:
    from minidl.zoo.gpt import GPT, GPTConfig

    rng = np.random.default_rng(3)
    tokens = rng.integers(0, 7, (2, 5))
    batches = [(tokens[:, :-1], tokens[:, 1:])] * 2
    config = GPTConfig(block_size=4, vocab_size=7, n_layer=1, n_head=2, n_embd=8)
    check_trains_alike(lambda: GPT(config), batches, None,
                       lambda p: minidl.optim.AdamW(p, lr=0.01))


def test_tiny_gpt_samples_with_top_k_on_cuda_like_on_cpu() -> None:
    """generate() with top-k sampling (sort on the device, draws on the host from the seeded
    generator) picks the same tokens on both devices."""
    from minidl.zoo.gpt import GPT, GPTConfig

    config = GPTConfig(block_size=4, vocab_size=11, n_layer=1, n_head=2, n_embd=8)
    minidl.manual_seed(0)
    cpu_model = GPT(config).eval()
    gpu_model = GPT(config)
    gpu_model.load_state_dict(cpu_model.state_dict())
    gpu_model.to("cuda").eval()
    start = np.array([[1, 2], [3, 4]])
    tokens = {}
    for dev, model in (("cpu", cpu_model), ("cuda", gpu_model)):
        minidl.manual_seed(5)
        out = model.generate(minidl.tensor(start, device=dev), 6, top_k=3)
        assert out.device.type == dev
        tokens[dev] = out.cpu().numpy()
    np.testing.assert_array_equal(tokens["cuda"], tokens["cpu"])
    values, indices = minidl.tensor([[0.5, 2.0, -1.0, 2.0]], device="cuda").topk(2)
    assert values.is_cuda and indices.tolist() == [[1, 3]] and values.tolist() == [[2.0, 2.0]]


def test_tiny_dcgan_step_on_cuda_like_on_cpu() -> None:
    """Chapter 5's DCGAN (transposed convolutions, batch norm) at width 2: one
    discriminator step and one generator step on each device, from the same weights."""
    from minidl.course.gan.models import dcgan_discriminator, dcgan_generator, dcgan_init_

    rng = np.random.default_rng(4)
    real = rng.uniform(-1, 1, (2, 1, 28, 28)).astype(np.float32)
    z = rng.standard_normal((2, 4)).astype(np.float32)
    minidl.manual_seed(0)
    nets = {"cpu": (dcgan_init_(dcgan_generator(4, width=2)), dcgan_init_(dcgan_discriminator(2)))}
    gpu = (dcgan_generator(4, width=2), dcgan_discriminator(2))
    for twin, net in zip(gpu, nets["cpu"]):
        twin.load_state_dict(net.state_dict())
        twin.to("cuda")
    nets["cuda"] = gpu
    bce = nn.BCEWithLogitsLoss()
    losses = {}
    for dev, (g, d) in nets.items():
        opt_g = minidl.optim.Adam(g.parameters(), lr=2e-3, betas=(0.5, 0.999))
        opt_d = minidl.optim.Adam(d.parameters(), lr=2e-3, betas=(0.5, 0.999))
        ones, zeros = minidl.ones(2, 1, device=dev), minidl.zeros(2, 1, device=dev)
        fake = g(minidl.tensor(z, device=dev))
        loss_d = bce(d(minidl.tensor(real, device=dev)), ones) + bce(d(fake.detach()), zeros)
        opt_d.zero_grad()
        loss_d.backward()
        opt_d.step()
        loss_g = bce(d(fake), ones)
        opt_g.zero_grad()
        loss_g.backward()
        opt_g.step()
        losses[dev] = [loss_d.item(), loss_g.item()]
    np.testing.assert_allclose(losses["cuda"], losses["cpu"], rtol=1e-5)
    for cpu_net, gpu_net in zip(nets["cpu"], nets["cuda"]):
        assert_same_model(cpu_net, gpu_net)
