"""The options of a compilation: `tfir.CompileOptions`.

```python
tfir.compile_file("model.tf", target="numpy", disable=("fuse-elementwise",),
                  backend_options=NumpyOptions(threads=False))
```

Keyword arguments of `compile_file` / `compile_source` are the fields of
`CompileOptions`; a name that is not one is an error that suggests the
closest. The options of the target itself (`NumpyOptions` for numpy) are
`backend_options`: an instance of the target's options class, or a dict of
its fields. How a loop runs in NumPy is decided by passes, switched off like
any other: `disable=("numpy-schedule",)`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from tfir.errors import did_you_mean


@dataclass(frozen=True)
class CompileOptions:
    """How `tfir.compile_file` compiles a program.

    - `disable`: names of pipeline passes not to run (`tfir passes` lists them);
    - `pass_options`: options of pipeline passes, by pass name
      (`{"tile-linalg": {"max_tile_bytes": 65536}}`);
    - `verify_each`: verify the IR, and each stage's contract, after every
      pass (None: as TFIR_VERIFY_EACH says; the final IR is always verified);
    - `cache`: take generated code from, and put it in, the disk cache;
    - `backend_options`: the target's own options (`NumpyOptions` for numpy),
      or a dict of them; None: the target's defaults;
    - `cast_inputs`: convert NumPy arrays of another dtype to the parameter's
      dtype (as `jax.numpy.asarray` does) instead of raising `InputError`.
    """

    disable: tuple[str, ...] = ()
    pass_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, hash=False)
    verify_each: bool | None = None
    cache: bool = True
    backend_options: Any = field(default=None, hash=False)
    cast_inputs: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.disable, str) or not isinstance(self.disable, Iterable):
            raise TypeError(f"disable= takes pass names (a tuple of str), got {self.disable!r}")
        object.__setattr__(self, "disable", tuple(self.disable))
        if not isinstance(self.pass_options, Mapping) or not all(
                isinstance(v, Mapping) for v in self.pass_options.values()):
            raise TypeError("pass_options= takes {pass name: {option: value}}")
        object.__setattr__(self, "pass_options", MappingProxyType(
            {name: MappingProxyType(dict(opts)) for name, opts in self.pass_options.items()}))
        if isinstance(self.backend_options, Mapping):
            object.__setattr__(self, "backend_options", MappingProxyType(dict(self.backend_options)))

    @staticmethod
    def of(options: CompileOptions | None = None, **kwargs: Any) -> CompileOptions:
        """`options` with the fields in `kwargs` replaced; an unknown field
        name raises TypeError naming the closest one."""
        fields = [f.name for f in dataclasses.fields(CompileOptions)]
        for name in kwargs:
            if name not in fields:
                hint = did_you_mean(name, fields)
                if name == "codegen" and not hint:
                    hint = ("; the code generator's options are backend_options= (NumpyOptions), "
                            "its schedule and row groups are passes: disable=(\"numpy-schedule\",)")
                raise TypeError(f"unknown compile option {name!r}{hint} (options: {', '.join(fields)})")
        return dataclasses.replace(options or CompileOptions(), **kwargs)

    def key(self) -> str:
        """Everything that can change the generated code, as stable text (for the disk cache)."""
        passes = sorted((name, sorted(opts.items())) for name, opts in self.pass_options.items())
        backend = self.backend_options
        if isinstance(backend, Mapping):
            backend = sorted(backend.items())
        return repr((sorted(self.disable), passes, self.verify_each, backend))


def backend_options_of(options: CompileOptions, target: str, options_type: type) -> Any:
    """The target's options: `options.backend_options` checked against (or
    made into) an instance of the target's `options_type`."""
    given = options.backend_options
    if given is None:
        return options_type()
    if isinstance(given, options_type):
        return given
    if not isinstance(given, Mapping):
        raise TypeError(f"backend_options= for target {target!r} must be {options_type.__name__} "
                        f"(or a dict of its fields), got {type(given).__name__}")
    fields = [f.name for f in dataclasses.fields(options_type)]
    for name in given:
        if name not in fields:
            raise TypeError(f"unknown {target} option {name!r}{did_you_mean(name, fields)} "
                            f"({options_type.__name__} has: {', '.join(fields) or 'no options'})")
    return options_type(**given)
