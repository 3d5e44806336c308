"""One name per generation setting: ``num_steps`` and ``guidance_scale`` in every evaluator and
benchmark entry point and in their reports; the old keywords ``steps``/``cfg`` still work once,
with a DeprecationWarning (the CLI keeps its short flags ``--steps``/``--cfg``)."""

from __future__ import annotations

import inspect

import pytest

from genav.pipelines.bench import bench_sample
from genav.pipelines.eval_a2v import eval_a2v
from genav.pipelines.eval_distractors import eval_distractors
from genav.pipelines.eval_t2a import eval_t2a
from genav.pipelines.eval_t2v import eval_t2v
from genav.pipelines.eval_v2a import eval_v2a
from genav.pipelines.settings import steps_and_scale

ENTRY_POINTS = [bench_sample, eval_a2v, eval_distractors, eval_t2a, eval_t2v, eval_v2a]


@pytest.mark.parametrize("fn", ENTRY_POINTS, ids=lambda f: f.__name__)
def test_entry_points_take_num_steps_and_guidance_scale(fn) -> None:
    params = inspect.signature(fn).parameters
    assert "num_steps" in params and "guidance_scale" in params
    assert "steps" not in params and "cfg" not in params


def test_old_keywords_map_to_the_new_names_with_a_warning() -> None:
    with pytest.warns(DeprecationWarning, match="'steps' is deprecated, use 'num_steps'"):
        assert steps_and_scale({"steps": 3}, "eval_t2a", 25, 4.5) == (3, 4.5)
    with pytest.warns(DeprecationWarning, match="'cfg' is deprecated, use 'guidance_scale'"):
        assert steps_and_scale({"cfg": 2.0}, "eval_t2a", 25, 4.5) == (25, 2.0)
    assert steps_and_scale({}, "eval_t2a", 7, 1.5) == (7, 1.5)
    with pytest.raises(TypeError, match="unexpected keyword arguments \\['stpes'\\]"):
        steps_and_scale({"stpes": 3}, "eval_t2a", 25, 4.5)


def test_an_old_keyword_reaches_the_evaluator() -> None:
    # the rename is applied before any work: an invalid setting fails the same way under either name
    from genav.errors import InputError

    with pytest.warns(DeprecationWarning), pytest.raises(InputError, match="durations"):
        eval_t2a("debug-foley", durations=(), steps=2)


def test_an_old_keyword_with_its_new_name_passed_explicitly_is_an_error() -> None:
    from genav.config import keyword_default, renamed_kwargs
    from genav.errors import ConfigError

    renamed = {"steps": "num_steps"}
    # the new name left at its marked default: the old one fills it (with the warning)
    with pytest.warns(DeprecationWarning):
        assert renamed_kwargs({"steps": 3}, renamed, "f", num_steps=keyword_default(25)) == {"num_steps": 3}
    assert renamed_kwargs({}, renamed, "f", num_steps=keyword_default(25)) == {"num_steps": 25}
    assert renamed_kwargs({}, renamed, "f", num_steps=7) == {"num_steps": 7}
    # passed explicitly, even at the default's value: both names is an error, not "old wins"
    for value in (7, 25):
        with pytest.raises(
            ConfigError, match="^f: give 'num_steps' only \\('steps' is its deprecated name\\)$"
        ):
            renamed_kwargs({"steps": 3}, renamed, "f", num_steps=value, guidance_scale=keyword_default(4.5))
    assert repr(keyword_default(25)) == "25"  # signatures show the plain default


@pytest.mark.parametrize("fn", [eval_t2a, eval_v2a, eval_distractors, bench_sample], ids=lambda f: f.__name__)
def test_entry_points_refuse_an_old_and_a_new_name_together(fn) -> None:
    from genav.errors import ConfigError

    with pytest.raises(ConfigError, match="give 'num_steps' only"):
        fn("debug-foley", num_steps=4, steps=2)
    with pytest.raises(ConfigError, match="give 'guidance_scale' only"):
        fn("debug-foley", guidance_scale=2.0, cfg=3.0)
    assert str(inspect.signature(fn).parameters["num_steps"].default) == "25"
