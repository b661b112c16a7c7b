"""The Triton backend (target "triton"): `device`-level IR printed as Triton
kernels and their host code (backend.py: the `Backend`; kernels.py: the
`@triton.jit` functions; host.py: the module and the host function;
runtime.py: what generated host code calls at run time)."""
