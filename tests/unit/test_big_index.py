"""The market tests' big index.yaml is written from a template (PyYAML's representer took seconds): it must be,
byte for byte, what yaml.dump makes of the same document."""

from __future__ import annotations

import yaml

from support.charts import big_index, big_index_document


def test_the_written_big_index_is_what_yaml_dump_makes() -> None:
    changed = frozenset({(0, 0), (7, 3), (51, 11)})
    for apps, versions, moved in ((3, 1, frozenset[tuple[int, int]]()), (60, 12, changed)):
        expected = yaml.dump(big_index_document(apps, versions, changed=moved), Dumper=yaml.CSafeDumper).encode()
        assert big_index(apps, versions, changed=moved) == expected
