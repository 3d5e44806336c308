"""Sampling as pure functions over a velocity function: time grids, ODE solvers, guidance.

Convention: ``x_t = (1 - t) * noise + t * data``; sampling goes from ``t = 0`` (noise) to
``t = 1`` (data). Nothing here imports ``genav.models``.
"""

from genav.sampling.guidance import (
    BRANCH_NAMES,
    GuidancePlan,
    cfg,
    guided_velocity,
    guided_velocity_separate,
    plan_guidance,
)
from genav.sampling.known import with_known_prefix
from genav.sampling.schedules import SCHEDULES, time_grid
from genav.sampling.solvers import EVALS_PER_STEP, METHODS, ProgressCallback, VelocityFn, sample

__all__ = [
    "BRANCH_NAMES",
    "EVALS_PER_STEP",
    "METHODS",
    "SCHEDULES",
    "GuidancePlan",
    "ProgressCallback",
    "VelocityFn",
    "cfg",
    "guided_velocity",
    "guided_velocity_separate",
    "plan_guidance",
    "sample",
    "time_grid",
    "with_known_prefix",
]
