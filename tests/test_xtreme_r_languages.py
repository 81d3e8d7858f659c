"""The registry's XTREME and XTREME-R language sets and task groups against XTREME's own evaluate.py.

Reference data: google-research/xtreme, evaluate.py at commit 838c13b69daafb9328785d16caae2711e4012123
(XTREME_TASK2LANGS, XTREME_R_TASK2LANGS, XTREME_R_GROUP2TASK), written out here as data.
"""
import pytest

from tasks import TASKS, resolve_languages
from utils.languages import XTREME_LANGUAGES, XTREME_R_LANGUAGES, language

XTREME_TASK2LANGS = {  # evaluate.py XTREME_TASK2LANGS (its 'bucc2018' is our 'bucc')
    "pawsx": "de,en,es,fr,ja,ko,zh",
    "xnli": "ar,bg,de,el,en,es,fr,hi,ru,sw,th,tr,ur,vi,zh",
    "panx": "ar,he,vi,id,jv,ms,tl,eu,ml,ta,te,af,nl,en,de,el,bn,hi,mr,ur,fa,fr,it,pt,es,bg,ru,ja,ka,ko,th,sw,yo,my,"
            "zh,kk,tr,et,fi,hu",
    "udpos": "af,ar,bg,de,el,en,es,et,eu,fa,fi,fr,he,hi,hu,id,it,ja,kk,ko,mr,nl,pt,ru,ta,te,th,tl,tr,ur,vi,yo,zh",
    "bucc": "de,fr,ru,zh",
    "tatoeba": "ar,he,vi,id,jv,tl,eu,ml,ta,te,af,nl,de,el,bn,hi,mr,ur,fa,fr,it,pt,es,bg,ru,ja,ka,ko,th,sw,zh,kk,tr,et,"
               "fi,hu",
    "xquad": "en,es,de,el,ru,tr,ar,vi,th,zh,hi",
    "mlqa": "en,es,de,ar,hi,vi,zh",
    "tydiqa": "en,ar,bn,fi,id,ko,ru,sw,te",
}
XTREME_R_TASK2LANGS = {  # evaluate.py XTREME_R_TASK2LANGS; it lists no languages for LAReQA ('lareqa': [])
    "xnli": "ar,bg,de,el,en,es,fr,hi,ru,sw,th,tr,ur,vi,zh",
    "panx": "ar,he,vi,id,jv,ms,tl,eu,ml,ta,te,af,nl,en,de,el,bn,hi,mr,ur,fa,fr,it,pt,es,bg,ru,ja,ka,ko,th,sw,yo,my,"
            "zh,kk,tr,et,fi,hu,qu,pl,uk,az,lt,pa,gu,ro",
    "udpos": "af,ar,bg,de,el,en,es,et,eu,fa,fi,fr,he,hi,hu,id,it,ja,kk,ko,mr,nl,pt,ru,ta,te,th,tl,tr,ur,vi,yo,zh,lt,pl,"
             "uk,wo,ro",
    "tatoeba": "ar,he,vi,id,jv,tl,eu,ml,ta,te,af,nl,de,el,bn,hi,mr,ur,fa,fr,it,pt,es,bg,ru,ja,ka,ko,th,sw,zh,kk,tr,et,"
               "fi,hu,az,lt,pl,uk,ro",
    "xcopa": "et,ht,id,it,qu,sw,ta,th,tr,vi,zh",
    "lareqa": "",
    "mewslix": "ar,de,en,es,fa,ja,pl,ro,ta,tr,uk",
    "xquad": "en,es,de,el,ru,tr,ar,vi,th,zh,hi,ro",
    "mlqa": "en,es,de,ar,hi,vi,zh",
    "tydiqa": "en,ar,bn,fi,id,ko,ru,sw,te",
}
# evaluate.py XTREME_R_GROUP2TASK, with two differences the registry makes on purpose: XCOPA is counted once (under
# classification; evaluate.py also lists it as 'multi_choice'), and LAReQA is a retrieval task (the XTREME-R paper's
# grouping; evaluate.py has no LAReQA scorer).
XTREME_R_GROUPS = {"classification": {"xnli", "xcopa"}, "structured prediction": {"udpos", "panx"},
                   "question answering": {"xquad", "mlqa", "tydiqa"}, "retrieval": {"tatoeba", "mewslix", "lareqa"}}


def langs(text):
    return [lang for lang in text.split(",") if lang]


def members(benchmark):
    return {name for name, spec in TASKS.items() if benchmark in spec.benchmarks}


def test_reference_lists_are_complete():
    assert [len(langs(XTREME_R_TASK2LANGS[t])) for t in ("panx", "udpos", "tatoeba", "xquad", "xcopa", "mewslix")] \
        == [48, 38, 41, 12, 11, 11]
    assert sorted({lang for text in XTREME_TASK2LANGS.values() for lang in langs(text)}) == sorted(XTREME_LANGUAGES)
    assert sorted({lang for text in XTREME_R_TASK2LANGS.values() for lang in langs(text)}) == \
        sorted(XTREME_R_LANGUAGES)
    assert all(language(lang).alias == lang for lang in XTREME_R_LANGUAGES)  # each has its record


def test_benchmark_membership():
    assert members("xtreme") == set(XTREME_TASK2LANGS)
    assert members("xtreme_r") == set(XTREME_R_TASK2LANGS)


@pytest.mark.parametrize("task", sorted(XTREME_TASK2LANGS))
def test_default_languages_are_xtreme_s(task):
    assert sorted(resolve_languages(TASKS[task], None)) == sorted(langs(XTREME_TASK2LANGS[task]))


@pytest.mark.parametrize("task", sorted(XTREME_R_TASK2LANGS))
def test_xtreme_r_languages_are_xtreme_r_s(task):
    resolved = resolve_languages(TASKS[task], "xtreme_r")
    # LAReQA: evaluate.py lists none; XQuAD-R has XQuAD's 11 languages (XTREME's XQuAD list, without XTREME-R's ro)
    expected = langs(XTREME_R_TASK2LANGS[task] or XTREME_TASK2LANGS["xquad"])
    assert len(resolved) == len(set(resolved))
    assert sorted(resolved) == sorted(expected)
    for lang in expected:  # each one is accepted by --languages
        assert resolve_languages(TASKS[task], lang) == [lang]


def test_xtreme_r_drops_no_xtreme_language():
    """Why TaskSpec.xtreme_r_languages lists only what XTREME-R adds: it keeps every language of a shared task."""
    for task in set(XTREME_TASK2LANGS) & set(XTREME_R_TASK2LANGS):
        assert set(langs(XTREME_TASK2LANGS[task])) <= set(langs(XTREME_R_TASK2LANGS[task])), task


def test_tasks_outside_xtreme_r_keep_their_languages():
    assert resolve_languages(TASKS["pawsx"], "xtreme_r") == list(TASKS["pawsx"].languages)


def test_xtreme_r_groups():
    groups = {}
    for name in members("xtreme_r"):
        groups.setdefault(TASKS[name].category, set()).add(name)
    assert groups == XTREME_R_GROUPS
