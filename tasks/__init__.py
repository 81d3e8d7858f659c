"""The one registry of tasks. Adding a task is adding one entry to TASKS; behaviour lives in its kind (tasks/kind.py:
the contract; tasks/kinds.py: one object per kind)."""
import difflib
from dataclasses import replace

from tasks.spec import Recipe, TaskSpec
from utils.data import unmapped_labels
from utils.languages import RECORDS, known as known_language, language

XNLI_LANGS = ("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh")
PAWSX_LANGS = ("de", "en", "es", "fr", "ja", "ko", "zh")
UDPOS_LANGS = ("af", "ar", "bg", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "hu", "id",
               "it", "ja", "kk", "ko", "mr", "nl", "pt", "ru", "ta", "te", "th", "tl", "tr", "ur", "vi", "yo", "zh")
UDPOS_XTREME_R = ("lt", "pl", "uk", "wo", "ro")  # XTREME-R's five (UD 2.7; XTREME's 33 stay on UD 2.5)
UDPOS_NAMES = {lang: language(lang).name for lang in UDPOS_LANGS + UDPOS_XTREME_R}  # the hub's udpos.<Name>
UPOS_TAGS = ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON", "PROPN",
             "PUNCT", "SCONJ", "SYM", "VERB", "X")
PANX_LANGS = ("af", "ar", "bg", "bn", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "hu",
              "id", "it", "ja", "jv", "ka", "kk", "ko", "ml", "mr", "ms", "my", "nl", "pt", "ru", "sw", "ta",
              "te", "th", "tl", "tr", "ur", "vi", "yo", "zh")
PANX_XTREME_R = ("qu", "pl", "uk", "az", "lt", "pa", "gu", "ro")  # XTREME-R's eight
NER_TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
XQUAD_LANGS = ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh")
MLQA_LANGS = ("ar", "de", "en", "es", "hi", "vi", "zh")
TYDIQA_LANGS = ("ar", "bn", "en", "fi", "id", "ko", "ru", "sw", "te")
TYDIQA_NAMES = {lang: language(lang).name.lower() for lang in TYDIQA_LANGS}  # the hub's id prefixes: arabic-...
BUCC_LANGS = ("de", "fr", "ru", "zh")
TATOEBA_LANGS = ("af", "ar", "bg", "bn", "de", "el", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "hu", "id",
                 "it", "ja", "jv", "ka", "kk", "ko", "ml", "mr", "nl", "pt", "ru", "sw", "ta", "te", "th", "tl",
                 "tr", "ur", "vi", "zh")  # XTREME's 36
TATOEBA_XTREME_R = ("az", "lt", "pl", "uk", "ro")  # XTREME-R's five (its run_tatoeba.sh)
TATOEBA_NAMES = {lang: language(lang).laser for lang in TATOEBA_LANGS + TATOEBA_XTREME_R}  # the hub's tatoeba.<code>
XCOPA_LANGS = ("et", "ht", "id", "it", "qu", "sw", "ta", "th", "tr", "vi", "zh")
LAREQA_LANGS = XQUAD_LANGS  # XQuAD-R: XQuAD's 11 languages (no ro)
MEWSLIX_LANGS = ("ar", "de", "en", "es", "fa", "ja", "pl", "ro", "ta", "tr", "uk")  # its WikiNews languages
# XTREME-R's dual encoders (scripts/train_lareqa.sh, train_mewslix.sh for xlm-roberta-large): LAReQA 3 epochs,
# 4 x 4 accumulation, lr 2e-5, query/answer 96/256 tokens; Mewsli-X 2 epochs, 8 x 4, lr 1e-5, 64 tokens.
LAREQA = {"max_seq_length": 256, "query_length": 96, "recipe": Recipe(epochs=3, batch_size=16, learning_rate=2e-5)}
MEWSLIX = {"max_seq_length": 64, "recipe": Recipe(epochs=2, batch_size=32, learning_rate=1e-5)}
NLI_LABELS = ("entailment", "neutral", "contradiction")
NLI_COLUMNS = {"text_a": "premise", "text_b": "hypothesis", "label": "label"}
COPA_CONTEXT = "{premise} What was the {question}?"  # XTREME-R's run_xcopa.py wording
# Training recipes of the paper's code (jiant scripts/benchmarks/xtreme/subscripts/d_write_configs.sh and
# e_run_models.sh): epochs per target; QA at an effective batch of 16; all others at Recipe()'s defaults.
QA_RECIPE = Recipe(epochs=2, batch_size=16)
QA = {"select_on": "avg", "max_seq_length": 384}   # QA checkpoints are selected on (EM + F1) / 2
PAPER = {"paper_intermediate": True}              # the paper's nine intermediate tasks
# ---- Beyond XTREME-R: massively multilingual targets (their benchmarks' own codes, resolved by utils/languages.py)
# SIB-200 (Adelani et al. 2024): FLORES-200's 204 varieties and N'Ko, English written "en" (the code every run
# reads its English training and dev sets by; eng_Latn resolves to it); labels in its release's labels.txt order.
SIB200_LANGS = ("en",) + tuple(sorted(record.flores for record in RECORDS if record.flores and
                                      record.flores != "eng_Latn")) + ("nqo_Nkoo",)
