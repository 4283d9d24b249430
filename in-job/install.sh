#!/usr/bin/env bash
# The in-job action's first step: install mlgate into the job's own Python (the one
# actions/setup-python, an activated virtual environment or the runner put first on PATH), so
# the training, the base's training and DVC run with the job's packages, caches and GPU.
#   MLGATE_VERSION  the version this action installs (set in in-job/action.yml, checked against
#                   the release tag by scripts/check_release.py)
#   MLGATE_PYTHON   another interpreter to use (default: python, else python3, on PATH)
#   MLGATE_INSTALL  another pip requirement for mlgate (a wheel, `mlgate[s3]==X`, a checkout)
# Writes `python=<path>` to GITHUB_OUTPUT. Exit 2 on a Python mlgate does not support.
set -euo pipefail

SUPPORTED="3.11, 3.12 and 3.13"  # pyproject.toml's requires-python and classifiers
fail() {
  echo "::error title=mlgate::$1"
  exit 2
}

py="${MLGATE_PYTHON:-}"
if [ -z "$py" ]; then
  py="$(command -v python || command -v python3 || true)"
  [ -n "$py" ] || fail "no python on PATH: add actions/setup-python (Python $SUPPORTED) before mlgate"
fi
version="$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" \
  || fail "$py is not a working Python interpreter (MLGATE_PYTHON or PATH); mlgate supports Python $SUPPORTED"
minor="${version#3.}"
if [ "${version%%.*}" != 3 ] || [ "$minor" -lt 11 ]; then
  fail "this job's Python is $version ($py); mlgate supports Python $SUPPORTED: add actions/setup-python with python-version: \"3.12\" before mlgate, or set MLGATE_PYTHON to such an interpreter"
fi

spec="${MLGATE_INSTALL:-mlgate==${MLGATE_VERSION:?in-job/action.yml sets MLGATE_VERSION}}"
echo "::group::Installing $spec into $py (Python $version)"
log="$(mktemp)"
if ! "$py" -m pip install --disable-pip-version-check "$spec" 2>&1 | tee "$log"; then
  echo "::endgroup::"
  if grep -q externally-managed-environment "$log"; then
    fail "$py belongs to the system (PEP 668): run mlgate in a virtual environment (activate it in an earlier step) or after actions/setup-python"
  fi
  fail "pip could not install $spec into $py: $(grep '^ERROR' "$log" | tail -n 1)"
fi
echo "::endgroup::"
"$py" -m mlgate --version
echo "python=$py" >> "${GITHUB_OUTPUT:-/dev/null}"
