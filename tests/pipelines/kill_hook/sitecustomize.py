"""Loaded by every Python process whose PYTHONPATH starts with this folder (the tests of
tests/pipelines/test_killed_landing.py put it there for a real `dagster` CLI and its step
processes): with IT360_TEST_KILL set, the process that lands SIGKILLs its whole process group
(the CLI and its steps, as an OOM kill or a lost host would) at a chosen storage operation.

    IT360_TEST_KILL=op:N             just before the Nth storage operation (as tests/faults/
                                     harness.py counts them: each writer opened, each write,
                                     each commit, each delete)
    IT360_TEST_KILL=inbox-delete:N   just before the Nth delete from the inbox, i.e. after a
                                     batch's commit and before its inbox files are removed

The pipeline has no test hook: this wraps `storage.roots.Root` from outside, at start-up.
IT360_TEST_KILL_TRACE names a file that gets one line per operation counted.
"""

import os

_SPEC = os.environ.get("IT360_TEST_KILL", "")

if _SPEC:
    import contextlib
    import functools
    import signal

    _kind, _, _at = _SPEC.partition(":")
    _at_n = int(_at)
    _counts = {"op": 0, "inbox-delete": 0}
    _trace = os.environ.get("IT360_TEST_KILL_TRACE")
    _inbox = os.path.abspath(os.environ.get("IT360_INBOX", "/nonexistent"))

    def _tick(what: str, root) -> None:
        _counts["op"] += 1
        if what.startswith("delete") and getattr(root, "base", None) == _inbox:
            _counts["inbox-delete"] += 1
        if _trace:
            with open(_trace, "a") as out:
                out.write(f"{_counts['op']} {what} {getattr(root, 'base', '')}\n")
        if _counts[_kind] == _at_n:
            os.killpg(os.getpgrp(), signal.SIGKILL)

    def _install() -> None:
        from storage import roots

        def counted(name, method):
            @functools.wraps(method)
            def wrapper(self, *args, **kwargs):
                _tick(name, self)
                return method(self, *args, **kwargs)

            return wrapper

        for name in ("delete", "delete_many", "delete_tree"):
            setattr(roots.Root, name, counted(name, getattr(roots.Root, name)))
        original = roots.Root.open_write

        class _Writer:
            def __init__(self, out, root) -> None:
                self._out, self._root = out, root

            def write(self, data):
                _tick("write", self._root)
                return self._out.write(data)

            def __getattr__(self, name):
                return getattr(self._out, name)

        @contextlib.contextmanager
        def open_write(self, rel, staging=None):
            _tick("open", self)
            with original(self, rel, staging) as out:
                yield _Writer(out, self)
                _tick("commit", self)

        roots.Root.open_write = open_write

    _install()
