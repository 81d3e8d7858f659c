"""The folder layout of pipelines and sweeps: the one place that knows where every run goes.

    <output_dir>/<model>/seed<S>/                       a sweep job's pipeline output folder (<model>: model_tag)
    <pipeline output>/<variant>/                        the variant's intermediate run (its encoder in encoder/)
    <pipeline output>/<variant>/<target>/               each target's run
    <pipeline output>/<variant>/lang/<language>/        the variant's language adapters (MLM LoRA runs), if any
    <output_dir>/sweep_logs/<model>_seed<S>_<variant>.log   a sweep job's log (its exit status beside it, .rc)

The variant is the pipeline's --name, else its intermediate task(s), or "baseline" (no intermediate training).
A run's facts (variant, seed, base model) are recorded in its run_config.json, not read back from these names.
"""
from pathlib import Path

BASELINE = ("none", "baseline")  # --intermediate values that mean no intermediate training


def is_baseline(intermediate: str) -> bool:
    return intermediate in BASELINE


def variant_name(intermediate: str, name: str | None = None) -> str:
    return name or ("baseline" if is_baseline(intermediate) else intermediate)


def run_dir(output_dir, variant: str) -> Path:
    return Path(output_dir) / variant


def encoder_dir(variant_dir) -> Path:
    return Path(variant_dir) / "encoder"


def target_dir(variant_dir, target: str) -> Path:
    return Path(variant_dir) / target


def language_adapter_dir(variant_dir, language: str) -> Path:
    return Path(variant_dir) / "lang" / language


def language_adapter_template(variant_dir) -> str:
    """run_target.py --language_adapters: the language adapter folders with {lang} for the language."""
    return str(language_adapter_dir(variant_dir, "{lang}"))


def model_tag(model: str) -> str:
    """A base model's folder name: its last path component, characters other than letters, digits and ._- as _."""
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in Path(model).name)


def seed_dir(output_dir, model: str, seed) -> Path:
    return Path(output_dir) / model_tag(model) / f"seed{seed}"


def log_dir(output_dir) -> Path:
    return Path(output_dir) / "sweep_logs"


def job_log(output_dir, model: str, seed, variant: str) -> Path:
    return log_dir(output_dir) / f"{model_tag(model)}_seed{seed}_{variant}.log"


def exit_status_file(log: Path) -> Path:
    return Path(log).with_suffix(".rc")


def finished(folder) -> bool:
    """A run leaves DONE in its folder when it finished."""
    return (Path(folder) / "DONE").is_file()