SIB200_LABELS = ("science/technology", "travel", "politics", "sports", "health", "entertainment", "geography")
SIB200_ROUTE = ("prepare_data.py --from_raw sib200_tsv --input data/annotated/<code>/{train,dev,test}.tsv --task "
                "sib200 --split <split> --lang <code> --out DIR, then --data_dir DIR")
# AmericasNLI (Ebrahimi et al. 2022): the codes of its release's files, {dev,test}/<code>.tsv; trained on MNLI as
# XNLI is (the same English training, so one MNLI-trained encoder serves both). Sizes counted in the release's files
# (../shared/data/americasnli: aym, quy); the other languages' sizes could not be verified here.
AMERICASNLI_LANGS = ("aym", "bzd", "cni", "gn", "hch", "nah", "oto", "quy", "shp", "tar")
AMERICASNLI_ROUTE = ("prepare_data.py --from_raw americasnli_tsv --input {dev,test}/<code>.tsv --task americasnli "
                     "--split <validation|test> --lang <code> --out DIR, then --data_dir DIR")
# MasakhaNER 2.0 (Adelani et al. 2022) and MasakhaPOS (Dione et al. 2023): the folders of their releases
# (masakhane-io/masakhane-ner MasakhaNER2.0/data/<code>/, masakhane-io/masakhane-pos data/<code>/), CoNLL-style
# `token TAG` files (prepare_data.py --from_raw conll). Licensed CC BY-NC: local files only. Trained on English PAN-X
# (NER: DATE, which PAN-X lacks, is evaluated as O, as the benchmark's papers do from an English source) and UD
# English (UPOS, the same 17 tags).
MASAKHANE_LANGS = ("bam", "bbj", "ewe", "fon", "hau", "ibo", "kin", "lug", "luo", "mos", "nya", "pcm", "sna", "swa",
                   "tsn", "twi", "wol", "xho", "yor", "zul")
MASAKHANER_TAGS = NER_TAGS + ("B-DATE", "I-DATE")
MASAKHANE_ROUTE = ("prepare_data.py --from_raw conll --input <release>/data/<code>/{{dev,test}}.txt --task {task} "
                   "--split <validation|test> --lang <code> --out DIR, then --data_dir DIR")
