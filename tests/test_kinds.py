"""Every kind object against the written contract (tasks/kind.py): the abstract methods implemented, the facts
present and of the right type, every registry task of a known kind, the tables derived from the kinds."""
import inspect

import pytest

from tasks import TASKS
from tasks.kinds import KINDS, kind_of
from tasks.custom import custom_kinds
from tasks.kind import Kind, TrainedKind
from tasks.retrieval import BitextKind

FACTS = {"FIELDS": tuple, "HUB_FIELDS": tuple, "RAW_FORMATS": dict, "HAS_FILES": bool, "TEXT_FIELDS": tuple,
         "LABELLED_HEAD": bool, "COST_SHAPE": str, "CUSTOM_MAX_LENGTH": int,
         "EXTRA_EVAL": bool, "name": str, "script": str}
OPTIONAL = {"LABEL_FIELD": str, "SUBMISSION_FORMAT": str, "CUSTOM_METRIC": str}
SCRIPTS = {TrainedKind: "run_target.py", BitextKind: "run_retrieval.py"}


@pytest.mark.parametrize("name", sorted(KINDS))
def test_kind_keeps_the_contract(name):
    kind = KINDS[name]
    assert isinstance(kind, Kind) and kind.name == name, f"KINDS[{name!r}] is not the Kind named {name!r}"
    assert not inspect.isabstract(type(kind)), f"{name}: abstract methods left: {type(kind).__abstractmethods__}"
    for fact, kind_type in FACTS.items():
        assert isinstance(getattr(kind, fact, None), kind_type), f"{name}.{fact}: expected a {kind_type.__name__}"
    for fact, kind_type in OPTIONAL.items():
        value = getattr(kind, fact)
        assert value is None or isinstance(value, kind_type), f"{name}.{fact}: expected None or a {kind_type.__name__}"
    assert all(callable(convert) for convert in kind.RAW_FORMATS.values()), f"{name}: a RAW_FORMATS value is no function"
    assert set(kind.TEXT_FIELDS) <= set(kind.FIELDS), f"{name}: TEXT_FIELDS outside its FIELDS"
    assert kind.LABEL_FIELD is None or kind.LABEL_FIELD in kind.FIELDS, f"{name}: LABEL_FIELD outside its FIELDS"
    base = next(base for base in SCRIPTS if isinstance(kind, base))
    assert kind.script == SCRIPTS[base], f"{name}: a {base.__name__} runs with {SCRIPTS[base]}, not {kind.script}"


def test_every_task_names_a_known_kind():
    unknown = {name: spec.kind for name, spec in TASKS.items() if spec.kind not in KINDS}
    assert not unknown, f"tasks of unknown kinds: {unknown}"
    with pytest.raises(ValueError, match="unknown kind 'retrieval'; known kinds: classification"):
        kind_of("retrieval")


def test_custom_task_kinds_have_metrics_and_files():
    assert sorted(custom_kinds()) == ["classification", "multiple_choice", "span_qa", "tagging"]
    for name, kind in custom_kinds().items():
        assert kind.CUSTOM_METRIC in ("accuracy", "f1"), f"{name}: custom tasks report {kind.CUSTOM_METRIC!r}"
        assert kind.HAS_FILES and isinstance(kind, TrainedKind), f"{name}: custom tasks are local files, trained"
        assert type(kind).custom_row is not Kind.custom_row, f"{name}: CUSTOM_METRIC without custom_row"
    with pytest.raises(ValueError, match="kind 'dual_encoder' has no custom tasks"):
        KINDS["dual_encoder"].custom_row(["q"], "a", "file:1")


def test_raw_formats_are_owned_once():
    names = [name for kind in KINDS.values() for name in kind.RAW_FORMATS]
    assert len(names) == len(set(names)), f"a --from_raw format is claimed by two kinds: {sorted(names)}"
    assert {kind_of(spec).script for spec in TASKS.values()} == set(SCRIPTS.values())


def test_optional_hooks_default_to_nothing():
    kind = KINDS["classification"]  # defines none of them
    assert kind.labels_from_data(TASKS["mnli"], None) is None
    assert kind.statistics_inputs(TASKS["mnli"], "run", "test", "en") == {}
    assert kind.statistics_pairing(TASKS["mnli"]) == "common"
    assert kind.evaluate(None, None, "test", "en") is None
    assert kind.repair(TASKS["mnli"], ["row"], "path", True) == (["row"], {})
    assert KINDS["bitext_mining"].statistics_pairing(TASKS["bucc"]) == "union"


def test_a_kind_missing_a_method_cannot_be_built():
    class Half(TrainedKind):
        name = "half"

        def from_hub(self, spec, dataset, lang):
            return dataset

    with pytest.raises(TypeError, match="abstract"):
        Half()


def test_kind_options_are_typed_groups_with_flags_of_their_own():
    """A kind's OPTIONS is a dataclass (or None) that the training scripts parse as a group: its flags are its own
    (no other group or kind declares them) and a kind reads its own instance from the data arguments."""
    import dataclasses
    import run_intermediate
    import run_target
    from utils.args import DataArguments
    with_options = [kind for kind in KINDS.values() if kind.OPTIONS is not None]
    assert {kind.name for kind in with_options} == {"span_qa", "tagging", "dual_encoder"}
    for groups in (run_target.GROUPS, run_intermediate.GROUPS):
        assert all(kind.OPTIONS in groups for kind in with_options)
        names = [f.name for group in groups for f in dataclasses.fields(group) if f.init]
        assert len(names) == len(set(names))
    for kind in with_options:
        assert dataclasses.is_dataclass(kind.OPTIONS) and kind.options(DataArguments()) == kind.OPTIONS()
        given = kind.OPTIONS(**{f.name: "x" for f in dataclasses.fields(kind.OPTIONS)})
        others = tuple(other.OPTIONS() for other in with_options if other is not kind)
        assert kind.options(DataArguments(kind_options=(*others, given))) is given
    assert all(kind.options(DataArguments()) is None for kind in KINDS.values() if kind.OPTIONS is None)
