"""Gradient accumulation (utils/trainer.py Trainer): 2 micro-batches of 4 accumulated make the update one batch
of 8 makes (the task models' losses are batch means; transformers' Trainer would leave them unscaled)."""
import datasets
import pytest
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, DataCollatorWithPadding

from utils.trainer import Trainer
from utils.args import XTrainingArguments


def one_step(model_dir, tmp_path, batch, accumulation):
    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=3, hidden_dropout_prob=0.0,
                                                               attention_probs_dropout_prob=0.0)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    rows = [{"text": f"the cat {'runs ' * (i % 3)}sees a dog number {i}", "label": i % 3} for i in range(8)]
    features = datasets.Dataset.from_list(rows).map(lambda b: tokenizer(b["text"]), batched=True,
                                                    remove_columns=["text"])
    args = XTrainingArguments(output_dir=str(tmp_path / f"b{batch}"), use_cpu=True, max_steps=1, optim="sgd",
                              learning_rate=0.5, per_device_train_batch_size=batch,
                              gradient_accumulation_steps=accumulation, max_grad_norm=0.0, warmup_steps=0,
                              lr_scheduler_type="constant", train_sampling_strategy="sequential",
                              eval_strategy="no", save_strategy="no", load_best_model_at_end=False,
                              report_to="none", logging_steps=1, dataloader_num_workers=0)
    trainer = Trainer(model=model, args=args, train_dataset=features, data_collator=DataCollatorWithPadding(tokenizer))
    trainer.train()
    return {name: p.detach() - before[name] for name, p in model.named_parameters()}, \
        next(log["loss"] for log in trainer.state.log_history if "loss" in log)


def test_accumulated_micro_batches_make_the_large_batchs_update(tiny_model_dir, tmp_path):
    large, large_loss = one_step(tiny_model_dir, tmp_path, 8, 1)
    accumulated, accumulated_loss = one_step(tiny_model_dir, tmp_path, 4, 2)
    step = large["classifier.out_proj.weight"]
    assert step.abs().max() > 0
    assert torch.allclose(accumulated["classifier.out_proj.weight"], step, rtol=1e-3, atol=1e-6)
    assert accumulated_loss == pytest.approx(large_loss, rel=0.05)  # about ln 3, not twice it
