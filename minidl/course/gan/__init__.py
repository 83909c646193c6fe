"""Chapter 5's models, training loop, sample metrics and shipped weights (GANs).

=====================  ==================================================================
``models``             MLP and DCGAN generators/discriminators, the conditional pair, the
                       LeNet "digit judge", DCGAN's N(0, 0.02) initialisation
``training``           one alternating GAN step and a loop that records losses, D(x),
                       D(G(z)) and sample grids from a fixed noise batch
``toy``                the 2-D game: a ring of 8 Gaussians, tiny MLPs, modes covered
``metrics``            class coverage, Inception-style score, Fréchet distance in the
                       judge's features, nearest-neighbour distances (memorisation)
``shipped``            ``python -m minidl.course.train ch05``: the seeded command that
                       trains the weights the notebook loads (notebooks/weights/)
=====================  ==================================================================
"""
