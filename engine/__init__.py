"""The engine: what a run reads (plan.py), checked before it starts (preflight.py), and the runs themselves
(runner.py: one task; multitask.py: several tasks sharing an encoder; retrieval.py: encoding without training),
with the training set they read (training_set.py). It uses the task registry and the kinds (tasks/); tasks/ never
imports the engine."""
