"""CUDA tensors with PyTorch's device semantics: moves, factories, errors, modules, state."""

from __future__ import annotations

import numpy as np
import pytest

import minidl
from minidl import nn
from minidl.errors import DeviceError
from minidl.kernels.cuda.array import CudaArray


def test_moves_and_device_names() -> None:
    x = minidl.tensor([[1.0, 2.0], [3.0, 4.0]])
    y = x.to("cuda")
    assert y.is_cuda and not x.is_cuda
    assert str(y.device) == "cuda:0" and y.device == minidl.device("cuda:0")
    assert isinstance(y._data, CudaArray)
    assert x.cuda().device == y.device and y.cuda() is y and x.cpu() is x
    back = y.cpu()
    assert back.device == minidl.device("cpu")
    np.testing.assert_array_equal(back.numpy(), x.numpy())
    assert "device='cuda:0'" in repr(y)
    assert y.tolist() == [[1.0, 2.0], [3.0, 4.0]] and y.sum().item() == 10.0
    assert y.to(x).device == x.device
    assert y.to("cuda", minidl.float64).dtype == minidl.float64


def test_factories_take_device_and_share_the_seed() -> None:
    for make in (lambda d: minidl.zeros(2, 3, device=d), lambda d: minidl.ones(2, device=d),
                 lambda d: minidl.full((2,), 7.0, device=d), lambda d: minidl.arange(5, device=d),
                 lambda d: minidl.tensor([1, 2], device=d), lambda d: minidl.eye(3, device=d)):
        cpu, gpu = make("cpu"), make("cuda")
        assert gpu.is_cuda and gpu.dtype == cpu.dtype
        np.testing.assert_array_equal(gpu.cpu().numpy(), cpu.numpy())
    minidl.manual_seed(3)
    a = minidl.randn(4, 5)
    minidl.manual_seed(3)
    b = minidl.randn(4, 5, device="cuda")
    np.testing.assert_array_equal(b.cpu().numpy(), a.numpy())  # drawn on the host, uploaded
    assert minidl.zeros_like(b).is_cuda and minidl.rand_like(b).is_cuda


def test_host_crossings_are_explicit() -> None:
    y = minidl.ones(3, device="cuda")
    with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy. "
                                        r"Use Tensor.cpu\(\)"):
        y.numpy()
    with pytest.raises(TypeError, match="can't convert cuda:0"):
        np.asarray(y)


def test_mixing_devices_raises_naming_both() -> None:
    a, b = minidl.ones(3), minidl.ones(3, device="cuda")
    with pytest.raises(DeviceError, match="found at least two devices, cuda:0 and cpu"):
        b + a
    with pytest.raises(DeviceError, match="cpu and cuda:0"):
        minidl.matmul(minidl.ones(2, 3), minidl.ones(3, 2, device="cuda"))
    p = nn.Parameter(minidl.ones(3, device="cuda"))
    p.grad = minidl.ones(3)
    with pytest.raises(DeviceError, match="SGD.step: Expected all tensors to be on the same"):
        minidl.optim.SGD([p], lr=0.1).step()


def test_autograd_across_a_move() -> None:
    x = minidl.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = x.cuda()
    (y * y).sum().backward()      # the gradient comes back through to('cuda')
    assert not x.grad.is_cuda
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0, 6.0])
    w = minidl.tensor([1.0, 2.0], device="cuda", requires_grad=True)
    (w.exp() * 2).sum().backward()
    assert w.grad.is_cuda  # grads live on the tensor's device
    np.testing.assert_allclose(w.grad.cpu().numpy(), 2 * np.exp([1.0, 2.0]), rtol=1e-6)


def test_module_moves_in_place_and_state_goes_to_the_host(tmp_path) -> None:  # noqa: ANN001
    minidl.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    params = list(model.parameters())
    assert model.cuda() is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert all(t.is_cuda for t in [*model.parameters(), *model.buffers()])
    optimizer = minidl.optim.Adam(model.parameters(), lr=0.1)
    model(minidl.randn(5, 3, device="cuda")).sum().backward()
    optimizer.step()
    assert all(p.grad.is_cuda for p in model.parameters())
    assert isinstance(optimizer.state[params[0]]["exp_avg"], CudaArray)  # state on the device
    assert isinstance(optimizer.state_dict()["state"][0]["exp_avg"], np.ndarray)
    path = tmp_path / "m.npz"
    minidl.save(model.state_dict(), path)  # host arrays on disk
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).to("cuda")
    fresh.load_state_dict(minidl.load(path))  # host arrays copied onto the model's device
    assert all(p.is_cuda for p in fresh.parameters())
    for (name, a), b in zip(model.state_dict().items(), fresh.state_dict().values()):
        np.testing.assert_array_equal(a.cpu().numpy(), b.cpu().numpy(), err_msg=name)
    model.cpu()
    assert not params[0].is_cuda and not params[0].grad.is_cuda
    optimizer.step()  # the state follows the parameters back to the host
    assert isinstance(optimizer.state[params[0]]["exp_avg"], np.ndarray)


def test_minidl_cuda_module() -> None:
    assert minidl.cuda.is_available()
    assert minidl.cuda.device_count() == 1
    assert isinstance(minidl.cuda.get_device_name(), str)
    minidl.cuda.synchronize()
    minidl.cuda.manual_seed(0)


def test_tensor_of_a_tensor_keeps_or_changes_its_device() -> None:
    y = minidl.tensor([1.0, 2.0], device="cuda")
    assert minidl.tensor(y).is_cuda  # as torch.tensor(t): a copy on t's device
    z = minidl.tensor(y, device="cpu")
    assert not z.is_cuda and isinstance(z.numpy(), np.ndarray)


def test_gradient_of_a_0d_tensor_broadcast_over_a_vector() -> None:
    s = minidl.tensor(2.0, device="cuda", requires_grad=True)
    (minidl.ones(3, device="cuda") * s).sum().backward()
    assert s.grad.item() == 3.0


def test_one_hot_and_embedding_stay_on_the_device() -> None:
    ids = minidl.tensor([[2, 0], [1, 2]], device="cuda")
    hot = nn.functional.one_hot(ids, 3)
    assert hot.is_cuda
    np.testing.assert_array_equal(hot.cpu().numpy(), np.eye(3, dtype=np.int64)[[[2, 0], [1, 2]]])
    emb = nn.Embedding(3, 4).cuda()
    out = emb(ids)
    out.sum().backward()
    assert out.is_cuda and emb.weight.grad.is_cuda
    np.testing.assert_array_equal(emb.weight.grad.cpu().numpy()[:, 0], [1.0, 1.0, 2.0])
