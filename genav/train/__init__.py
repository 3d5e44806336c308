"""Training on ``accelerate``: one generic trainer, JSON recipes, and the foley task.

One machine::

    genav train foley --recipe pipelines/recipes/foley-debug.json --out runs/debug

Several GPUs, or several machines (``accelerate launch`` starts one process per GPU; the recipe's
``batch_size`` is the global batch, split across processes, so results do not depend on the GPU
count)::

    accelerate launch --multi_gpu --num_processes 8 -m genav train foley --recipe R.json --out OUT
    # on each of 2 machines (machine_rank 0 and 1), 8 GPUs each:
    accelerate launch --multi_gpu --num_machines 2 --machine_rank 0 --main_process_ip HOST \\
        --main_process_port 29500 --num_processes 16 -m genav train foley --recipe R.json --out OUT

``OUT`` must be on storage every machine sees (checkpoints and caches are written there).
Without a GPU, ``--multi_gpu`` starts CPU processes on gloo (``--cpu`` alone starts one).
Interrupted runs continue with ``--resume``; ``--stop-after N`` ends a call after N steps (with a
checkpoint) to fit a job's time limit.

The generic :class:`Trainer` takes an in-memory ``TrainSet`` (``__len__`` + ``collate(indices)``)
or a streamed ``StreamSet`` (see :mod:`genav.train.loader`).
"""

from genav.train.loader import StreamSet, TrainSet
from genav.train.recipe import DataSpec, Recipe, SynthSpec, load_recipe
from genav.train.trainer import Trainer, TrainResult, make_accelerator

__all__ = [
    "DataSpec",
    "Recipe",
    "StreamSet",
    "SynthSpec",
    "TrainResult",
    "TrainSet",
    "Trainer",
    "load_recipe",
    "make_accelerator",
]
