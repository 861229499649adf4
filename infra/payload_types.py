"""Payloads back into our own dataclasses, with each class's field types resolved once.

The SDK's JSON converter rebuilds a dataclass from a payload by resolving the types of
its fields (`typing.get_type_hints`, which evaluates every annotation: all of ours are
strings) on every payload, for every nested dataclass too: about 5% of the worker's
CPU, mostly workflow activations decoding step results. The classes that cross into a
workflow live in modules the sandbox shares with the worker (`worker.PURE_MODULES`),
so they are the same objects for the life of the process and their field types can be
kept. Any other type is left to the SDK, which builds the same values.
"""

from __future__ import annotations

import dataclasses
from typing import Any, get_type_hints

from temporalio.converter import (
    CompositePayloadConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
    JSONTypeConverter,
    JSONTypeConverterUnhandled,
    value_to_type,
)

# Where the classes that cross into workflows are defined (see worker.PURE_MODULES).
SHARED_MODULES = ("domain.", "workflows.contracts")


@dataclasses.dataclass(frozen=True)
class _Field:
    name: str
    hint: Any
    init: bool


class SharedDataclasses(JSONTypeConverter):
    """Builds dataclasses of the shared modules as the SDK does (unknown keys ignored,
    a missing required field a TypeError), with their field types resolved once."""

    def __init__(self) -> None:
        self._fields: dict[type, tuple[_Field, ...]] = {}

    def to_typed_value(self, hint: type, value: Any) -> Any | JSONTypeConverterUnhandled:
        if not _shared_dataclass(hint):
            return JSONTypeConverter.Unhandled
        fields = self._fields.get(hint)
        if fields is None:
            types = get_type_hints(hint)
            fields = tuple(_Field(f.name, types[f.name], f.init) for f in dataclasses.fields(hint))
            self._fields[hint] = fields
        if not isinstance(value, dict):
            raise TypeError(f"Cannot convert to dataclass {hint}, value is {type(value)} not dict")
        arguments: dict[str, Any] = {}
        later: dict[str, Any] = {}
        for field in fields:
            if field.name not in value:
                continue  # the constructor refuses a missing required field
            try:
                converted = value_to_type(field.hint, value[field.name], [self])
            except Exception as error:
                failed = f"Failed converting field {field.name} on dataclass {hint}"
                raise TypeError(failed) from error
            (arguments if field.init else later)[field.name] = converted
        built = hint(**arguments)
        for name, converted in later.items():
            object.__setattr__(built, name, converted)
        return built


def _shared_dataclass(hint: Any) -> bool:
    return (
        isinstance(hint, type)
        and dataclasses.is_dataclass(hint)
        and hint.__module__.startswith(SHARED_MODULES)
    )


# One for the process: the SDK builds a converter again for each serialization context.
SHARED_DATACLASSES = SharedDataclasses()


class PayloadConverter(CompositePayloadConverter):
    """The SDK's default converters, its JSON one with `SharedDataclasses` first."""

    def __init__(self, shared: SharedDataclasses = SHARED_DATACLASSES) -> None:
        super().__init__(
            *(
                JSONPlainPayloadConverter(custom_type_converters=[shared])
                if isinstance(converter, JSONPlainPayloadConverter)
                else converter
                for converter in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )
