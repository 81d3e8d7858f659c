"""A pipeline's stages: language adapters (if any), intermediate training, then each target, for one base model,
seed and variant.

Options holds run_pipeline.sh's flags; stages(options) lists the stages in order, each a Stage (the entry script,
chosen from the task registry, and its arguments). Every stage is given the variant (--variant) and the seed;
the base model is recorded by the runners (an encoder's run_config.json names the model it started from).

Language adapters (MAD-X with LoRA, utils/language_adapters.py): given text per language (--language_corpora
en=FILE,de=FILE), the pipeline first trains one language adapter per language on the base model (run_intermediate.py
--task mlm --mlm_corpus FILE --mlm_language L --peft lora, in layout.language_adapter_dir), and every trained target
then gets --peft lora --language_adapters with those folders (before its own flags, so they can change
--language_adapter_fallback or the LoRA settings). Retrieval targets evaluate the encoder as it is, without them.
"""
import dataclasses
import re
import shlex
from pathlib import Path

from pipeline import layout
from tasks import TASKS
from tasks.kinds import kind_of

ROOT = Path(__file__).resolve().parents[1]  # the run_*.py scripts
DEFAULT_MODEL = "xlm-roberta-large"


class UsageError(Exception):
    """A command line that cannot be planned (the launchers exit with status 2)."""


@dataclasses.dataclass
class Options:
    """run_pipeline.sh's flags (flag lists as words: "--layer 8" is ["--layer", "8"])."""
    intermediate: str
    targets: list
    output_dir: str
    model: str = DEFAULT_MODEL
    data_dir: str | None = None
    seed: str | None = None
    languages: str | None = None
    launcher: str | None = None
    intermediate_flags: list = dataclasses.field(default_factory=list)
    target_flags: list = dataclasses.field(default_factory=list)
    retrieval_flags: list = dataclasses.field(default_factory=list)
    flags_for: dict = dataclasses.field(default_factory=dict)  # target -> its own flags
    name: str | None = None
    trainer_flags: list = dataclasses.field(default_factory=list)  # after '--': every training stage
    language_corpora: dict = dataclasses.field(default_factory=dict)  # language -> MLM text: a language adapter each
    language_adapter_flags: list = dataclasses.field(default_factory=list)  # the language adapter stages' own

    def __post_init__(self):
        if not self.intermediate:
            raise UsageError("--intermediate is required (a task such as mnli, or 'none' for the baseline)")
        if not self.targets:
            raise UsageError("--targets is required (e.g. xnli,pawsx)")
        if not self.output_dir:
            raise UsageError("--output_dir is required")
        if self.name and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]*", self.name):
            raise UsageError(f"--name must be a folder name (letters, digits, . _ + -), got '{self.name}'")

    @property
    def variant(self) -> str:
        return layout.variant_name(self.intermediate, self.name)

    @property
    def run_dir(self) -> Path:
        return layout.run_dir(self.output_dir, self.variant)

    @property
    def encoder(self) -> str:
        """The encoder the targets start from: the intermediate run's, or the base model for the baseline."""
        return self.model if layout.is_baseline(self.intermediate) else str(layout.encoder_dir(self.run_dir))

    @property
    def language_adapters(self) -> dict:
        """{language: the folder its adapter stage writes} (empty without --language_corpora)."""
        return {lang: str(layout.language_adapter_dir(self.run_dir, lang)) for lang in self.language_corpora}

    def args(self) -> list:
        """These options as run_pipeline.sh's flags (the trainer flags left out: they go after '--')."""
        pairs = [("--intermediate", self.intermediate), ("--name", self.name), ("--targets", ",".join(self.targets)),
                 ("--model_name_or_path", self.model), ("--output_dir", self.output_dir), ("--seed", self.seed),
                 ("--data_dir", self.data_dir), ("--languages", self.languages), ("--launcher", self.launcher),
                 ("--intermediate_flags", shlex.join(self.intermediate_flags)),
                 ("--target_flags", shlex.join(self.target_flags)),
                 ("--retrieval_flags", shlex.join(self.retrieval_flags)),
                 ("--language_corpora", ",".join(f"{lang}={text}" for lang, text in self.language_corpora.items())),
                 ("--language_adapter_flags", shlex.join(self.language_adapter_flags))]
        args = [word for flag, value in pairs if value for word in (flag, str(value))]
        for target, flags in self.flags_for.items():
            args += ["--flags_for", target, shlex.join(flags)]
        return args


