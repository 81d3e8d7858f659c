"""The pipeline planner: a pipeline's stages (stages.py), the folder layout (layout.py), a sweep's jobs from a grid
or an experiment file (jobs.py, experiment.py), and the views: dry run and launch plans (cli.py), pre-flight
(preflight.py), cost estimate (cost.py) and status (jobs.status). run_pipeline.sh and scripts/sweep.sh are thin
launchers over it (python -m pipeline run|sweep)."""
