"""The optional C loop of the text function (shujian.text._native); everything else is in pyproject.toml.

``optional=True``: without a C compiler the build goes on without it and the pure-Python code runs
(shujian.text.native explains the choice).
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("shujian.text._native", ["src/shujian/text/_native.c"], optional=True,
                             extra_compile_args=["-O2"])])
