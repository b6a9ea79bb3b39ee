"""Registers the built-in optimizers; the order here is the order of the app's menus."""

from __future__ import annotations

from .adam import ADAM, ADAMAX, ADAMW, ADOPT, AMSGRAD, NADAM, RADAM
from .adaptive import ADADELTA, ADAFACTOR, ADAGRAD, RMSPROP
from .lbfgs import LBFGS
from .lion import LION
from .lookahead import lookahead_spec
from .muon import MUON
from .registry import register
from .rprop import RPROP
from .sgd import ASGD, MOMENTUM, NESTEROV, SGD

for _spec in (SGD, MOMENTUM, NESTEROV, ASGD, RMSPROP, ADAGRAD, ADADELTA, RPROP, ADAM, ADAMW,
              AMSGRAD, NADAM, RADAM, ADAMAX, ADAFACTOR, ADOPT, LION, MUON, LBFGS):
    register(_spec)
register(lookahead_spec())  # last: its `base` menu lists everything above