# Belebele (Bandarkar et al. 2024): 122 FLORES-200 varieties (facebook/belebele's configs; five romanised ones beyond
# FLORES-200), 900 questions each, test only; 4 choices, the right one's number 1-4. It is trained on an English
# multiple-choice set: belebele_train, local files the user provides (README "Beyond XTREME-R").
BELEBELE_LANGS = tuple("""acm_Arab afr_Latn als_Latn amh_Ethi apc_Arab arb_Arab arb_Latn ars_Arab ary_Arab arz_Arab
asm_Beng azj_Latn bam_Latn ben_Beng ben_Latn bod_Tibt bul_Cyrl cat_Latn ceb_Latn ces_Latn ckb_Arab dan_Latn deu_Latn
ell_Grek eng_Latn est_Latn eus_Latn fin_Latn fra_Latn fuv_Latn gaz_Latn grn_Latn guj_Gujr hat_Latn hau_Latn heb_Hebr
hin_Deva hin_Latn hrv_Latn hun_Latn hye_Armn ibo_Latn ilo_Latn ind_Latn isl_Latn ita_Latn jav_Latn jpn_Jpan kac_Latn
kan_Knda kat_Geor kaz_Cyrl kea_Latn khk_Cyrl khm_Khmr kin_Latn kir_Cyrl kor_Hang lao_Laoo lin_Latn lit_Latn lug_Latn
luo_Latn lvs_Latn mal_Mlym mar_Deva mkd_Cyrl mlt_Latn mri_Latn mya_Mymr nld_Latn nob_Latn npi_Deva npi_Latn nso_Latn
nya_Latn ory_Orya pan_Guru pbt_Arab pes_Arab plt_Latn pol_Latn por_Latn ron_Latn rus_Cyrl shn_Mymr sin_Latn sin_Sinh
slk_Latn slv_Latn sna_Latn snd_Arab som_Latn sot_Latn spa_Latn srp_Cyrl ssw_Latn sun_Latn swe_Latn swh_Latn tam_Taml
tel_Telu tgk_Cyrl tgl_Latn tha_Thai tir_Ethi tsn_Latn tso_Latn tur_Latn ukr_Cyrl urd_Arab urd_Latn uzn_Latn vie_Latn
war_Latn wol_Latn xho_Latn yor_Latn zho_Hans zho_Hant zsm_Latn zul_Latn""".split())
MC4 = ("1", "2", "3", "4")  # Belebele's correct_answer_num
BELEBELE_TRAIN_ROUTE = ("your English multiple-choice set as DIR/belebele_train/{train,validation}-en.jsonl "
                        "({id, context, choices, label: the right choice's index}; README \"Beyond XTREME-R\" gives "
                        "Belebele's recipe), or a registered English multiple-choice task's: prepare_data.py --tasks "
                        "<task> --out DIR, then copy DIR/<task>/{train,validation}-en.jsonl into DIR/belebele_train/")
# Benchmark membership and category (XTREME's four; XTREME-R drops PAWS-X and BUCC, adds XCOPA, Mewsli-X, LAReQA)
CLS, STRUCT, QA_CAT, RET = "classification", "structured prediction", "question answering", "retrieval"
BOTH, XTREME_ONLY = ("xtreme", "xtreme_r"), ("xtreme",)


