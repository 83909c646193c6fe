"""Layer 5: looking inside a trained classifier (chapter 8): attribution maps and their
sanity check."""

from minidl.interpret.attribution import (
    gradient_x_input,
    input_gradient,
    integrated_gradients,
    occlusion,
    rank_correlation,
    saliency,
    target_scores,
)
from minidl.interpret.sanity import randomized_copy

__all__ = ["gradient_x_input", "input_gradient", "integrated_gradients", "occlusion",
           "randomized_copy", "rank_correlation", "saliency", "target_scores"]
