"""The jobs of a sweep: one pipeline per base model, seed and variant (the intermediate checkpoint is trained once
and reused by every target of its job), from a grid of flags or an experiment file; and the status view."""
import dataclasses
from pathlib import Path

from pipeline import layout
from pipeline.stages import Options, UsageError


@dataclasses.dataclass
class Job:
    name: str          # "<model> seed<S> <variant>"
    log: Path          # its log (its exit status beside it: layout.exit_status_file)
    options: Options   # its pipeline

    @property
    def pipeline_args(self) -> list:
        return self.options.args()

    @property
    def trainer_flags(self) -> list:
        return self.options.trainer_flags

    @property
    def run_dir(self) -> str:
        return str(self.options.run_dir)

    @property
    def done(self) -> bool:
        """Every target of the job has finished."""
        return all(layout.finished(layout.target_dir(self.run_dir, t)) for t in self.options.targets)

    def exit_status(self) -> str | None:
        """The exit status the launcher recorded for its last run (None: not run or still running)."""
        path = layout.exit_status_file(self.log)
        return path.read_text().strip() if path.is_file() else None

    def command(self, pipeline) -> list:
        """The launcher's command line: run_pipeline.sh (or another pipeline script) with this job's flags."""
        flags = ["--", *self.trainer_flags] if self.trainer_flags else []
        return ["bash", str(pipeline), *self.pipeline_args, *flags]


def job(output_dir, model, seed, **options) -> Job:
    """The job of one base model and seed in a sweep's output folder; options: the rest of its pipeline's."""
    pipeline = Options(model=model, seed=str(seed), output_dir=str(layout.seed_dir(output_dir, model, seed)),
                       **options)
    return Job(f"{layout.model_tag(model)} seed{seed} {pipeline.variant}",
               layout.job_log(output_dir, model, seed, pipeline.variant), pipeline)


def grid_jobs(output_dir, intermediates, targets, models, seeds, **options) -> list:
    """Every base model x seed x intermediate task ('none': the baseline)."""
    tags = [layout.model_tag(model) for model in models]
    for tag in tags:
        if tags.count(tag) > 1:
            raise UsageError(f"two models in --models share the folder name '{tag}'")
    return [job(output_dir, model, seed, intermediate=intermediate, targets=list(targets), **options)
            for model in models for seed in seeds for intermediate in intermediates]


def experiment_jobs(experiment, output_dir) -> list:
    """One job per (base model, seed, variant) of an experiment (pipeline/experiment.py); a variant with its own
    base model runs once per seed, not once per model of the axis."""
    out, result = Path(output_dir).resolve(), []
    for model in experiment.models:
        for seed in experiment.seeds:
            for variant in experiment.variants:
                if variant.model and model != experiment.models[0]:
                    continue
                flags_for = {}
                for task in experiment.targets:
                    own = list(experiment.target_flags.get(task, []))
                    for set_name, directory in experiment.extra_eval.get(task, {}).items():
                        own += ["--extra_eval", f"{set_name}={directory}"]
                    if own:
                        flags_for[task] = own
                result.append(job(out, variant.model or model, seed, intermediate=variant.intermediate,
                                  name=variant.name, targets=list(experiment.targets),
                                  data_dir=experiment.data_dir, languages=experiment.languages,
                                  intermediate_flags=list(variant.intermediate_flags),
                                  target_flags=experiment.target_flags.get("*", []) + variant.target_flags,
                                  retrieval_flags=list(experiment.retrieval_flags), flags_for=flags_for,
                                  trainer_flags=list(experiment.trainer_flags),
                                  **(language_adapters(experiment) if variant.language_adapters else {})))
    return result


def language_adapters(experiment) -> dict:
    """The options of a job whose variant trains and composes the experiment's language adapters."""
    return {"language_corpora": dict(experiment.language_corpora),
            "language_adapter_flags": list(experiment.language_adapter_flags)}


def status(jobs) -> list:
    """One line per job: done, FAILED (its exit status and log), or not run (or still running)."""
    lines = []
    for item in jobs:
        rc = item.exit_status()
        if item.done:
            lines.append(f"done: {item.name}")
        elif rc and rc != "0":
            lines.append(f"FAILED (exit {rc}): {item.name}: log {item.log}")
        else:
            lines.append(f"not run or running: {item.name}")
    return lines
