"""nn: modules, losses, optimizers and the training workflow, built on autograd_mini.

A reader who knows the course notes finds each equation in one place:
``Module`` and its registration rules in ``module.py``, ``Sequential``,
``ModuleList``, ``ModuleDict`` and the parameter containers in
``containers.py``, layers in ``layers.py``, BatchNorm in
``normalization.py``, dropout in ``dropout.py``, losses and the L2 term in
``losses.py``, the fused ops with their closed-form backward in
``fused.py``, optimizers in ``optim/``.
"""

from autograd_mini import __version__ as __version__  # one version: the engine's

from . import data, drawing, functional, init, metrics, optim, tune, utils
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .dropout import Dropout
from .io import load, load_optimizer_state, save
from .layers import Identity, LeakyReLU, Linear, ReLU, Sigmoid, Softmax, Tanh
from .losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss, l2_penalty
from .module import (
    IncompatibleKeys,
    Module,
    Parameter,
    register_module_forward_hook,
    register_module_forward_pre_hook,
)
from .normalization import BatchNorm1d
from .training import EarlyStopping, History, TrainingDivergedError, evaluate, fit

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchNorm1d",
    "CrossEntropyLoss",
    "Dropout",
    "EarlyStopping",
    "History",
    "Identity",
    "IncompatibleKeys",
    "LeakyReLU",
    "Linear",
    "MSELoss",
    "Module",
    "ModuleDict",
    "ModuleList",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Softmax",
    "Tanh",
    "TrainingDivergedError",
    "data",
    "drawing",
    "evaluate",
    "fit",
    "functional",
    "init",
    "l2_penalty",
    "load",
    "load_optimizer_state",
    "metrics",
    "optim",
    "register_module_forward_hook",
    "register_module_forward_pre_hook",
    "save",
    "tune",
    "utils",
]
