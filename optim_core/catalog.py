"""Registers the built-in optimizers; the order here is the order of the app's menus."""

from __future__ import annotations

from .adam import ADAM, ADAMAX, ADAMW, ADOPT, AMSGRAD, NADAM, RADAM
from .adaptive import ADADELTA, ADAFACTOR, ADAGRAD, RMSPROP
from .lion import LION
from .lookahead import lookahead_spec
from .registry import register
from .sgd import MOMENTUM, NESTEROV, SGD

for _spec in (SGD, MOMENTUM, NESTEROV, RMSPROP, ADAGRAD, ADADELTA, ADAM, ADAMW, AMSGRAD,
              NADAM, RADAM, ADAMAX, ADAFACTOR, ADOPT, LION):
    register(_spec)
register(lookahead_spec())  # last: its `base` menu lists everything above
