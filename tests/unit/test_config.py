import pytest

from mlgate.config import load_config
from mlgate.errors import ConfigError

GOOD = """
base: main
gates:
  - metric: acc
    direction: higher
    max_drop: 0.01
    max_drop_pct: 1.0
    min: 0.80
    on_missing: fail
  - metric: loss
    direction: lower
    max: 0.5
"""


def test_the_documented_schema_parses() -> None:
    config = load_config(GOOD, ".mlgate.yml")
    assert config.base == "main"
    assert [g.metric for g in config.gates] == ["acc", "loss"]
    assert config.gates[0].max_drop == 0.01
    assert config.gates[1].bound == 0.5


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("gates:\n  - metric: acc\n    max_dorp: 1\n", "gates[0]: unknown key 'max_dorp'"),
        ("gaets: []\n", "top level: unknown key 'gaets'"),
        ("gates:\n  - metric: acc\n    direction: up\n", "expected one of higher, lower"),
        ("gates:\n  - metric: acc\n    max_drop: -1\n", "expected a number >= 0"),
        ("gates:\n  - metric: acc\n    max_drop: lots\n", "expected a number, got 'lots'"),
        ("gates:\n  - metric: acc\n    max: 1\n", "`max:` goes with `direction: lower`"),
        ("gates:\n  - direction: higher\n", "gates[0].metric: required"),
        ("gates: acc\n", "gates: expected a list"),
        ("- a\n", "top level: expected a mapping"),
        ("gates: [\n", "invalid YAML"),
    ],
)
def test_bad_config_names_file_and_problem(text: str, needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(text, "ci/.mlgate.yml")
    message = str(info.value)
    assert message.startswith("ci/.mlgate.yml")
    assert needle in message
    assert "\n" not in message


def test_missing_file_gives_defaults() -> None:
    config = load_config(None, ".mlgate.yml")
    assert config.gates == ()
    assert not config.present
