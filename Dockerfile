# The action's image, built and pushed by the release (.github/workflows/release.yml) and run by
# action.yml as `docker://ghcr.io/mlgate/mlgate:vX.Y.Z`. All the heavy dependencies are in the
# dependency image (docker/deps.Dockerfile), published by the same workflow and tagged by a hash
# of docker/requirements.lock, so this build only installs mlgate: seconds.
ARG DEPS_IMAGE=ghcr.io/mlgate/mlgate-deps:lock-ab299727dc94
FROM ${DEPS_IMAGE}
COPY pyproject.toml README.md /opt/mlgate/src/
COPY src /opt/mlgate/src/src
COPY examples/demo-project /opt/mlgate/src/examples/demo-project
RUN pip install --no-cache-dir --no-deps --no-build-isolation /opt/mlgate/src \
    && rm -rf /opt/mlgate/src
# The training's requirements go into an environment of its own, made in the job under the
# workspace (actions/cache keeps it), not under mlgate's pins (src/mlgate/trainenv.py).
ENV MLGATE_TRAINING_VENV=.cache/mlgate/venv
# GitHub runs container actions as root with the workspace mounted at /github/workspace.
WORKDIR /github/workspace
ENTRYPOINT ["mlgate", "run"]
