"""Muselab: a local-first generative studio for the cultural and creative industries."""

__version__ = "0.1.0"
