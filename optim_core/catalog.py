"""Registers the built-in optimizers; the order here is the order of the app's menus."""

from __future__ import annotations

from .adam import ADAM, ADAMAX, ADAMW, ADOPT, AMSGRAD, NADAM, RADAM
from .adam_variants import ADABELIEF, ADAN, ADEMAMIX, LAPROP, MARS
from .adaptive import ADADELTA, ADAFACTOR, ADAGRAD, RMSPROP
from .curvature import NEWTON, POLYAK
from .lamb import LAMB
from .lbfgs import LBFGS
from .lion import LION
from .lookahead import lookahead_spec
from .muon import MUON
from .prodigy import PRODIGY
from .registry import register
from .rprop import RPROP
from .schedule_free import ADAMW_SCHEDULE_FREE, SGD_SCHEDULE_FREE
from .sgd import ASGD, MOMENTUM, NESTEROV, SGD
from .signum import SIGNUM
from .soap import SOAP
from .sophia import SOPHIA_EXACT, SOPHIA_H

for _spec in (SGD, MOMENTUM, NESTEROV, ASGD, RMSPROP, ADAGRAD, ADADELTA, RPROP, ADAM, ADAMW,
              AMSGRAD, NADAM, RADAM, ADAMAX, ADAFACTOR, ADOPT, ADABELIEF, LAPROP, ADAN,
              ADEMAMIX, MARS, SOAP, SOPHIA_H, SOPHIA_EXACT, PRODIGY, SGD_SCHEDULE_FREE,
              ADAMW_SCHEDULE_FREE, LAMB, LION, SIGNUM, MUON, LBFGS, NEWTON, POLYAK):
    register(_spec)
register(lookahead_spec())  # last: its `base` menu lists everything above
