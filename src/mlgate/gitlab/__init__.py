"""GitLab CI and the GitLab REST API (python-gitlab) behind `mlgate.hosts`."""
