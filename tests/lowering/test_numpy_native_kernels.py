"""numpy-native-kernels (stage `schedule`, target numpy): the fused bodies C
can run are marked `tfir.native`, on the IR tile-linalg leaves; matmuls,
column sums, integer ops and small ops are not; `enabled=false` marks none."""

from __future__ import annotations

from tests.support.common import filecheck, parse_ir
from tests.support.stages import PROGRAMS, ir_after_each_pass
from tfir.lowering.numpy_native_kernels import NumpyNativeKernelsPass, worth_native
from tfir.lowering.utils.native_ops import NATIVE, native_form
from tfir.pipeline import make_context


def marked(ir: str) -> list[str]:
    module = parse_ir(ir)
    return [native_form(op) or "?" for op in module.walk() if NATIVE in op.attributes]


def test_layernorm_statistics_and_normalization_are_native() -> None:
    ir = ir_after_each_pass(PROGRAMS / "layernorm.tf", "numpy", M=512, K=256)
    assert "tfir.native" not in ir["tile-linalg"]
    # the row sum, the centred sum of squares, the normalization (the two
    # divisions by K are 512 points: too small to be worth a C call)
    assert sorted(marked(ir["numpy-native-kernels"])) == ["elementwise", "row-sum", "row-sum"]
    filecheck(ir["numpy-native-kernels"], """
CHECK:     linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}}attrs =  {tfir.native
CHECK:     math.sqrt
""")


def test_softmax_max_is_a_native_row_max() -> None:
    ir = ir_after_each_pass(PROGRAMS / "softmax.tf", "numpy", M=512, K=256)
    assert sorted(marked(ir["numpy-native-kernels"])) == ["elementwise", "elementwise", "row-max", "row-sum"]


def test_matmuls_column_sums_and_integers_stay_numpy() -> None:
    assert marked(ir_after_each_pass(PROGRAMS / "sumsq.tf", "numpy", M=512, K=256)["numpy-native-kernels"]) == []
    mlp = marked(ir_after_each_pass(PROGRAMS / "mlp.tf", "numpy", B=64, D=128, H=512)["numpy-native-kernels"])
    assert mlp == ["elementwise", "elementwise"]  # bias + relu, bias: the matmuls go to BLAS
    ints = "fn main(a: i32[256, 64], b: i32[256, 64]) -> i32[256, 64] { return a * b + a; }"
    assert marked(ir_after_each_pass(ints, "numpy")["numpy-native-kernels"]) == []


def test_disabled_marks_nothing() -> None:
    ir = ir_after_each_pass(PROGRAMS / "softmax.tf", "numpy", M=512, K=256)
    module = parse_ir(ir["tile-linalg"])
    NumpyNativeKernelsPass(enabled=False).apply(make_context(), module)
    assert "tfir.native" not in str(module)
    generic = next(op for op in module.walk() if op.name == "linalg.generic")
    assert worth_native(generic)  # it would be, when enabled
