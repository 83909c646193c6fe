"""Chapter 2 demo: optimizers racing on a 2-D loss surface.

Each racer is a real ``minidl.optim`` optimizer stepping a minidl tensor θ of shape (2,);
the loss f(θ) is written with minidl tensor ops, so its gradient comes from ``backward()``
(and from your kernels under ``minidl.use_exercises()``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from minidl import optim
from minidl.autograd.grad_mode import no_grad
from minidl.frontend import widget_mode
from minidl.tensor import Tensor
from minidl.viz.mlp import plot_loss_surface
from minidl.widgets.controls import Choice, Player, interactive_figure

#: ``factory(params, sgd_lr)`` builds an optimizer for a list of parameters; ``sgd_lr`` is
#: the surface's learning rate for plain gradient descent (adaptive methods may ignore it).
OptimizerFactory = Callable[[list[Tensor], float], Any]


@dataclass(frozen=True)
class Surface:
    """A 2-D loss f(θ) (on a minidl Tensor of shape (2,), or on NumPy grids X, Y), a start,
    the plot limits (x_min, x_max, y_min, y_max), the minimum, a learning rate that
    suits plain gradient descent on it (just below 2 / the largest curvature on the path),
    and the formula of f as matplotlib mathtext for the figure's title (may be empty)."""

    name: str
    loss: Callable[[Any, Any], Any]
    start: tuple[float, float]
    limits: tuple[float, float, float, float]
    minimum: tuple[float, float]
    sgd_lr: float
    formula: str = ""

    def __call__(self, theta: Tensor) -> Tensor:
        return self.loss(theta[0], theta[1])


SURFACES: dict[str, Surface] = {
    # a long narrow valley: curvature 100× larger across it than along it
    "ravine": Surface("ravine", lambda x, y: 0.05 * x * x + 5.0 * y * y,
                      (-9.0, 1.5), (-10.0, 2.0, -2.5, 2.5), (0.0, 0.0), 0.15,
                      r"$f = 0.05\,\theta_1^2 + 5\,\theta_2^2$"),
    # Rosenbrock's banana: easy to reach the valley, slow to walk along its curved floor
    "rosenbrock": Surface("rosenbrock",
                          lambda x, y: (1.0 - x) * (1.0 - x) + 100.0 * (y - x * x) * (y - x * x),
                          (-1.5, 2.0), (-2.0, 2.0, -1.0, 3.0), (1.0, 1.0), 1e-3,
                          r"$f = (1 - \theta_1)^2 + 100\,(\theta_2 - \theta_1^2)^2$"),
}

#: The default field: SGD and momentum at the surface's ``sgd_lr``; the adaptive methods
#: take steps of about ``lr`` in θ whatever the curvature, so one setting serves both.
DEFAULT_RACERS: dict[str, OptimizerFactory] = {
    "SGD": lambda p, lr: optim.SGD(p, lr=lr),
    "momentum": lambda p, lr: optim.SGD(p, lr=lr, momentum=0.9),
    "Adagrad": lambda p, lr: optim.Adagrad(p, lr=1.0),
    "RMSprop": lambda p, lr: optim.RMSprop(p, lr=0.05),
    "Adam": lambda p, lr: optim.Adam(p, lr=0.1),
}


def optimizer_trajectory(
    make_optimizer: OptimizerFactory, surface: Surface, steps: int
) -> np.ndarray:
    """θ after 0, 1, …, ``steps`` optimizer steps from ``surface.start``: shape (steps + 1, 2).

    ``make_optimizer(params, surface.sgd_lr)`` builds the optimizer (see
    :data:`OptimizerFactory`).

    Each step is the usual loop: ``zero_grad()``, ``loss = f(θ)``, ``loss.backward()``,
    ``step()``. Stops early (repeating the last point) if θ leaves a box 10⁴ wide.
    """
    theta = Tensor(np.array(surface.start, dtype=np.float64), requires_grad=True)
    opt = make_optimizer([theta], surface.sgd_lr)
    path = np.empty((steps + 1, 2))
    path[0] = surface.start
    for t in range(1, steps + 1):
        opt.zero_grad()
        surface(theta).backward()
        opt.step()
        with no_grad():
            point = theta.detach().numpy().copy()
        if not np.all(np.isfinite(point)) or np.abs(point).max() > 1e4:
            path[t:] = path[t - 1]
            break
        path[t] = point
    return path


