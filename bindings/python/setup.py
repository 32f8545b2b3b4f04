"""Thin setup.py: only for the cffi_modules key (see pyproject.toml)."""

from setuptools import setup

setup(cffi_modules=["ffi_build.py:ffi"])
