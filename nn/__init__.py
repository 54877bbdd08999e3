"""nn: modules, losses, optimizers and the training workflow, built on autograd_mini."""
