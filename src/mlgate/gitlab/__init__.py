"""GitLab CI and the GitLab REST API (python-gitlab) behind `mlgate.hosts`."""

SETUP_HINT = (
    "create a project access token (Settings > Access tokens: role Developer, scope `api`) and "
    "add it as a masked CI/CD variable named MLGATE_GITLAB_TOKEN (CI_JOB_TOKEN cannot post "
    "merge-request notes)"
)
