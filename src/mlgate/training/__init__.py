"""Training, below the commands: the head's training step (`command`: `dvc repro` or the user's
command, through mlgate's one process runner) and the base's training in a separate git
worktree, with its cache (`base`)."""
