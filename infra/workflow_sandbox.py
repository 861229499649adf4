"""The worker's workflow sandbox, with one cost of the SDK's taken out.

Before it encodes or decodes a payload of a workflow task, the SDK asks the workflow
instance for the payload's serialization context (which workflow, which activity),
once per payload and per pass: three passes over an activation, one over its
completion. In the sandbox each of those questions is a string of code compiled and
run under the sandbox's import hooks, about 0.1 ms apiece and some 70 per order, for
a plain read of the instance's own state: its info and its pending commands. Here the
question goes straight to the instance inside the sandbox. Nothing of the workflow's
own code runs in it, so nothing the sandbox guards against (a clock, randomness, I/O,
an import) can happen there; the workflow's activations still run under the hooks.

`tests/unit/test_workflow_sandbox.py` holds the answers to the SDK's own, over whole
histories, so an SDK that changes what it asks fails there first.

And one cost of Python's imports: the sandbox imports the workflow's own modules
afresh for every workflow instance (so that each runs with module state of its own),
and each import looked its file up, read it and unmarshalled its bytecode again. The
workflow's package is loaded here from the code compiled the first time; every
instance still runs its modules' code anew. A worker also keeps running the code it
started with, even if the files change under it.

And the SDK's check of a workflow class (`workflow.defn`): it walks every member of
the class and of each base, a few thousand calls through the sandbox's wrapped
`isinstance` for the order's workflow, ~5 ms of CPU per instance, and the sandbox
defines the class anew for every instance. The answer depends on the class's shape:
which classes, which members, which code. A class of the shape checked before (the
same code, served compiled once) whose handlers keep their names gets its definition
built from its own handlers and the decorator's own options, as the check would have
built it; anything else is checked in full. `tests/unit/test_workflow_sandbox.py`
holds the definitions built so to the SDK's.
"""

from __future__ import annotations

import dataclasses
import importlib.machinery
import importlib.util
import inspect
import sys
import threading
from collections.abc import Callable, Sequence
from importlib.abc import MetaPathFinder
from types import CodeType, ModuleType
from typing import Any, ClassVar

from temporalio.converter import SerializationContext, StorageDriverStoreContext
from temporalio.worker import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker._command_aware_visitor import CommandInfo
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._runner import _Instance
from temporalio.workflow import _Definition


class WorkflowSandbox(SandboxedWorkflowRunner):
    """The SDK's sandbox; the serialization context is asked directly, and the
    workflow's package is loaded from code compiled once."""

    def prepare_workflow(self, defn: _Definition) -> None:
        _CompiledOnce.serve(defn.cls.__module__.partition(".")[0])
        _CheckedOnce.install()
        super().prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        return _DirectContextInstance(det, self.runner_class, self.restrictions)


class _CompiledOnce(MetaPathFinder):
    """Finds the modules of the packages it serves once, and hands out the code they
    were first loaded with."""

    packages: ClassVar[set[str]] = set()
    found: ClassVar[dict[str, tuple[str, list[str] | None]]] = {}  # name: (file, path)
    code: ClassVar[dict[str, CodeType]] = {}  # file: its code

    @classmethod
    def serve(cls, package: str) -> None:
        if not any(isinstance(finder, cls) for finder in sys.meta_path):
            sys.meta_path.insert(0, cls())
        cls.packages.add(package)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] not in self.packages:
            return None
        found = self.found.get(fullname)
        if found is None:
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
            if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
                return spec
            assert spec.origin is not None
            found = self.found[fullname] = (spec.origin, spec.submodule_search_locations)
        origin, locations = found
        return importlib.util.spec_from_file_location(
            fullname,
            origin,
            loader=_CodeOnce(fullname, origin),
            submodule_search_locations=locations,
        )


class _CodeOnce(importlib.machinery.SourceFileLoader):
    def get_code(self, fullname: str) -> CodeType:
        code = _CompiledOnce.code.get(self.path)
        if code is None:
            loaded = super().get_code(fullname)
            assert loaded is not None  # a source file always has code
            code = _CompiledOnce.code[self.path] = loaded
        return code


class _DirectContextInstance(_Instance):
    def _in_sandbox(self) -> Any:
        return self.globals_and_locals["__temporal_in_sandbox"]

    def get_serialization_context(
        self, command_info: CommandInfo | None
    ) -> SerializationContext | None:
        context: SerializationContext | None = self._in_sandbox().get_serialization_context(
            command_info
        )
        return context

    def get_external_store_context(
        self, command_info: CommandInfo | None
    ) -> StorageDriverStoreContext:
        context: StorageDriverStoreContext = self._in_sandbox().get_external_store_context(
            command_info
        )
        return context


# The class's shape, as far as the SDK's check of it can tell: each class of its MRO
# with its members, a function by its code.
Shape = tuple[tuple[str, str, tuple[tuple[str, object], ...]], ...]


