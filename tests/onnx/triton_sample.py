"""Runs a sample of ONNX's node tests on tfir's triton target; run by
test_triton_sample.py in a subprocess with TRITON_INTERPRET=1. Prints
`ok NAME` or `FAIL NAME: why` per test."""

from __future__ import annotations

import sys

import onnx
from onnx.backend.test.loader import load_model_tests
from onnx.backend.test.runner import Runner

from tfir.onnx.backend import TfirTritonBackend

SAMPLE = [
    "test_add_bcast", "test_sub", "test_mul", "test_div", "test_pow", "test_relu", "test_sigmoid", "test_tanh",
    "test_exp", "test_sqrt", "test_where_example", "test_cast_FLOAT_to_DOUBLE", "test_greater",
    "test_reduce_sum_keepdims_random", "test_reduce_mean_default_axes_keepdims_random",
    "test_reduce_max_do_not_keepdims_random", "test_argmax_keepdims_random", "test_matmul_3d",
    "test_gemm_all_attributes", "test_softmax_axis_1", "test_logsoftmax_axis_0",
    "test_layer_normalization_3d_axis1_epsilon", "test_transpose_all_permutations_3", "test_slice_neg_steps",
    "test_concat_2d_axis_1", "test_reshape_negative_dim", "test_flatten_axis2", "test_unsqueeze_two_axes",
    "test_expand_dim_changed", "test_gelu_tanh_1", "test_mod_int64_fmod",
    # ops of .tf version 2
    "test_basic_conv_with_padding", "test_conv_with_strides_and_asymmetric_padding", "test_maxpool_2d_pads",
    "test_averagepool_2d_ceil", "test_gather_negative_indices", "test_gather_elements_1",
    "test_scatter_elements_with_duplicate_indices", "test_scatternd", "test_onehot_with_axis",
    "test_cumsum_1d_reverse_exclusive", "test_einsum_batch_matmul", "test_edge_pad", "test_tile",
    "test_triu_neg", "test_clip", "test_elu", "test_softplus", "test_sce_mean_weight_ii",
    "test_nllloss_NCd1d2_with_weight_reduction_mean", "test_range_float_type_positive_delta_expanded",
]


def main() -> int:
    cases = {c.name: c for c in load_model_tests(kind="node")}
    for name in SAMPLE:
        case = cases[name]
        try:
            rep = TfirTritonBackend.prepare(case.model, "CPU")
            for inputs, outputs in case.data_sets:
                arrays = [onnx.numpy_helper.to_array(i) if isinstance(i, onnx.TensorProto) else i for i in inputs]
                refs = [onnx.numpy_helper.to_array(o) if isinstance(o, onnx.TensorProto) else o for o in outputs]
                Runner.assert_similar_outputs(refs, list(rep.run(arrays)), case.rtol, case.atol)
        except Exception as err:  # noqa: BLE001 - reported per test
            print(f"FAIL {name}: {type(err).__name__}: {str(err)[:300]}".replace("\n", " "), flush=True)
        else:
            print(f"ok {name}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
