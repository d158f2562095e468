"""Names of a package imported on first use (PEP 562), so that importing the package, or any of
its modules, loads only what the caller uses (``perfsim/__init__.py``,
``perfsim/empirical/__init__.py``); and the functions a higher layer lends a lower one
(:data:`LENT`)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

#: functions a higher layer lends a lower one that cannot import it, by name: ``"report"``
#: (:func:`perfsim.build_report`, set by ``perfsim/__init__.py``) for the empirical folder's writer
#: (``EmpiricalResult.write(report=True)``), which sits below the report layer
LENT: dict[str, Callable[..., Any]] = {}


def names(
    package: str, table: Mapping[str, tuple[str, str]], namespace: MutableMapping[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package`` (its ``globals()``: ``namespace``) for
    ``table``: public name → (module relative to the package, the name there). A name is imported
    when first asked for and then kept in the namespace."""

    def __getattr__(name: str) -> Any:
        if name not in table:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attribute = table[name]
        value = getattr(importlib.import_module(module, package), attribute)
        namespace[name] = value  # (once)
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(table))

    return __getattr__, __dir__
