"""salespipe: a sales pipeline in the terminal, and its Python API.

    import salespipe

    pipeline = salespipe.open("pipeline.json")
    deal = pipeline.add("ERP for Siam Foods", value="1.5m")
    pipeline.move(deal.id, "quoted", reason="sent the quotation")
    print(pipeline.chart().to_dict())

The names below are loaded on first use (PEP 562), so ``salespipe --version`` and every
command start without them. See docs/python-api.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> the module that defines it
_EXPORTS = {
    "open": "salespipe.api",
    "Pipeline": "salespipe.api",
    "Deal": "salespipe.core.model",
    "Stage": "salespipe.core.model",
    "Event": "salespipe.core.model",
    "NextAction": "salespipe.core.model",
    "Quote": "salespipe.core.model",
    "SalespipeError": "salespipe.core.errors",
    "InvalidValue": "salespipe.core.errors",
    "DealNotFound": "salespipe.core.errors",
    "StageNotFound": "salespipe.core.errors",
    "AmbiguousStage": "salespipe.core.errors",
    "NotAllowed": "salespipe.core.errors",
    "NothingToUndo": "salespipe.core.errors",
    "StoreError": "salespipe.core.errors",
    "NotASalespipeFile": "salespipe.core.errors",
    "NewerSchema": "salespipe.core.errors",
    "DatabaseBusy": "salespipe.core.errors",
    "WriteFailed": "salespipe.core.errors",
    "UndoConflict": "salespipe.core.errors",
    "NotPermitted": "salespipe.core.errors",
    "DatabaseUnreachable": "salespipe.core.errors",
    "CommitOutcomeUnknown": "salespipe.core.errors",
    "DatabaseLoginFailed": "salespipe.core.errors",
    "DatabaseMissing": "salespipe.core.errors",
    "DatabaseReadOnly": "salespipe.core.errors",
    "DatabaseAddressInvalid": "salespipe.core.errors",
    "PipelineNotFound": "salespipe.core.errors",
    "NoDataFile": "salespipe.core.errors",
    "UsageError": "salespipe.core.errors",
    "InvalidRows": "salespipe.transfer.importing",
    "UnknownStages": "salespipe.transfer.stages",
}

__all__ = [
    "AmbiguousStage",
    "CommitOutcomeUnknown",
    "DatabaseAddressInvalid",
    "DatabaseBusy",
    "DatabaseLoginFailed",
    "DatabaseMissing",
    "DatabaseReadOnly",
    "DatabaseUnreachable",
    "Deal",
    "DealNotFound",
    "Event",
    "InvalidRows",
    "InvalidValue",
    "NewerSchema",
    "NextAction",
    "NoDataFile",
    "NotASalespipeFile",
    "NotAllowed",
    "NotPermitted",
    "NothingToUndo",
    "Pipeline",
    "PipelineNotFound",
    "Quote",
    "SalespipeError",
    "Stage",
    "StageNotFound",
    "StoreError",
    "UndoConflict",
    "UnknownStages",
    "UsageError",
    "WriteFailed",
    "__version__",
    "open",
]

if TYPE_CHECKING:
    from salespipe.api import Pipeline, open
    from salespipe.core.errors import (
        AmbiguousStage,
        CommitOutcomeUnknown,
        DatabaseAddressInvalid,
        DatabaseBusy,
        DatabaseLoginFailed,
        DatabaseMissing,
        DatabaseReadOnly,
        DatabaseUnreachable,
        DealNotFound,
        InvalidValue,
        NewerSchema,
        NoDataFile,
        NotAllowed,
        NotASalespipeFile,
        NothingToUndo,
        NotPermitted,
        PipelineNotFound,
        SalespipeError,
        StageNotFound,
        StoreError,
        UndoConflict,
        UsageError,
        WriteFailed,
    )
    from salespipe.core.model import Deal, Event, NextAction, Quote, Stage
    from salespipe.transfer.importing import InvalidRows
    from salespipe.transfer.stages import UnknownStages


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'salespipe' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found once, then an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
