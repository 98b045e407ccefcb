"""Muse Desktop: local story writing with llama.cpp and the Muse sampler."""

__version__ = "0.1.0"
