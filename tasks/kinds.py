"""The kinds, one object each (tasks/kind.py is their contract), by name, and the kind of a task. Adding a kind is
adding its module's KIND here."""
from tasks import TASKS
from tasks import bitext_mining, bitext_search, classification, dual_encoder, mlm, multiple_choice, span_qa, tagging
from tasks.spec import TaskSpec

KINDS = {kind.name: kind for kind in (classification.KIND, multiple_choice.KIND, span_qa.KIND, tagging.KIND,
                                      bitext_search.KIND, bitext_mining.KIND, dual_encoder.KIND, mlm.KIND)}
KIND_OPTIONS = tuple(kind.OPTIONS for kind in KINDS.values() if kind.OPTIONS)  # the scripts parse each as a group


def kind_of(spec: TaskSpec | str):
    """The kind of a task (a TaskSpec) or the kind of that name: its object in KINDS."""
    name = spec if isinstance(spec, str) else spec.kind
    try:
        return KINDS[name]
    except KeyError:
        raise ValueError(f"unknown kind {name!r}; known kinds: {', '.join(KINDS)}") from None


for _spec in TASKS.values():
    kind_of(_spec)  # every task names a known kind (a ValueError names the known ones)
