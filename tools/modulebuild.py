"""modulebuild: build Redis modules for the module tests and the benchmark.

Job: modules are compiled as module authors compile them, against Redis
4.0.14's own, unmodified src/redismodule.h, taken from the reference tarball
(shared/reference/redis-4.0.14.tar.gz; $CAIRN_SHARED names the shared folder).
`reference_src(dest)` unpacks that header and src/modules/ (helloworld,
hellotype, helloblock, testmodule and their Makefile); `build_examples(src)`
runs that Makefile unchanged (Redis's own flags); `build_fixture(name, src,
out)` compiles one of Cairn's modules in fixtures/modules/ with the same flags.

Contract: every function raises RuntimeError with the compiler's output when a
build fails; nothing is written outside the directories it is given.
"""

import os
import subprocess
import tarfile

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO_ROOT, "fixtures", "modules")
VERSION = "4.0.14"
# Redis's src/modules/Makefile flags on Linux.
CFLAGS = ["-W", "-Wall", "-fno-common", "-g", "-ggdb", "-std=c99", "-O2", "-fPIC"]


def tarball():
    shared = os.environ.get("CAIRN_SHARED") or os.path.join(REPO_ROOT, "..", "shared")
    for candidate in (os.path.join(shared, "reference", f"redis-{VERSION}.tar.gz"),
                      os.path.join(shared, f"redis-{VERSION}.tar.gz")):
        if os.path.isfile(candidate):
            return candidate
    raise RuntimeError(f"redis-{VERSION}.tar.gz not found under {shared} (set CAIRN_SHARED)")


def reference_src(dest):
    """Unpacks redismodule.h and src/modules/ into dest; returns the src directory."""
    prefix = f"redis-{VERSION}/src/"
    with tarfile.open(tarball()) as t:
        members = [m for m in t.getmembers()
                   if m.name == prefix + "redismodule.h" or m.name.startswith(prefix + "modules/")]
        t.extractall(dest, members=members, filter="data")
    return os.path.join(dest, f"redis-{VERSION}", "src")


def _run(argv, cwd=None):
    r = subprocess.run(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed:\n{r.stdout.decode(errors='replace')}")


def build_examples(src):
    """Redis's example modules, built by their own Makefile; name -> .so path."""
    names = ["helloworld", "hellotype", "helloblock", "testmodule"]
    _run(["make", "-s"] + [n + ".so" for n in names], cwd=os.path.join(src, "modules"))
    return {n: os.path.join(src, "modules", n + ".so") for n in names}


def build_fixture(name, src, out_dir):
    """fixtures/modules/<name>.c as <out_dir>/<name>.so, against src/redismodule.h."""
    out = os.path.join(out_dir, name + ".so")
    _run(["gcc"] + CFLAGS + ["-shared", "-I", src, "-o", out, os.path.join(FIXTURES, name + ".c")])
    return out
