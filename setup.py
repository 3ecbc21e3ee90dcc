"""Only the compiled part of the build; everything else is in pyproject.toml.

``era_ingest.x12._speedups`` holds the parser's compiled helpers (era_ingest/x12/speedups.py).
It is optional: without a C compiler the install goes on and the parser runs their Python
versions. With OpenSSL's header (Debian: libssl-dev) it hashes with OpenSSL's SHA-256, else
with its own.
"""

from pathlib import Path

from setuptools import Extension, setup

_OPENSSL_INCLUDES = [Path("/usr/include"), Path("/usr/local/include")]
_openssl = [path for path in _OPENSSL_INCLUDES if (path / "openssl" / "sha.h").exists()]

setup(
    ext_modules=[
        Extension(
            "era_ingest.x12._speedups",
            sources=["services/ingest/era_ingest/x12/_speedups.c"],
            depends=["services/ingest/era_ingest/x12/_sha256.h"],
            extra_compile_args=["-O2"],
            define_macros=[("ERA_OPENSSL", "1")] if _openssl else [],
            include_dirs=[str(path) for path in _openssl if path != Path("/usr/include")],
            libraries=["crypto"] if _openssl else [],
            optional=True,
        )
    ]
)
