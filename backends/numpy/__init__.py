"""The NumPy backend (target "numpy", the default): loop-level IR printed as
a readable, standalone NumPy module (backend.py: the `Backend`; module.py:
the module; codegen.py, linalg.py, body.py, ops.py: the statements;
prelude.py: the helper code generated modules include)."""
