"""Which task each multi-task batch comes from.

Task t with n_t training examples is drawn with probability p_t proportional to min(n_t, cap) ** (1 / T):
`proportional` (the default, as the paper's jiant code) is T = 1, `temperature` uses the given T, `uniform` is
T = infinity (every task equally often). `cap` (optional) bounds the size a task counts with in the weights; it
never truncates the data. Tasks given a fixed share (the MLM corpus with --mlm_weight) keep it, and the other
tasks share the rest by the rule above.

`TaskBatchSampler` is a batch sampler: every batch holds `batch_size` indices of ONE task (into the
concatenation of the tasks' datasets, in task order). Within a task, examples are drawn without replacement
from successive shuffles, so every batch is full. The order depends only on (seed, epoch), so every process of
a multi-GPU run computes the same batches and accelerate's BatchSamplerShard gives each rank every
world_size-th one; the epoch length is rounded up to a multiple of world_size so no rank wraps around.
"""
import math

import numpy as np

STRATEGIES = ("proportional", "temperature", "uniform")


def task_probabilities(sizes: dict, strategy: str = "proportional", temperature: float = 1.0, cap=None,
                       fixed: dict | None = None) -> dict:
    """{task: n_t} -> {task: p_t} (see the module docstring); `fixed` = {task: share} set aside first."""
    if strategy not in STRATEGIES:
        raise ValueError(f"--sampling_strategy {strategy!r}: expected one of {', '.join(STRATEGIES)}")
    if strategy == "temperature" and not temperature > 0:
        raise ValueError(f"--sampling_temperature {temperature}: expected a positive number")
    if cap is not None and cap < 1:
        raise ValueError(f"--task_examples_cap {cap}: expected a positive number of examples")
    fixed = dict(fixed or {})
    if any(not 0 < share < 1 for share in fixed.values()) or sum(fixed.values()) >= 1:
        raise ValueError(f"fixed task shares {fixed} must each lie in (0, 1) and sum to less than 1")
    empty = [name for name, size in sizes.items() if size < 1]
    if empty:
        raise ValueError(f"task(s) {', '.join(empty)} have no training examples")
    free = [name for name in sizes if name not in fixed]
    exponent = {"proportional": 1.0, "temperature": 1.0 / temperature, "uniform": 0.0}[strategy]
    weights = {name: float(min(sizes[name], cap or sizes[name])) ** exponent for name in free}
    rest = 1.0 - sum(fixed.values()) if free else 0.0
    total = sum(weights.values())
    probabilities = {name: rest * weights[name] / total for name in free}
    probabilities.update(fixed)
    norm = sum(probabilities.values())
    return {name: probabilities[name] / norm for name in sizes}


class TaskBatchSampler:
    """Yields lists of `batch_size` global indices, all from one task drawn by `probabilities`.

    sizes / probabilities: one entry per task, in the order the tasks' datasets are concatenated.
    num_batches: batches per epoch; default sum over tasks of ceil(n_t / batch_size) (one pass's worth).
    """

    def __init__(self, sizes, probabilities, batch_size: int, seed: int = 0, num_batches: int | None = None,
                 world_size: int = 1):
        if len(sizes) != len(probabilities) or not sizes:
            raise ValueError("TaskBatchSampler: one size and one probability per task are needed")
        self.sizes, self.batch_size, self.seed, self.epoch = list(sizes), int(batch_size), int(seed), 0
        self.probabilities = np.asarray(probabilities, dtype=float) / float(np.sum(probabilities))
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]]).astype(np.int64)
        num_batches = num_batches or sum(math.ceil(n / self.batch_size) for n in self.sizes)
        self.num_batches = math.ceil(num_batches / world_size) * world_size
        self.drop_last = False

    def set_epoch(self, epoch: int):
        self.epoch = int(epoch)

    def __len__(self):
        return self.num_batches

    def task_sequence(self) -> np.ndarray:
        """The task index of every batch of the current epoch."""
        rng = np.random.default_rng([self.seed, self.epoch])
        return rng.choice(len(self.sizes), size=self.num_batches, p=self.probabilities)

    def _stream(self, task: int, count: int) -> np.ndarray:
        """`count` indices of one task: concatenated shuffles of its examples (a fresh shuffle per pass)."""
        rng = np.random.default_rng([self.seed, self.epoch, task])
        passes = math.ceil(count / self.sizes[task])
        order = np.concatenate([rng.permutation(self.sizes[task]) for _ in range(passes)])
        return order[:count] + self.offsets[task]

    def __iter__(self):
        tasks = self.task_sequence()
        counts = np.bincount(tasks, minlength=len(self.sizes))
        streams = {t: iter(self._stream(t, int(c) * self.batch_size).reshape(-1, self.batch_size))
                   for t, c in enumerate(counts) if c}
        for task in tasks:
            yield next(streams[int(task)]).tolist()
