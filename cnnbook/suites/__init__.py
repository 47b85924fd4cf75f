"""Public test suites, one module per assignment; each registers its checks on import.

A student bundle holds the suites (and the expected arrays) of its released assignments only,
so only the modules that are here are imported.
"""
import importlib
import pkgutil

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")
