"""`muselab models …`: one group for every model, shared by the domains that bring them.

The writing studio adds the language models it can use (bundled, your GGUF files, remote servers); the
training studio adds the models you trained (cards, samples, compression). Each attaches its commands to
`models_app` in its own register()."""

from __future__ import annotations

import typer

models_app = typer.Typer(help="Models: language models (bundled, your GGUF files, remote servers) and the models "
                              "you trained. 模型", no_args_is_help=True)
