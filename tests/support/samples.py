"""An instance of any contract with every field set, so round trips exercise all of them."""

from __future__ import annotations

import types
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from quickon_common.certificates import self_signed
from quickon_common.contracts import Event
from quickon_common.contracts.exposure import AccessSettings, Domain, WafSettings
from quickon_common.contracts.monitor import Matcher, RuleSpec

# Models whose fields depend on each other (a rule is a template or raw PromQL, not both): given whole.
WHOLE: dict[type[BaseModel], BaseModel] = {
    RuleSpec: RuleSpec(name="sample rule", expr="up == 0", for_s=1.5, keep_firing_for_s=2.5, severity="critical",
                       labels={"team": "ops"}, summary="{{ $labels.job }} is down", enabled=False),
    Matcher: Matcher(name="job", value="quickon-.*", is_regex=True, is_equal=False),
    Domain: Domain(host="git.example.com", primary=True, tls="uploaded", certificate=self_signed("git.example.com")[0]),
    WafSettings: WafSettings(mode="block", paranoia=2, exclusions=[942100]),
    AccessSettings: AccessSettings(allow=["10.0.0.0/8"], deny=["10.1.0.0/16"], basic_auth_users=["ops"]),
}  # fmt: skip


def sample_value(annotation: Any, name: str) -> Any:
    """A non-default value of ``annotation`` that names its field, for readable failures."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return sample_value(next(a for a in get_args(annotation) if a is not type(None)), name)
    if origin is Literal:
        return get_args(annotation)[-1]
    if origin is list:
        return [sample_value(get_args(annotation)[0], name)]
    if origin is dict:
        if get_args(annotation)[1:] == (str,):
            return {"host": f"{name}.example.com", "zone": "a"}
        return {"replicas": 2, "ingress": {"host": f"{name}.example.com"}}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in WHOLE:
            return WHOLE[annotation]
        return annotation(**{n: sample_value(f.annotation, n) for n, f in annotation.model_fields.items()})
    if annotation is bool:
        return True
    if annotation is int:
        return 2 if name == "replicas" else 42  # a component's replicas are 1..20
    if annotation is float:
        return 1.5
    if annotation is str:
        return f"{name}-value"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):  # a nested model: every field too
        return annotation(**{n: sample_value(f.annotation, n) for n, f in annotation.model_fields.items()})
    raise TypeError(f"no sample for {annotation!r} (field {name})")


def sample(contract: type[Event]) -> Event:
    """``contract`` with every field given."""
    return contract(**{name: sample_value(f.annotation, name) for name, f in contract.model_fields.items()})
