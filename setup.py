"""The optional C loops: the text function (shujian.text._native) and the import's 身份证号 check
(shujian.catalog._idcheck); everything else is in pyproject.toml.

``optional=True``: without a C compiler the build goes on without them and the pure-Python (numpy) code
runs (shujian.text.native, shujian.catalog.semantic explain the choice).
"""

import hashlib
from pathlib import Path

from setuptools import Extension, setup

SOURCE = "src/shujian/text/_native.c"
# the build carries its source's digest: after a `git pull` that changed _native.c, an editable install's old
# build is not used (shujian.text.native falls back to Python until `pip install -e .` builds it again)
DIGEST = hashlib.sha256((Path(__file__).parent / SOURCE).read_bytes()).hexdigest()[:16]
IDCHECK = "src/shujian/catalog/_idcheck.c"
IDCHECK_DIGEST = hashlib.sha256((Path(__file__).parent / IDCHECK).read_bytes()).hexdigest()[:16]

setup(ext_modules=[Extension("shujian.text._native", [SOURCE], optional=True, extra_compile_args=["-O2"],
                             define_macros=[("SHUJIAN_NATIVE_SOURCE", f'"{DIGEST}"')]),
                   Extension("shujian.catalog._idcheck", [IDCHECK], optional=True, extra_compile_args=["-O2"],
                             define_macros=[("SHUJIAN_IDCHECK_SOURCE", f'"{IDCHECK_DIGEST}"')])])
