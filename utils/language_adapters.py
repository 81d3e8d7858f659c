"""Language adapters composed with a task adapter (run_target.py --peft lora --language_adapters TEMPLATE).

The protocol is MAD-X's (Pfeiffer et al., EMNLP 2020): one adapter per language, trained with masked language
modelling on that language's text; the task adapter is trained on English data while the English language adapter
is in the model and frozen; at test time each language's adapter takes the English one's place under the same task
adapter. The adapters here are LoRA updates (peft), so two adapters active together are the sum of their weight
updates, the composition Composable Sparse Fine-Tuning (Ansell et al., ACL 2022) uses for its language and task
updates; peft adds the outputs of every active LoRA adapter of a layer.

- A language adapter is an MLM run's output folder (run_intermediate.py --task mlm --mlm_corpus FILE --mlm_language
  de --peft lora --output_dir runs/lang/de); the template names it with {lang} (runs/lang/{lang}): the folder
  itself or its encoder/ holds the adapter.
- `plan_adapters`: which adapter serves English and each evaluation language, from files alone (the pre-flight's
  checks): its own, else the language nearest by URIEL's transfer distance (utils/typology.py) among those that
  have one (--language_adapter_fallback closest), else none (none).
- `check_resumed`: an interrupted run resumes with the adapters it started with (its run_config.json's record).
- `activate`: the task adapter ("default", utils/peft_setup.py add_lora) and one language's adapter active
  together, the language adapter loaded once under the name lang_<code> and kept frozen.
"""
import glob
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from utils import languages
from utils.peft_setup import ADAPTER_CONFIG, adapter_base, check_adapter_folder, is_adapter_folder, peft_model_of
from utils.results import is_done
from utils.typology import transfer_distance

logger = logging.getLogger(__name__)

PLACEHOLDER = "{lang}"
FALLBACKS = ("closest", "none")
FLAG = "--language_adapters"
TASK_ADAPTER = "default"  # the name peft gives the run's own LoRA (add_lora)


@dataclass(frozen=True)
class Choice:
    """The language adapter one language is evaluated with: its language (None: none), its folder and the URIEL
    transfer distance to it (0 for the language's own)."""
    adapter: str | None
    folder: str | None
    distance: float | None

    def record(self) -> dict:
        return {"adapter": self.adapter, "folder": self.folder, "distance": self.distance}


def adapter_name(code) -> str:
    return f"lang_{code}"


def adapter_folder(path) -> Path | None:
    """The folder that holds the adapter of a template's folder: an MLM run's encoder/, or the folder itself."""
    for folder in (Path(path) / "encoder", Path(path)):
        if is_adapter_folder(folder):
            return folder
    return None


def available(template) -> dict:
    """{language: its adapter folder} of every folder the template matches ({lang} any one name); a matching
    folder without an adapter is left out (logged)."""
    pattern = re.compile(re.escape(template).replace(re.escape(PLACEHOLDER), "([^/]+)"))
    found = {}
    for path in sorted(glob.glob(template.replace(PLACEHOLDER, "*"))):
        match = pattern.fullmatch(path)
        if not match or not Path(path).is_dir():
            continue
        folder = adapter_folder(path)
        if folder is None:
            logger.info("%s %s: %s holds no adapter; not a candidate", FLAG, template, path)
        else:
            found[match.group(1)] = folder
    return found


def own_folder(template, lang, found) -> Path | None:
    """lang's own adapter: the template's folder for its code (one that is not an adapter is an error), else one
    found under another code of the same language (deu_Latn for de)."""
    path = Path(template.replace(PLACEHOLDER, lang))
    if path.exists():
        folder = adapter_folder(path)
        if folder is None and (path / "run_config.json").is_file() and not is_done(path):
            raise ValueError(f"{FLAG} {template}: {path} is an MLM run that has not finished (no adapter yet): rerun "
                             f"it (it resumes), or remove the folder to evaluate {lang} with another language's "
                             f"adapter (--language_adapter_fallback)")
        if folder is None:
            raise ValueError(f"{FLAG} {template}: {path} is not a language adapter (no {ADAPTER_CONFIG} in it or in "
                             f"its encoder/; expected the output folder of run_intermediate.py --task mlm "
                             f"--mlm_corpus FILE --peft lora)")
        return folder
    return next((folder for code, folder in found.items() if languages.same_language(code, lang)), None)


def closest(lang, found) -> tuple[str, float] | None:
    """(language, transfer distance) of the adapter nearest to lang by URIEL (ties: English, then the code), or
    None where URIEL places none of them (or not lang)."""
    ranked = []
    for code in found:
        try:
            value = transfer_distance(lang, code)
        except ValueError as error:  # a code URIEL does not know
            logger.warning("%s: no URIEL distance between %s and %s (%s)", FLAG, lang, code, error)
            continue
        if value is not None:
            ranked.append((value, code != "en", code))
    return (min(ranked)[2], min(ranked)[0]) if ranked else None


def recorded_language(folder) -> str | None:
    """The --mlm_language its MLM run recorded (the run folder's run_config.json), or None."""
    for config in (Path(folder).parent / "run_config.json", Path(folder) / "run_config.json"):
        if config.is_file():
            return json.loads(config.read_text(encoding="utf-8")).get("arguments", {}).get("mlm_language")
    return None


