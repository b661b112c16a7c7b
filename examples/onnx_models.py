"""Two models built with the onnx helper API (no PyTorch), as a PyTorch export
would write them, imported into tfir, run on every target available here, and
compared with ONNX Runtime:

- an MLP (Gemm + Relu + Gemm + Softmax), batch size symbolic (`dim_param`);
- a pre-norm transformer block: LayerNormalization, causal multi-head
  attention (MatMul, Reshape with 0/-1, Transpose, Softmax, Where), an MLP
  with the erf form of Gelu, and residual adds.

Run: `python examples/onnx_models.py` (needs `pip install -e ".[onnx]"`).
"""

from __future__ import annotations

import functools
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import tfir
import tfir.onnx

OPSET = 20  # Gelu is an op from opset 20 on


def _init(name: str, array: np.ndarray) -> onnx.TensorProto:
    return numpy_helper.from_array(np.asarray(array, np.float32), name)


def mlp(d_in: int = 32, hidden: int = 64, d_out: int = 10, seed: int = 0) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    inits = [_init("fc1.weight", rng.standard_normal((hidden, d_in)) / np.sqrt(d_in)),
             _init("fc1.bias", rng.standard_normal(hidden) * 0.1),
             _init("fc2.weight", rng.standard_normal((d_out, hidden)) / np.sqrt(hidden)),
             _init("fc2.bias", rng.standard_normal(d_out) * 0.1)]
    nodes = [helper.make_node("Gemm", ["input", "fc1.weight", "fc1.bias"], ["/fc1/Gemm_output_0"],
                              name="/fc1/Gemm", transB=1),
             helper.make_node("Relu", ["/fc1/Gemm_output_0"], ["/act/Relu_output_0"], name="/act/Relu"),
             helper.make_node("Gemm", ["/act/Relu_output_0", "fc2.weight", "fc2.bias"], ["logits"],
                              name="/fc2/Gemm", transB=1),
             helper.make_node("Softmax", ["logits"], ["probs"], name="/Softmax", axis=-1)]
    graph = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", d_in])],
                              [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", d_out])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="onnx.helper")


def transformer_block(t: int = 16, d: int = 64, heads: int = 4, ff: int = 256, seed: int = 0) -> onnx.ModelProto:
    """x: [batch, t, d] -> [batch, t, d]; weights as a PyTorch export lays them out."""
    rng = np.random.default_rng(seed)
    dh = d // heads

    def w(name: str, *shape: int) -> onnx.TensorProto:
        return _init(name, rng.standard_normal(shape) / np.sqrt(shape[0]))

    inits = [w("attn.q", d, d), w("attn.k", d, d), w("attn.v", d, d), w("attn.out", d, d),
             w("mlp.fc1", d, ff), w("mlp.fc2", ff, d),
             _init("mlp.fc1.bias", rng.standard_normal(ff) * 0.1), _init("mlp.fc2.bias", rng.standard_normal(d) * 0.1),
             _init("ln1.weight", 1 + 0.1 * rng.standard_normal(d)), _init("ln1.bias", 0.1 * rng.standard_normal(d)),
             _init("ln2.weight", 1 + 0.1 * rng.standard_normal(d)), _init("ln2.bias", 0.1 * rng.standard_normal(d)),
             numpy_helper.from_array(np.array([0, 0, heads, dh], np.int64), "heads_shape"),
             numpy_helper.from_array(np.array([0, 0, -1], np.int64), "merge_shape"),
             numpy_helper.from_array(np.tril(np.ones((t, t), bool)), "causal_mask"),
             _init("scale", np.array(1 / np.sqrt(dh))), _init("masked", np.array(-1e9))]
    n = helper.make_node
    nodes = [
        n("LayerNormalization", ["x", "ln1.weight", "ln1.bias"], ["h1"], name="/ln1", axis=-1, epsilon=1e-5),
        *[n("MatMul", ["h1", f"attn.{p}"], [p], name=f"/attn/{p}_proj") for p in "qkv"],
        *[n("Reshape", [p, "heads_shape"], [f"{p}_heads"], name=f"/attn/{p}_split") for p in "qkv"],
        n("Transpose", ["q_heads"], ["qt"], name="/attn/q_t", perm=[0, 2, 1, 3]),
        n("Transpose", ["k_heads"], ["kt"], name="/attn/k_t", perm=[0, 2, 3, 1]),
        n("Transpose", ["v_heads"], ["vt"], name="/attn/v_t", perm=[0, 2, 1, 3]),
        n("MatMul", ["qt", "kt"], ["scores"], name="/attn/scores"),
        n("Mul", ["scores", "scale"], ["scaled"], name="/attn/scale"),
        n("Where", ["causal_mask", "scaled", "masked"], ["causal"], name="/attn/mask"),
        n("Softmax", ["causal"], ["attn_weights"], name="/attn/softmax", axis=-1),
        n("MatMul", ["attn_weights", "vt"], ["context"], name="/attn/context"),
        n("Transpose", ["context"], ["context_t"], name="/attn/merge_t", perm=[0, 2, 1, 3]),
        n("Reshape", ["context_t", "merge_shape"], ["merged"], name="/attn/merge"),
        n("MatMul", ["merged", "attn.out"], ["attn_out"], name="/attn/out_proj"),
        n("Add", ["x", "attn_out"], ["r1"], name="/residual1"),
        n("LayerNormalization", ["r1", "ln2.weight", "ln2.bias"], ["h2"], name="/ln2", axis=-1, epsilon=1e-5),
        n("MatMul", ["h2", "mlp.fc1"], ["f1"], name="/mlp/fc1"),
        n("Add", ["f1", "mlp.fc1.bias"], ["f1b"], name="/mlp/fc1_bias"),
        n("Gelu", ["f1b"], ["g"], name="/mlp/gelu"),
        n("MatMul", ["g", "mlp.fc2"], ["f2"], name="/mlp/fc2"),
        n("Add", ["f2", "mlp.fc2.bias"], ["f2b"], name="/mlp/fc2_bias"),
        n("Add", ["r1", "f2b"], ["y"], name="/residual2"),
    ]
    graph = helper.make_graph(nodes, "transformer_block",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", t, d])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", t, d])], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="onnx.helper")


