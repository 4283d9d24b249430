# The dependency image: Python, git and mlgate's locked dependencies in /opt/venv.
# Published by .github/workflows/release.yml, tagged by a hash of docker/requirements.lock,
# so building the action's own Dockerfile only adds mlgate: seconds.
ARG PYTHON_IMAGE=docker.io/library/python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
COPY docker/requirements.lock /tmp/requirements.lock
# Test suites shipped inside wheels (pandas, scipy, numpy, scikit-learn, matplotlib) are ~100 MB
# that nothing imports at run time.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-deps -r /tmp/requirements.lock \
    && find /opt/venv/lib -depth -type d -name tests -path '*/site-packages/*' -exec rm -rf {} +

FROM ${PYTHON_IMAGE}
# git reads the base branch; it is the only system package mlgate needs.
# hadolint ignore=DL3008
RUN if ! command -v git >/dev/null; then \
        apt-get update && apt-get install -y --no-install-recommends git ca-certificates \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && git config --system --add safe.directory '*'
COPY --from=build /opt/venv /opt/venv
COPY docker/requirements.lock /opt/mlgate/constraints.txt
ENV PATH=/opt/venv/bin:$PATH \
    VIRTUAL_ENV=/opt/venv \
    MLGATE_CONSTRAINTS=/opt/mlgate/constraints.txt \
    DVC_NO_ANALYTICS=1 \
    MPLBACKEND=Agg \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