_T = TaskSpec
TASKS = {spec.name: spec for spec in [
    # ---- English intermediate tasks (the paper's nine, plus SQuAD v2) ----
    _T("mnli", "classification", "accuracy", labels=NLI_LABELS, **PAPER, hub_path="nyu-mll/glue", hub_config="mnli",
       train_size=392_702,
       hub_splits={"validation": "validation_matched", "test": "validation_mismatched"}, hub_columns=NLI_COLUMNS,
       description="MultiNLI; dev = validation_matched (test = validation_mismatched: GLUE's test has no labels)"),
    _T("qqp", "classification", "accuracy", labels=("not_duplicate", "duplicate"), binary_f1=True, **PAPER,
       train_size=363_846,
       hub_path="nyu-mll/glue",
       hub_config="qqp", hub_splits={"test": "validation"},
       hub_columns={"text_a": "question1", "text_b": "question2", "label": "label"},
       description="Quora Question Pairs; reports accuracy and F1"),
    _T("anli", "classification", "accuracy", labels=NLI_LABELS, hub_path="facebook/anli", **PAPER,
       train_size=16_946 + 45_460 + 100_459,
       hub_splits={"train": ("train_r1", "train_r2", "train_r3"), "validation": ("dev_r1", "dev_r2", "dev_r3"),
                   "test": ("test_r1", "test_r2", "test_r3")}, hub_columns=NLI_COLUMNS,
       description="Adversarial NLI, rounds 1-3 together"),
    _T("ccg", "tagging", "accuracy", hub_path=None, **PAPER,
       description="CCGbank supertagging (licensed: local files only); labels from the training data; word accuracy"),
    _T("commonsenseqa", "multiple_choice", "accuracy", labels=("A", "B", "C", "D", "E"), **PAPER, train_size=9_741,
       hub_path="tau/commonsense_qa", hub_splits={"test": "validation"},
       hub_columns={"context": ["question"], "choices": "choices.text", "label": "answerKey"}),
    _T("cosmosqa", "multiple_choice", "accuracy", hub_path="allenai/cosmos_qa", hub_splits={"test": "validation"},
       **PAPER, train_size=25_262,
       hub_columns={"context": ["context", "question"], "choices": ["answer0", "answer1", "answer2", "answer3"],
                    "label": "label"}, max_seq_length=256),
    _T("hellaswag", "multiple_choice", "accuracy", hub_path="Rowan/hellaswag", hub_splits={"test": "validation"},
       **PAPER, train_size=39_905,
       hub_columns={"context": ["ctx_a"], "choice_prefix": "ctx_b", "choices": "endings", "label": "label"}),
    _T("socialiqa", "multiple_choice", "accuracy", labels=("1", "2", "3"), hub_path="allenai/social_i_qa",
       **PAPER, train_size=33_410,
       hub_splits={"test": "validation"},
       hub_columns={"context": ["context", "question"], "choices": ["answerA", "answerB", "answerC"],
                    "label": "label"}),
    _T("squad", "span_qa", "f1", hub_path="rajpurkar/squad", hub_splits={"test": "validation"}, recipe=QA_RECIPE,
       train_size=87_599,
       **QA, **PAPER, description="SQuAD v1.1"),
    _T("squad_v2", "span_qa", "f1", hub_path="rajpurkar/squad_v2", hub_splits={"test": "validation"},
       train_size=130_319,
       recipe=QA_RECIPE, **QA, no_answer=True, description="SQuAD v2.0 (unanswerable questions)"),
    _T("copa", "multiple_choice", "accuracy", hub_path="aps/super_glue", hub_config="copa", train_size=400,
       hub_splits={"test": "validation"},
       hub_columns={"context": COPA_CONTEXT, "choices": ["choice1", "choice2"], "label": "label"},
       description="English COPA: XCOPA's training set. XTREME-R trains on SocialIQA first, then on COPA "
       "(train_xcopa.sh): run_intermediate.py --task socialiqa, then run_target.py --task xcopa from its encoder"),
    # ---- XTREME targets: trained on English, evaluated zero-shot ----
    _T("xnli", "classification", "accuracy", languages=XNLI_LANGS, train_task="mnli", labels=NLI_LABELS,
       recipe=Recipe(epochs=2), category=CLS, benchmarks=BOTH,
       hub_path="google/xtreme", hub_config="XNLI", hub_filter=("language", "{lang}"),
       hub_columns={"text_a": "sentence1", "text_b": "sentence2", "label": "gold_label"}),
    _T("pawsx", "classification", "accuracy", languages=PAWSX_LANGS, train_task="pawsx", labels=("0", "1"),
       recipe=Recipe(epochs=5), binary_f1=True, category=CLS, benchmarks=XTREME_ONLY, train_size=49_401,
       hub_path="google/xtreme", hub_config="PAWS-X.{lang}",
       hub_columns={"text_a": "sentence1", "text_b": "sentence2", "label": "label"}),
    _T("udpos", "tagging", "f1", languages=UDPOS_LANGS, xtreme_r_languages=UDPOS_XTREME_R,
       hub_missing=UDPOS_XTREME_R, train_task="udpos", labels=UPOS_TAGS, hub_path="google/xtreme",
       hub_config="udpos.{lang}", recipe=Recipe(epochs=10), category=STRUCT, benchmarks=BOTH, train_size=21_253,
       hub_lang_names=UDPOS_NAMES, hub_columns={"tokens": "tokens", "tags": "pos_tags"}),
    _T("panx", "tagging", "f1", languages=PANX_LANGS, xtreme_r_languages=PANX_XTREME_R, hub_missing=PANX_XTREME_R,
       train_task="panx", labels=NER_TAGS, recipe=Recipe(epochs=10), category=STRUCT, benchmarks=BOTH,
       train_size=20_000,
       hub_path="google/xtreme", hub_config="PAN-X.{lang}", hub_columns={"tokens": "tokens", "tags": "ner_tags"}),
    _T("xquad", "span_qa", "f1", languages=XQUAD_LANGS, xtreme_r_languages=("ro",), hub_missing=("ro",),
       train_task="squad", hub_path="google/xtreme", hub_config="XQuAD.{lang}", hub_splits={"test": "validation"},
       recipe=QA_RECIPE, **QA, category=QA_CAT, benchmarks=BOTH,
       description="XQuAD (hub: validation only); google/xtreme has no XQuAD.ro: for XTREME-R's ro, convert "
                   "xquad.ro.json with prepare_data.py --from_raw squad_json and use --data_dir"),
    _T("mlqa", "span_qa", "f1", languages=MLQA_LANGS, train_task="squad", hub_path="google/xtreme",
       hub_config="MLQA.{lang}.{lang}", recipe=QA_RECIPE, **QA, qa_normalization="mlqa", category=QA_CAT,
       benchmarks=BOTH),
    _T("tydiqa", "span_qa", "f1", languages=TYDIQA_LANGS, train_task="tydiqa", hub_path="google/xtreme",
       hub_config="tydiqa", hub_splits={"test": "validation"}, hub_lang_names=TYDIQA_NAMES,
       hub_filter=("id", "{lang}"), recipe=QA_RECIPE, **QA, category=QA_CAT, benchmarks=BOTH, train_size=3_696,
       description="TyDiQA-GoldP; language = the id's prefix"),
    _T("bucc", "bitext_mining", "f1", languages=BUCC_LANGS, hub_path="google/xtreme", hub_config="bucc18.{lang}",
       open_languages=True, category=RET, benchmarks=XTREME_ONLY, xtreme_name="bucc2018",
       hub_splits={"validation": "validation", "test": "test"}, max_seq_length=512,
       hub_columns={"source": "source_sentence", "target": "target_sentence", "source_id": "source_lang",
                    "target_id": "target_lang"},  # the hub's bucc18 configs hold only the gold pairs
       description="BUCC 2018 mining; validation = BUCC 'sample', test = BUCC 'training' (XTREME's split)"),
    _T("tatoeba", "bitext_search", "accuracy", languages=TATOEBA_LANGS, xtreme_r_languages=TATOEBA_XTREME_R,
       hub_missing=TATOEBA_XTREME_R, open_languages=True, category=RET, benchmarks=BOTH,
       hub_columns={"source": "source_sentence", "target": "target_sentence"}, hub_path="google/xtreme",
       hub_config="tatoeba.{lang}", hub_lang_names=TATOEBA_NAMES, hub_splits={"test": "validation"},
       max_seq_length=512),
    _T("xcopa", "multiple_choice", "accuracy", languages=XCOPA_LANGS, train_task="copa", category=CLS,
       benchmarks=("xtreme_r",),
       hub_path="cambridgeltl/xcopa", hub_config="{lang}",
       hub_columns={"context": COPA_CONTEXT, "choices": ["choice1", "choice2"], "label": "label"}),
    # ---- Beyond XTREME-R (README "Beyond XTREME-R"): not part of either benchmark's score ----
    _T("sib200", "classification", "accuracy", languages=SIB200_LANGS, train_task="sib200", labels=SIB200_LABELS,
       macro_f1=True, category=CLS, train_size=701, hub_path="Davlan/sib200", hub_config="{lang}",
       hub_lang_names={"en": "eng_Latn"}, hub_columns={"text_a": "text", "label": "category"},
       description="SIB-200 topic classification (7 labels, 205 varieties, the same sentences in each): trained on "
                   "English train, selected on English dev, evaluated on every variety; accuracy and macro F1"),
    _T("americasnli", "classification", "accuracy", languages=AMERICASNLI_LANGS, train_task="mnli",
       labels=NLI_LABELS, recipe=Recipe(epochs=2), category=CLS,  # XNLI's recipe: the same MNLI training
       hub_path="nala-cub/americas_nli", hub_config="{lang}", hub_columns=NLI_COLUMNS,
       description="AmericasNLI: XNLI's premises and hypotheses translated into 10 indigenous languages of the "
                   "Americas; dev and test per language, trained on English MNLI"),
    _T("masakhaner", "tagging", "f1", languages=MASAKHANE_LANGS, train_task="panx", labels=MASAKHANER_TAGS,
       label_map={"DATE": "O"}, recipe=Recipe(epochs=10), category=STRUCT, hub_path=None,  # PAN-X's recipe
       official_route=MASAKHANE_ROUTE.format(task="masakhaner"),
       description="MasakhaNER 2.0: NER in 20 African languages (PER, ORG, LOC, DATE), trained on English PAN-X; "
                   "DATE evaluated as O. CC BY-NC: local files only"),
    _T("masakhapos", "tagging", "accuracy", languages=MASAKHANE_LANGS, train_task="udpos", labels=UPOS_TAGS,
       recipe=Recipe(epochs=10), category=STRUCT, hub_path=None,  # UD-POS's recipe
       official_route=MASAKHANE_ROUTE.format(task="masakhapos"),
       description="MasakhaPOS: UPOS tagging in 20 African languages, trained on English UD; word accuracy (its "
                   "papers' metric). CC BY-NC: local files only"),
    _T("belebele_train", "multiple_choice", "accuracy", labels=MC4, hub_path=None, max_seq_length=512,
       official_route=BELEBELE_TRAIN_ROUTE,
       description="Belebele's English training set: no public one (the benchmark's is assembled from several "
                   "sources, most non-commercial); local files you provide, or a registered English multiple-choice "
                   "task's rows copied under this name"),
    _T("belebele", "multiple_choice", "accuracy", languages=BELEBELE_LANGS, train_task="belebele_train", labels=MC4,
       category=QA_CAT, hub_path="facebook/belebele", hub_config="{lang}", max_seq_length=512,
       hub_lang_splits={lang: ("test",) for lang in BELEBELE_LANGS},  # every config: a test split only
       hub_columns={"context": ["flores_passage", "question"], "choices": [f"mc_answer{n}" for n in MC4],
                    "label": "correct_answer_num"},
       description="Belebele: multiple-choice reading comprehension on FLORES passages, 122 varieties, test only; "
                   "trained on belebele_train (an English multiple-choice set you provide)"),
    # ---- XTREME-R's language-agnostic retrieval: dual encoders trained on English pairs (tasks/dual_encoder.py)
    _T("squad_retrieval", "dual_encoder", "map@20", data_task="squad", hub_path="rajpurkar/squad", train_size=87_599,
       hub_splits={"test": "validation"}, **LAREQA,
       description="SQuAD v1.1 as question -> answer sentence (+ its paragraph) pairs, LAReQA's training set; "
                   "reads squad's rows (DIR/squad/)"),
    _T("lareqa", "dual_encoder", "map@20", languages=LAREQA_LANGS, train_task="squad_retrieval", category=RET,
       benchmarks=("xtreme_r",), hub_path="google-research-datasets/xquad_r", hub_config="{lang}",
       hub_splits={"test": "validation"}, **LAREQA,
       description="LAReQA on XQuAD-R: each question retrieves its answer sentence from the sentences of all 11 "
                   "languages (every translation is relevant). The hub copy has no sentence breaks (they are "
                   "split here); prepare_data.py --from_raw xquad_r converts the original xquad-r/ files"),
    _T("mewslix_wikipedia", "dual_encoder", "map@20", hub_path=None, **MEWSLIX,
       description="Mewsli-X's English Wikipedia mention -> entity description pairs (wikipedia_pairs-{train,dev}"
                   ".jsonl; prepare_data.py --from_raw mewslix)"),
    _T("mewslix", "dual_encoder", "map@20", languages=MEWSLIX_LANGS, train_task="mewslix_wikipedia", category=RET,
       benchmarks=("xtreme_r",), hub_path=None, **MEWSLIX,
       description="Mewsli-X: each WikiNews mention retrieves its entity among ~1M candidate descriptions (one "
                   "gold entity: mAP@20 = MRR@20). Local files only: get-mewsli-x.sh rebuilds the release (the "
                   "text comes from WikiNews dumps), prepare_data.py --from_raw mewslix converts it"),
]}

