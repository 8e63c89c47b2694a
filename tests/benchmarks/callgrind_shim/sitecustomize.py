"""Bench shim (registry_instructions.py): runs `python -m registry_service` under valgrind's callgrind.

On PYTHONPATH of a private stack with BENCH_CALLGRIND_DIR set, the registry process re-executes itself under
callgrind (same pid, same arguments); every other process is left alone. SIGUSR2, sent to the main thread, makes
callgrind dump (and zero) its counters: the handler calls getppid, before which callgrind dumps. (Dumps asked with
`callgrind_control -z/-d` through vgdb had cost lines adding up to more than their own summary with the registry's
threads busy.) Under callgrind, the registry's parts are called through distinct C functions of the interpreter
(`_operator_call`, `starmap_next`, ...), so that callgrind's inclusive cost of each is that part's instructions.
"""
import os
import sys

MARKS = (  # (module, class, method, trampoline): what each C function's inclusive cost is
    ("registry_service.grpc_api", "RegistryApi", "_submit", "operator.call"),
    ("registry_service.handlers", "Registrar", "submit", "itertools.starmap"),
    ("ventanilla.facturae.intake", "FacturaeIntake", "accept", "itertools.accumulate"),
    ("registry_service.receipt", "ReceiptIssuer", "__call__", "itertools.takewhile"),
    ("ventanilla.adapters.event_log", "EventLog", "append", "itertools.filterfalse"),
    ("ventanilla.adapters.blob_store", "DirectoryBlobStore", "put", "itertools.dropwhile"),
    ("ventanilla.adapters.claims", "SqliteClaims", "claim", "functools.reduce"),
    ("ventanilla.adapters.claims", "SqliteClaims", "confirm", "functools.reduce"),
)


def _trampolines():
    """Call f() from a distinct C function of the interpreter each, returning its value."""
    import functools
    import itertools
    import operator

    def boxed(make):
        def call(f):
            box = []
            next(make(lambda g: box.append(g()), (f,)))
            return box[0]
        return call

    return {
        "operator.call": operator.call,
        "itertools.starmap": lambda f: next(itertools.starmap(f, ((),))),
        "itertools.accumulate": lambda f: list(itertools.accumulate((None, None), lambda _a, _b: f()))[1],
        "itertools.takewhile": boxed(lambda p, it: itertools.takewhile(lambda g: p(g) or True, it)),
        "itertools.filterfalse": boxed(itertools.filterfalse),
        "itertools.dropwhile": boxed(itertools.dropwhile),
        "functools.reduce": lambda f: functools.reduce(lambda _, g: g(), (f,), None),
    }


def _mark() -> None:
    import functools
    import importlib

    trampolines = _trampolines()
    for module, cls, method, trampoline in MARKS:
        owner = getattr(importlib.import_module(module), cls)
        plain, through = getattr(owner, method), trampolines[trampoline]

        def marked(*args, _plain=plain, _through=through, **kwargs):
            return _through(functools.partial(_plain, *args, **kwargs))
        setattr(owner, method, functools.wraps(plain)(marked))


if os.environ.get("BENCH_CALLGRIND_DIR") and sys.orig_argv[1:] == ["-m", "registry_service"]:
    if not os.environ.get("BENCH_UNDER_CALLGRIND"):
        os.environ["BENCH_UNDER_CALLGRIND"] = "1"
        valgrind = os.environ.get("BENCH_VALGRIND", "/usr/bin/valgrind")
        os.execv(valgrind, [valgrind, "--tool=callgrind", "--dump-before=getppid",
                            f"--callgrind-out-file={os.environ['BENCH_CALLGRIND_DIR']}/registry.%p",
                            sys.executable, *sys.orig_argv[1:]])
    import signal

    signal.signal(signal.SIGUSR2, lambda *_: os.getppid())  # a dump, in the main thread, when the bench asks
    if os.environ.get("BENCH_CALLGRIND_MARKS", "1") == "1":
        _mark()