@dataclasses.dataclass
class Stage:
    """One run: its entry script (a file name beside run_pipeline.sh) and arguments."""
    name: str  # "intermediate mnli", "target xnli"
    script: str
    argv: list

    @property
    def path(self) -> Path:
        return ROOT / self.script

    @property
    def output_dir(self) -> str:
        return self.argv[self.argv.index("--output_dir") + 1]

    @property
    def finished(self) -> bool:
        return layout.finished(self.output_dir)

    @property
    def trains(self) -> bool:
        """Training stages run under the launcher (torchrun, accelerate); retrieval encodes on one process."""
        return self.script != "run_retrieval.py"

    def command(self, python: str, launcher: str | None = None) -> list:
        runner = shlex.split(launcher) if launcher and self.trains else [python]
        return [*runner, str(self.path), *self.argv]


def stages(options: Options) -> list:
    """The stages in order: the language adapters (if any), the intermediate training (none for the baseline), then
    every target."""
    common = ["--variant", options.variant] + (["--data_dir", options.data_dir] if options.data_dir else [])
    seed = ["--seed", str(options.seed)] if options.seed else []
    training = [*common, *seed, *options.trainer_flags]
    result = [Stage(f"language adapter {lang}", "run_intermediate.py",
                    ["--task", "mlm", "--mlm_corpus", options.language_corpora[lang], "--mlm_language", lang,
                     "--peft", "lora", "--model_name_or_path", options.model, *training,
                     *options.language_adapter_flags, "--output_dir", folder])
              for lang, folder in options.language_adapters.items()]
    composed = ["--peft", "lora", "--language_adapters", layout.language_adapter_template(options.run_dir)] \
        if options.language_corpora else []
    if not layout.is_baseline(options.intermediate):
        several = "," in options.intermediate or options.intermediate == "all"  # multi-task training
        result.append(Stage(f"intermediate {options.intermediate}", "run_intermediate.py",
                            ["--tasks" if several else "--task", options.intermediate, "--model_name_or_path",
                             options.model, *training, *options.intermediate_flags,
                             "--output_dir", str(options.run_dir)]))
    languages = ["--languages", options.languages] if options.languages else []
    for target in options.targets:
        script = kind_of(TASKS[target]).script if target in TASKS else "run_target.py"  # unknown: the check names it
        own = [*options.retrieval_flags, *common, *seed] if script == "run_retrieval.py" else \
            [*training, *composed, *options.target_flags]  # a stage's own flags come after the shared ones: they win
        result.append(Stage(f"target {target}", script,
                            [*own, "--task", target, "--model_name_or_path", options.encoder, *languages,
                             *options.flags_for.get(target, []),
                             "--output_dir", str(layout.target_dir(options.run_dir, target))]))
    return result


def planned(options: Options) -> set:
    """Encoders and language adapters earlier stages will write (not an error that they are missing yet)."""
    encoders = set() if layout.is_baseline(options.intermediate) else {options.encoder}
    return encoders | set(options.language_adapters.values())


def world_size(launcher: str | None) -> int | None:
    """The launcher's processes (torchrun --nproc_per_node N): the stages' batches are split over them."""
    found = re.search(r"--nproc[_-]per[_-]node[= ]+([0-9]+)", launcher or "")
    return int(found.group(1)) if found else None