# ---- The data as published: the hub's splits where they differ, the official sizes, how hub copies differ ----
# Official sizes, by our split name (the set that split reads; hub_splits maps test to validation for the
# intermediate tasks and XQuAD, so both hold the dev set's size). Sources: XTREME (Hu et al. 2020) Table 1 (XNLI
# dev 2,490 / test 5,010 per language; PAWS-X train 49,401, dev and test 2,000 per language; POS English train
# 21,253, dev 3,974; NER English train 20,000, dev 10,000; XQuAD 1,190 per language; TyDiQA-GoldP English train
# 3,696); MLQA (Lewis et al. 2020) and its MLQA_V1 release (facebook/mlqa's card: translate-test = test sizes,
# dev + test per language); XCOPA (Ponti et al. 2020: dev 100, test 500 per language); COPA (Roemmele et al. 2011:
# 400 / 100 / 500); the intermediate tasks' own releases, which the hub ids are (their authors' organisations:
# GLUE, facebook/anli, rajpurkar/squad*, tau, allenai, Rowan). Hub copies: ../shared/hub/schemas.json (splits per
# config; PAWS-X's rows lost to the loading script's CSV quoting; udpos's treebanks gathered by folder name, and
# Greek-GDT's 1,662 training sentences, XTREME's only Greek treebank).
# Per-language UD-POS, PAN-X, TyDiQA, BUCC and Tatoeba test sizes could not be verified: unknown (None).
MLQA_SIZES = {"validation": {"ar": 517, "de": 512, "en": 1_148, "es": 500, "hi": 507, "vi": 511, "zh": 504},
              "test": {"ar": 5_335, "de": 4_517, "en": 11_590, "es": 5_253, "hi": 4_918, "vi": 5_495, "zh": 5_137}}
