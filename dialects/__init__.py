"""The dialects of tfir: `tf` (tensor level) and `device` (block programs).

The loop level reuses upstream dialects from xDSL (linalg, tensor,
bufferization, memref, scf, arith, math, func).
"""