def optimizer_settings(make_optimizer: OptimizerFactory, surface: Surface) -> str:
    """The settings ``make_optimizer`` uses on ``surface``, e.g. ``"lr 0.15, momentum 0.9"``.

    Read from the first parameter group of an optimizer built on a throwaway θ: the
    learning rate, then momentum, Nesterov and weight decay where they are switched on.
    """
    optimizer = make_optimizer([Tensor(np.zeros(2), requires_grad=True)], surface.sgd_lr)
    group = optimizer.param_groups[0]
    parts = [f"lr {group['lr']:g}"]
    if group.get("momentum"):
        parts.append(f"momentum {group['momentum']:g}" + (" Nesterov" if group.get("nesterov")
                                                           else ""))
    if group.get("weight_decay"):
        parts.append(f"weight decay {group['weight_decay']:g}")
    return ", ".join(parts)


def optimizer_race(
    racers: Mapping[str, OptimizerFactory] | None = None,
    surfaces: tuple[str, ...] = ("ravine", "rosenbrock"),
    steps: int = 300,
    interval_ms: int = 60,
) -> Any:
    """Race optimizers on a 2-D surface: choose the surface, press play, watch them go.

    ``racers`` maps a name to a factory ``(params, sgd_lr) -> optimizer`` (default
    :data:`DEFAULT_RACERS`); ``surfaces`` are keys of :data:`SURFACES`. Every trajectory is
    computed once per surface (``steps`` steps). The title names the surface, its formula
    and the current step; each legend entry gives a racer's settings and its loss f(θ) at
    that step. Live, the player starts at step 0; static mode (see :mod:`minidl.widgets`)
    shows the first surface at the last step.
    """
    racers = dict(DEFAULT_RACERS if racers is None else racers)
    unknown = [s for s in surfaces if s not in SURFACES]
    if unknown:
        raise ValueError(f"optimizer_race: unknown surface(s) {unknown}; known: {list(SURFACES)}")
    cache: dict[str, dict[str, np.ndarray]] = {}
    settings: dict[str, dict[str, str]] = {}
    fig = Figure(figsize=(8.4, 4.4), layout="constrained")
    ax = fig.add_subplot()

    def draw(surface: str, step: int) -> None:
        s = SURFACES[surface]
        if surface not in cache:
            cache[surface] = {n: optimizer_trajectory(f, s, steps) for n, f in racers.items()}
            settings[surface] = {n: optimizer_settings(f, s) for n, f in racers.items()}
        paths = {n: p[: step + 1] for n, p in cache[surface].items()}
        ax.clear()
        title = f"{surface}, step {step} of {steps}" + (f": {s.formula}" if s.formula else "")
        plot_loss_surface(s.loss, s.limits, paths, minimum=s.minimum, ax=ax, title=title)
        labels = [f"{n} ({settings[surface][n]}): f = {float(s.loss(*p[-1])):.2g}"
                  for n, p in paths.items()]
        handles = [line for line in ax.lines if line.get_gid() in paths]
        star = [line for line in ax.lines if line.get_marker() == "*"]
        keys = [Line2D([], [], color="0.3", lw=0.7), Line2D([], [], ls="", marker="o", ms=4,
                color="0.4"), Line2D([], [], ls="", marker="o", ms=7, color="0.4", mec="k")]
        ax.legend(handles + star + keys,
                  labels + [f"minimum, f = {float(s.loss(*s.minimum)):g}",
                            "contours of f (log-spaced levels)", "start", f"θ after step {step}"],
                  title=f"optimizer (settings): f(θ) after step {step}", title_fontsize=8,
                  fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)

    return interactive_figure(fig, draw, {
        "surface": Choice("surface", tuple(surfaces), surfaces[0]),
        "step": Player("step", steps + 1, interval_ms,
                       value=steps if widget_mode() == "static" else 0),
    })