UDPOS_ROUTE = ("prepare_data.py --from_raw conllu --input <XTREME's UD 2.5 treebank of the language>.conllu --task "
               "udpos --split <split> --lang <lang> --out DIR, then --data_dir DIR")
QA_ROUTE = ("prepare_data.py --from_raw squad_json --input <the original SQuAD-format file> --task {task} --split "
            "<split> --lang <lang> --out DIR, then --data_dir DIR")


def _sizes(train=None, validation=None, test=None) -> dict:
    return {"official_sizes": {split: n for split, n in
                               (("train", train), ("validation", validation), ("test", test)) if n is not None}}


HUB_DATA = {
    "mnli": _sizes(392_702, 9_815, 9_832), "qqp": _sizes(363_846, 40_430, 40_430),
    "anli": _sizes(16_946 + 45_460 + 100_459, 1_000 + 1_000 + 1_200, 1_000 + 1_000 + 1_200),
    "commonsenseqa": _sizes(9_741, 1_221, 1_221), "cosmosqa": _sizes(25_262, 2_985, 2_985),
    "hellaswag": _sizes(39_905, 10_042, 10_042), "socialiqa": _sizes(33_410, 1_954, 1_954),
    "squad": {**_sizes(87_599, 10_570, 10_570), "official_route": QA_ROUTE.format(task="squad")},
    "squad_retrieval": {**_sizes(87_599, 10_570, 10_570), "official_route": QA_ROUTE.format(task="squad")},
    "squad_v2": {**_sizes(130_319, 11_873, 11_873), "official_route": QA_ROUTE.format(task="squad_v2")},
    "sib200": {**_sizes(701, 99, 204), "official_route": SIB200_ROUTE},  # every variety (SIB-200's Table 1)
    "americasnli": {**_sizes(None, {"aym": 743, "quy": 743}, {"aym": 750, "quy": 750}),
                    "official_route": AMERICASNLI_ROUTE},
    "belebele": _sizes(None, None, 900),
    "copa": _sizes(400, 100, 100), "xcopa": _sizes(None, 100, 500), "xnli": _sizes(None, 2_490, 5_010),
    "pawsx": {**_sizes({"en": 49_401}, 2_000, 2_000),
              "hub_size_note": "google/xtreme's loading script parsed the TSVs with CSV quoting and dropped the rows "
                               "that did not come out as 4 fields",
              "official_route": "prepare_data.py --from_raw pawsx_tsv --input <PAWS-X>/<lang>/{train,dev_2k,test_2k}"
                                ".tsv --task pawsx --split <split> --lang <lang> --out DIR, then --data_dir DIR"},
    "udpos": {**_sizes({"en": 21_253, "el": 1_662}, {"en": 3_974}),  # el: Greek-GDT, XTREME's only Greek treebank
              "hub_lang_splits": {"kk": ("train", "test"), "tl": ("test",), "th": ("test",), "yo": ("test",)},
              "hub_differs": {
                  "*": "google/xtreme's udpos.<Language> gathers every UD 2.5 treebank whose folder name holds the "
                       "language (historical ones too) and keeps syntactic words; XTREME's files keep the language's "
                       "own treebanks with fused word forms",
                  "el": "udpos.Greek includes Ancient Greek (Perseus, PROIEL): train 28,152 sentences, 1,662 of "
                        "them Modern Greek (GDT)",
                  "fr": "udpos.French includes Old French (SRCMF)", "ru": "udpos.Russian includes Old Russian",
                  "zh": "udpos.Chinese includes Classical Chinese (Kyoto)",
                  "de": "udpos.German includes Swiss German (UZH, test)"},
              "official_route": UDPOS_ROUTE},
    "panx": _sizes({"en": 20_000}, {"en": 10_000}),
    "xquad": {**_sizes(None, 1_190, 1_190), "official_route": QA_ROUTE.format(task="xquad")},
    "mlqa": {**_sizes(None, MLQA_SIZES["validation"], MLQA_SIZES["test"]),
             "official_route": QA_ROUTE.format(task="mlqa")},
    "tydiqa": {**_sizes({"en": 3_696}), "official_route": QA_ROUTE.format(task="tydiqa")},
    "lareqa": _sizes(None, 1_190, 1_190),
    "bucc": {"hub_differs": {"*": "google/xtreme's bucc18 configs hold only the gold pairs, without BUCC 2018's "
                                  "non-parallel sentences: mining them is far easier and the F1 is not comparable"},
             "official_route": "prepare_data.py --from_raw bucc --input <lang>-en.{sample,training} --task bucc "
                               "--split <split> --lang <lang> --out DIR, then --data_dir DIR"},
}
TASKS = {name: replace(spec, **HUB_DATA.get(name, {})) for name, spec in TASKS.items()}

