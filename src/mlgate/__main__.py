"""`python -m mlgate`: how the in-job action runs mlgate with the job's own interpreter."""

from mlgate.cli import entry

if __name__ == "__main__":
    entry()
