"""The console's copy of the alert rule templates (web/src/pages/alerts/templates.json) is the contract's:
the same templates, kinds, parameters, defaults and bounds, so the rule form offers what the gateway takes."""

from __future__ import annotations

import json
from pathlib import Path

from quickon_common.contracts.monitor import TEMPLATES

CONSOLE = Path(__file__).resolve().parents[2] / "web" / "src" / "pages" / "alerts" / "templates.json"


def test_the_consoles_templates_are_the_contracts() -> None:
    console = json.loads(CONSOLE.read_text())
    assert sorted(console) == sorted(TEMPLATES)
    for name, (kind, params) in TEMPLATES.items():
        copied = console[name]
        assert copied["kind"] == kind, name
        assert sorted(copied["params"]) == sorted(params), name
        for param, declared in params.items():
            given = copied["params"][param]
            bounds = {"minimum": declared.minimum, "maximum": declared.maximum}
            expected = {"default": declared.default} | {k: v for k, v in bounds.items() if v is not None}
            assert given == expected, f"{name}.{param}: the console has {given}, the contract {expected}"
