"""The one list of the studio's domains: each names its tasks and the faces that reach them.

A domain is registered once, here (or by an installed package through the `muselab.domains` entry-point
group). The CLI, the HTTP API and the web studio read this list to find their commands, routers and
pages, so adding a domain never means editing a face's own code. Every face is optional: a domain
with only tasks is still reachable through `POST /v1/jobs` and `muselab jobs submit`.

Faces are given as "module:attribute" strings and imported only by the face that needs them, so this
module imports nothing of the studio (it sits on the ground floor, below everything that reads it).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

ENTRY_POINT_GROUP = "muselab.domains"


@dataclass(frozen=True)
class Domain:
    name: str  # "music": task names start with "music."
    tasks: str  # module whose TASKS lists the domain's TaskSpecs
    cli: str | None = None  # "module:function" that adds the domain's commands to the `muselab` Typer app
    api: str | None = None  # "module:router" with the domain's JSON routes (under /v1)
    web: str | None = None  # "module:router" with its page(s); the module's PAGE puts one in the navigation


DOMAINS: list[Domain] = [
    Domain("demo", tasks="muselab.demo", cli="muselab.cli.demo:register"),
    Domain("text", tasks="muselab.text", cli="muselab.cli.text:register",
           api="muselab.api.routers.text:router", web="muselab.web.text:router"),
    Domain("music", tasks="muselab.music", cli="muselab.cli.music:register",
           api="muselab.api.routers.music:router", web="muselab.web.music:router"),
    Domain("image", tasks="muselab.image", cli="muselab.cli.image:register",
           api="muselab.api.routers.image:router", web="muselab.web.image:router"),
    Domain("training", tasks="muselab.training", cli="muselab.cli.training:register",
           api="muselab.api.routers.training:router", web="muselab.web.training:router"),
    Domain("video", tasks="muselab.video", cli="muselab.cli.video:register",
           api="muselab.api.routers.video:router", web="muselab.web.video:router"),
    Domain("speech", tasks="muselab.speech"),
    Domain("storyboard", tasks="muselab.storyboard", cli="muselab.cli.storyboard:register",
           web="muselab.web.storyboard:router"),
]

_extra: list[Domain] = []
_changes = [0]  # bumped when the list changes, so readers that cache it (the task registry) read it again


def register_domain(domain: Domain) -> None:
    """Add a domain at run time (a plug-in being tried, a test's toy domain)."""
    _extra[:] = [d for d in _extra if d.name != domain.name] + [domain]
    _changes[0] += 1


def unregister_domain(name: str) -> None:
    _extra[:] = [d for d in _extra if d.name != name]
    _changes[0] += 1


def changes() -> int:
    return _changes[0]


def domains() -> list[Domain]:
    """The built-in domains, then those of installed plug-in packages, then any registered at run time."""
    found = list(DOMAINS)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found.append(entry.load())
    return found + _extra


def load(dotted: str) -> Any:
    """The object a "module:attribute" string names."""
    module_name, _, attribute = dotted.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module