def _shape(cls: type) -> Shape:
    return tuple(
        (
            klass.__module__,
            klass.__qualname__,
            tuple(
                (name, getattr(getattr(value, "__func__", value), "__code__", type(value)))
                for name, value in vars(klass).items()
            ),
        )
        for klass in cls.__mro__[:-1]
    )


# The options `workflow.defn` passes its check; a definition is built with the call's own.
_OPTIONS = frozenset(
    {"workflow_name", "sandboxed", "failure_exception_types", "versioning_behavior"}
)


@dataclasses.dataclass(frozen=True)
class _Checked:
    """A class the SDK checked, and the names of the members its definition holds."""

    shape: Shape
    definition: _Definition
    run: str
    dynamic_config: str | None
    signals: tuple[str, ...]
    queries: tuple[str, ...]
    updates: tuple[str, ...]

    @classmethod
    def of(cls, klass: type, shape: Shape) -> _Checked | None:
        """None when a handler is not a plain member of the class (a classmethod, say),
        which leaves every class of its name to the SDK."""
        definition = _Definition.must_from_class(klass)
        named = {id(member): name for name, member in inspect.getmembers(klass)}
        dynamic_config = definition.dynamic_config_fn
        try:
            return cls(
                shape,
                definition,
                named[id(definition.run_fn)],
                named[id(dynamic_config)] if dynamic_config else None,
                tuple(named[id(handler.fn)] for handler in definition.signals.values()),
                tuple(named[id(handler.fn)] for handler in definition.queries.values()),
                tuple(named[id(handler.fn)] for handler in definition.updates.values()),
            )
        except KeyError:
            return None

    def bind(self, klass: type, options: dict[str, Any]) -> bool:
        """Gives a class of this shape its definition, from its own handlers and the
        decorator's options. False, with nothing given, when its handlers are not
        named as the checked class's were (a name computed as the module runs)."""
        signals = {
            handler.name: handler
            for name in self.signals
            for handler in [getattr(getattr(klass, name), "__temporal_signal_definition")]
        }
        queries = {
            handler.name: handler
            for name in self.queries
            for handler in [getattr(getattr(klass, name), "__temporal_query_definition")]
        }
        updates = {
            handler.name: handler
            for name in self.updates
            for handler in [getattr(klass, name)._defn]
        }
        checked = self.definition
        if (signals.keys(), queries.keys(), updates.keys()) != (
            checked.signals.keys(),
            checked.queries.keys(),
            checked.updates.keys(),
        ):
            return False
        run = getattr(klass, self.run)
        definition = dataclasses.replace(
            checked,
            name=options["workflow_name"],
            cls=klass,
            run_fn=run,
            signals=signals,
            queries=queries,
            updates=updates,
            sandboxed=options["sandboxed"],
            failure_exception_types=options["failure_exception_types"],
            versioning_behavior=options["versioning_behavior"],
            dynamic_config_fn=getattr(klass, self.dynamic_config) if self.dynamic_config else None,
            arg_types=None,  # read again from the run method's hints
            ret_type=None,
        )
        setattr(klass, "__temporal_workflow_definition", definition)
        setattr(run, "__temporal_workflow_definition", definition)
        return True


class _CheckedOnce:
    """`_Definition._apply_to_class` (what `workflow.defn` runs), answered once per
    class shape. What the module computes as it runs (a handler's name, a default
    value) is not part of the shape: the handlers' names are compared at each binding,
    and the types a definition names (its run method's, the exceptions that fail it)
    are the instance's own, never the checked class's."""

    checked: ClassVar[dict[tuple[str, str, str | None], _Checked | None]] = {}
    sdk_check: ClassVar[Callable[..., None] | None] = None
    _installing: ClassVar[threading.Lock] = threading.Lock()

    @classmethod
    def install(cls) -> None:
        with cls._installing:
            if cls.sdk_check is None:
                cls.sdk_check = _Definition._apply_to_class
                # The SDK offers no hook for it: its check, replaced by one that remembers.
                _Definition._apply_to_class = staticmethod(cls.apply)  # type: ignore[method-assign,assignment]

    @classmethod
    def apply(cls, klass: type, **options: Any) -> None:
        assert cls.sdk_check is not None
        key = (klass.__module__, klass.__qualname__, options.get("workflow_name"))
        shape = _shape(klass)
        known = cls.checked.get(key)
        if (
            known is not None
            and known.shape == shape
            and options.keys() == _OPTIONS
            and _Definition.from_class(klass) is None
            and known.bind(klass, options)
        ):
            return
        cls.sdk_check(klass, **options)
        cls.checked[key] = _Checked.of(klass, shape) if options.keys() == _OPTIONS else None