@functools.cache
def targets() -> list[str]:
    """eager and numpy always; triton where a GPU or Triton's interpreter is there."""
    out = ["eager", "numpy"]
    try:
        tfir.compile_source("fn f(x: f32[1]) -> f32[1] { return x; }", target="triton")
    except tfir.TfirError as err:  # no Triton here: say so and go on
        print(f"(triton target skipped: {str(err).splitlines()[0]})")
    else:
        out.append("triton")
    return out


def compare(name: str, model: onnx.ModelProto, x: np.ndarray, initializers: str) -> bool:
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    want = session.run(None, {session.get_inputs()[0].name: x})[0]
    ok = True
    for target in targets():
        prog = tfir.from_onnx(model, target=target, initializers=initializers)
        got = prog(x)
        err = float(np.max(np.abs(got - want)))
        good = got.shape == want.shape and np.allclose(got, want, rtol=1e-4, atol=1e-5)
        ok &= good
        print(f"  {name:18} {target:7} shape {list(got.shape)}  max |tfir - onnxruntime| = {err:.2e}  "
              f"{'ok' if good else 'MISMATCH'}")
    return ok


def main() -> int:
    rng = np.random.default_rng(0)
    mlp_model, block = mlp(), transformer_block()
    print("The transformer block as .tf (weights as parameters), its first lines:")
    lines = tfir.onnx.import_source(block, initializers="parameters").source.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("fn transformer_block"))
    print("\n".join("    " + line for line in lines[start:start + 26]) + "\n    ...\n")
    ok = compare("mlp", mlp_model, rng.standard_normal((8, 32)).astype(np.float32), "constants")
    ok &= compare("mlp (batch 3)", mlp_model, rng.standard_normal((3, 32)).astype(np.float32), "constants")
    ok &= compare("transformer block", block, rng.standard_normal((2, 16, 64)).astype(np.float32), "parameters")
    print("all match ONNX Runtime" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    os.environ.setdefault("TFIR_CACHE", "0")
    sys.exit(main())