def plan_adapters(template, evaluated, fallback, base, model_args) -> dict:
    """{"en" and each evaluated language: Choice}, from files alone (raises ValueError, one line): the template has
    {lang}; English has its adapter (the task adapter trains with it); a language's folder holds an adapter, one
    trained on that language's text (its run's --mlm_language, where recorded) and on the run's base model (base,
    and the architecture check of utils/peft_setup.py check_adapter_folder)."""
    if PLACEHOLDER not in template:
        raise ValueError(f"{FLAG} {template}: the template has no {PLACEHOLDER} (e.g. runs/lang/{PLACEHOLDER})")
    if fallback not in FALLBACKS:
        raise ValueError(f"--language_adapter_fallback {fallback}: expected {' or '.join(FALLBACKS)}")
    found = available(template)
    choices = {}
    for lang in dict.fromkeys(["en", *evaluated]):
        folder = own_folder(template, lang, found)
        if folder is not None:
            choices[lang] = Choice(lang, str(folder), 0.0)
        elif lang == "en":
            path = template.replace(PLACEHOLDER, "en")
            raise ValueError(f"{FLAG} {template}: no English adapter at {path} (the task adapter trains with it; "
                             f"train it: run_intermediate.py --task mlm --mlm_corpus EN_TEXT --mlm_language en "
                             f"--peft lora --output_dir {path})")
        elif fallback == "none":
            choices[lang] = Choice(None, None, None)
        else:
            nearest = closest(lang, found)
            if nearest is None:
                raise ValueError(f"{FLAG} {template}: no adapter for {lang}, and URIEL places neither it nor any of "
                                 f"{', '.join(found)} to choose the closest; train one, or pass "
                                 f"--language_adapter_fallback none")
            code, value = nearest
            choices[lang] = Choice(code, str(found[code]), value)
        logger.info("%s: %s: %s", FLAG, lang, describe(lang, choices[lang]))
    for lang, choice in choices.items():
        if choice.folder is not None:
            check_folder(choice, base, model_args, template)
    return choices


def describe(lang, choice) -> str:
    if choice.adapter is None:
        return "no language adapter (--language_adapter_fallback none)"
    if choice.adapter == lang:
        return f"its own adapter {choice.folder}"
    return f"the adapter of {choice.adapter}, the closest by URIEL (distance {choice.distance:.3f}), {choice.folder}"


def check_folder(choice, base, model_args, template):
    """An adapter trained on its language's text and on the run's base model."""
    recorded = recorded_language(choice.folder)
    if recorded and not languages.same_language(recorded, choice.adapter):
        raise ValueError(f"{FLAG} {template}: {choice.folder} was trained on {recorded} text (its run's "
                         f"--mlm_language), not {choice.adapter}")
    check_adapter_folder(choice.folder, model_args, flag=FLAG)
    theirs = adapter_base(choice.folder, flag=FLAG)[0]
    if theirs != base:
        raise ValueError(f"{FLAG} {template}: {choice.folder} was trained on base model {theirs}; this run's base "
                         f"model is {base}")


def check_resumed(choices, out, template):
    """An interrupted run resumes with the adapters it started with where it used them: English's (the task adapter
    trained with it) and each language already scored (its predictions file), as its run_config.json recorded them;
    a change there (an adapter trained or removed since) is a ValueError naming the language, then and now. A
    language not scored yet takes today's choice."""
    config = Path(out) / "run_config.json"
    recorded = json.loads(config.read_text(encoding="utf-8")).get("language_adapters") if config.is_file() else None
    for lang, was in (recorded or {}).items():
        now = choices.get(lang)
        if now is None or (was.get("adapter"), resolved(was.get("folder"))) == (now.adapter, resolved(now.folder)):
            continue
        if lang == "en":
            used = "the task adapter trained with the first"
        elif any((Path(out) / "predictions").glob(f"*/*-{lang}.jsonl")):
            used = f"its {lang} scores so far came from the first"
        else:
            continue
        before = Choice(was.get("adapter"), was.get("folder"), was.get("distance"))
        raise ValueError(f"{FLAG} {template}: {out} started {lang} with {describe(lang, before)}, and now it would "
                         f"take {describe(lang, now)}; {used}: rerun with --overwrite, or give another --output_dir")


def resolved(folder) -> str | None:
    return str(Path(folder).resolve()) if folder else None


def activate(model, choices, lang) -> list:
    """The task adapter and lang's language adapter (choices: plan_adapters's) active together in model's encoder,
    the language adapter loaded once and frozen (peft's set_adapter makes every active adapter trainable: the
    language adapters are frozen again); returns the active adapters' names."""
    peft_model = peft_model_of(model.base_model)
    choice, names = choices[lang], [TASK_ADAPTER]
    if choice.adapter is not None:
        names.append(adapter_name(choice.adapter))
        if names[-1] not in peft_model.peft_config:
            device = next(model.parameters()).device
            peft_model.load_adapter(choice.folder, adapter_name=names[-1], is_trainable=False, torch_device=str(device))
    peft_model.base_model.set_adapter(names)
    loaded = [name for name in peft_model.peft_config if name != TASK_ADAPTER]
    for name, parameter in model.named_parameters():
        if any(f".{adapter}." in name for adapter in loaded):
            parameter.requires_grad_(False)
    return list(peft_model.active_adapters)