def label_map_problem(spec, train_spec) -> str | None:
    """Why a target's label map (TaskSpec.label_map) does not take each of its labels onto one of its training
    task's, or None where it does (or the target has no map)."""
    if not spec.label_map:
        return None
    if spec.labels is None or train_spec.labels is None:
        return f"task {spec.name}: a label map needs the labels of the task and of its training task {train_spec.name}"
    unmapped = unmapped_labels(spec.labels, spec.label_map, train_spec.labels)
    if unmapped:
        return (f"task {spec.name}: its label map leaves {', '.join(unmapped)} unmapped (each label must be one of its "
                f"training task {train_spec.name}'s, {', '.join(train_spec.labels)}, or mapped onto one)")
    return None


for _spec in TASKS.values():  # the registry's label maps are total (a mistake fails at import, naming the task)
    if _spec.label_map and (_problem := label_map_problem(_spec, TASKS[_spec.train_task])):
        raise ValueError(_problem)

INTERMEDIATE_TASKS = tuple(sorted(name for name, spec in TASKS.items() if spec.paper_intermediate))


def get_task(name: str) -> TaskSpec:
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; known tasks: {', '.join(sorted(TASKS))}") from None


def resolve_languages(spec: TaskSpec, languages: str | None) -> list[str]:
    """`--languages`: None = the task's XTREME languages (`spec.languages`); 'xtreme_r' = XTREME-R's set, those plus
    `spec.xtreme_r_languages` (XTREME-R drops no language of a task it shares with XTREME; a task outside XTREME-R
    keeps its own); else a comma list of the two, each named by the task's own code or by any code the language
    registry resolves to the same record (deu_Latn or deu for XNLI's de), and returned as the task's code."""
    if not languages:
        return list(spec.languages)
    known = list(spec.languages) + [lang for lang in spec.xtreme_r_languages if lang not in spec.languages]
    if languages == "xtreme_r":
        return known
    wanted = [lang.strip() for lang in languages.split(",") if lang.strip()]
    codes = {lang: task_code(lang, known) for lang in wanted}
    unknown = [lang for lang, code in codes.items() if code is None and not spec.open_languages]
    if unknown and len(known) > MANY_LANGUAGES:  # SIB-200's 205: the closest codes, not the whole list
        unregistered = [lang for lang in unknown if not known_language(lang) and "_" in lang]
        if unregistered:  # a FLORES-style code outside the registry: the registry's closest codes
            try:
                language(unregistered[0])
            except ValueError as error:
                raise ValueError(f"--languages: {error}") from None
        raise ValueError(f"--languages: {', '.join(unknown)} not a language of task {spec.name!r} ("
                         + "; ".join(f"closest of its {len(known)}: {', '.join(closest_codes(lang, known))}"
                                     for lang in unknown) + ")")
    if unknown:
        raise ValueError(f"--languages: {', '.join(unknown)} not a language of task {spec.name!r} "
                         f"(known: {', '.join(sorted(known))})")
    return [codes[lang] or lang for lang in wanted]


MANY_LANGUAGES = 60  # a task with more languages names the closest codes it has, not all of them


def closest_codes(lang: str, codes, n=4) -> list[str]:
    """A task's codes closest to `lang`: those of the same ISO 639-3 code first (zho_Hans for zho_Hant), then the
    most similar spellings."""
    iso = language(lang).iso639_3 if known_language(lang) else lang.split("_")[0]
    same = [code for code in codes if known_language(code) and language(code).iso639_3 == iso]
    similar = difflib.get_close_matches(lang, [code for code in codes if code not in same], n=n, cutoff=0.0)
    return (same + similar)[:n]


def task_code(lang: str, codes) -> str | None:
    """Which of a task's language codes names the same language as `lang` (itself when it is one), or None."""
    if lang in codes:
        return lang
    if not known_language(lang):
        return None
    key = language(lang).key
    return next((code for code in codes if known_language(code) and language(code).key == key), None)
