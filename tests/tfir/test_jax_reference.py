"""The JAX reference of `.tf` programs (tfir.testing.jax_reference): the
source run by JAX with `gradients` as `jax.grad`, independent of tfir's IR
and gradient rules. It must agree with eager on the conformance programs,
the examples and random gradient programs (at smooth points and at kinks),
and it must tell a wrong gradient (optional: skipped without jax)."""

from __future__ import annotations

import numpy as np
import pytest

import tfir
from tests.support.common import CONFORMANCE, EXAMPLES, conformance_cases
from tfir.inputs import random_inputs
from tfir.testing import jax_reference
from tfir.testing.campaign import CampaignSpec, run_campaign
from tfir.testing.differential import run_on
from tfir.testing.gradcheck import FORMS, gradient_case, jax_failure, kinked

pytestmark = pytest.mark.skipif(not jax_reference.available(), reason="jax is not installed")

V2 = CONFORMANCE / "v2"
CASES = [(V2, c) for c in conformance_cases(V2)] + [(CONFORMANCE, c) for c in conformance_cases()]
SLOW = {"v2_long_loop", "v2_grad_bptt_long"}  # many iterations of Python-driven JAX ops


def reference(source: str, entry: str, inputs: dict) -> list[np.ndarray]:
    with np.errstate(all="ignore"):
        return [np.asarray(v) for v in jax_reference.Interpreter(source)(entry, inputs)]


def assert_agree(got: list[np.ndarray], want: tuple, what: str) -> None:
    assert len(got) == len(want), what
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        w = np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, f"{what} result {k}: {g.dtype}{g.shape} != {w.dtype}{w.shape}"
        if w.dtype.kind == "f":
            tol = 1e-12 if w.dtype == np.float64 else 2e-5
            np.testing.assert_allclose(g, w, rtol=tol, atol=tol * max(1.0, float(np.nanmax(np.abs(w), initial=0))),
                                       err_msg=f"{what} result {k}")
        else:
            np.testing.assert_array_equal(g, w, err_msg=f"{what} result {k}")


RUNS = [(s, c) for s, c in CASES if not getattr(c, "raises", None) and c.name not in SLOW
        and (s / "programs" / c.file).exists() and "import" not in (s / "programs" / c.file).read_text()]


@pytest.mark.skipif(not RUNS, reason="../shared/conformance is not here")
@pytest.mark.parametrize(("suite", "case"), RUNS, ids=[c.name for _, c in RUNS])
def test_reference_equals_eager_on_conformance(suite, case) -> None:  # noqa: ANN001 - a cases.py Case
    """Every conformance program, the v2 gradient and training ones included."""
    source = (suite / "programs" / case.file).read_text()
    inputs = case.inputs(np.random.default_rng(case.seed))
    with np.errstate(all="ignore"):
        want = tfir.compile_source(source, case.file, target="eager")[case.entry](**inputs)
    assert_agree(reference(source, case.entry, inputs), want if isinstance(want, tuple) else (want,), case.name)


@pytest.mark.parametrize("path", [p for p in EXAMPLES if not p.name.startswith("train_")], ids=lambda p: p.name)
def test_reference_equals_eager_on_examples(path) -> None:  # noqa: ANN001
    source = path.read_text()
    interp = jax_reference.Interpreter(source, path.name)
    entry = list(interp.fns)[-1]
    inputs = random_inputs(interp.fns[entry], {}, {}, 0)
    want = tfir.compile_source(source, path.name, target="eager")[entry](**inputs)
    assert_agree(reference(source, entry, inputs), want if isinstance(want, tuple) else (want,), path.name)


def test_reference_semantics_by_hand() -> None:
    """Values worked out by hand, not by eager: the reference is checked on its own."""
    source = """
fn f(x: f64[3], t: f64[2, 3, 4], i: i32[5], s: i32) -> (f32[2], f64[3], f64[3, 5], f64[3], f64[3], f64[3]) {
    let a = full([2], 1.5);
    let b = x * 2 + rsqrt(dim(x, 0) + 1);
    let picked = t[0, :, i];
    let z = x * x;
    let y = z * 3.0 + x;
    let gz, gx = gradients(y, [z, x]);
    let g = gradients(x * x * x, [x]);
    let gg = gradients(g, [x]);
    let total = x;
    for k in range(3) {
        let total = total + x[s];
    }
    return a, b, picked, gz, gx, gg + total;
}"""
    x = np.array([0.5, -1.0, 2.0])
    t = np.arange(24.0).reshape(2, 3, 4)
    i = np.array([3, 0, -1, 2, 1], np.int32)
    a, b, picked, gz, gx, last = reference(source, "f", {"x": x, "t": t, "i": i, "s": np.int32(-1)})
    assert a.dtype == np.float32 and b.dtype == np.float64  # a literal alone is f32
    np.testing.assert_allclose(b, x * 2 + 0.5)
    np.testing.assert_array_equal(picked, t[0][:, [3, 0, 3, 2, 1]])  # the gathered axis stays in place
    np.testing.assert_allclose(gz, [3.0, 3.0, 3.0])  # d(3z + x)/dz
    np.testing.assert_allclose(gx, 6 * x + 1)  # the total derivative, through z
    np.testing.assert_allclose(last, 6 * x + x + 3 * x[-1])  # d2(x^3)/dx2, plus a loop of x[-1]


def test_kinks_as_jax() -> None:
    """At the kinks the reference is jax.grad's (spec: relu 0 at 0, abs 1 at 0,
    maximum half on a tie, max split among tied elements)."""
    source = """
fn f(x: f64[4], y: f64[4]) -> (f64[4], f64[4], f64[4], f64[4]) {
    let a, b = gradients(relu(x) + abs(y), [x, y]);
    let c = gradients(maximum(x, y), [x]);
    let d = gradients(max(y), [y]);
    return a, b, c, d;
}"""
    x = np.array([0.0, 1.0, -1.0, 0.0])
    y = np.array([0.0, 1.0, 1.0, -2.0])
    a, b, c, d = reference(source, "f", {"x": x, "y": y})
    np.testing.assert_array_equal(a, [0, 1, 0, 0])
    np.testing.assert_array_equal(b, [1, 1, 1, -1])
    np.testing.assert_array_equal(c, [0.5, 0.5, 0, 1])
    np.testing.assert_array_equal(d, [0, 0.5, 0.5, 0])


def test_jax_check_sees_a_wrong_gradient() -> None:
    for seed in range(20):
        case = gradient_case(seed)
        if case is None or case.form != "loss":
            continue
        grads = run_on("eager", case.source, case.entry, case.inputs)
        if not any(np.abs(g).max(initial=0) > 1e-3 for g in grads):
            continue
        assert jax_failure(case, case.inputs, grads) is None
        assert jax_failure(case, case.inputs, [g * 1.001 for g in grads]) is not None
        return
    pytest.fail("no case with a nonzero gradient")


def test_every_form_at_smooth_points_and_kinks() -> None:
    """Random gradient programs in each wrapper form (FORMS), on eager and numpy,
    against jax.grad at the generator's point and with the inputs rounded to
    halves (ties, zeros); finite differences too where they apply."""
    cases = [gradient_case(seed) for seed in range(600, 600 + 2 * len(FORMS))]
    assert {c.form for c in cases if c is not None} == set(FORMS)
    assert any(np.any(kinked(c)[n] == 0) for c in cases if c is not None for n in c.wrt)
    result = run_campaign(CampaignSpec("gradients", ("numpy",), seed=600, count=2 * len(FORMS), jobs=2,
                                       timeout=120))
    assert not result.failures, result.summary()


ACROSS_BLOCKS = """
fn main(x: f64[3], w: f64[3]) -> (f64[3], f64[3], f64[3]) {
    let h = x * w;
    let acc = zeros([3], f64);
    let c = w;
    for i in range(2) {
        let g = gradients(sum(h * w * c), [w]);
        let acc = acc + g;
        let c = c * 2.0;
    }
    let b = zeros([3], f64);
    if sum(x) > 0.0 {
        let b = gradients(sum(h * w), [w]);
    }
    let d = gradients(sum(h * w), [w]);
    return acc, b, d;
}"""


@pytest.mark.parametrize("target", ["reference", "eager", "numpy"])
def test_gradients_inside_blocks_are_total_derivatives(target: str) -> None:
    """A `gradients` in a loop or branch reaches `w` through `h`, bound before
    the block (a total derivative); a loop's carried `c` is its iteration's
    input (the IR's block argument), not a function of `w`: worked by hand,
    sum(x w w c) gives 2 x w c, with c = w and then 2 w."""
    x, w = np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.0, 2.0])
    if target == "reference":
        got = reference(ACROSS_BLOCKS, "main", {"x": x, "w": w})
    else:
        got = tfir.compile_source(ACROSS_BLOCKS, "blocks.tf", target=target).main(x, w)
    np.testing.assert_allclose(got[0], 2 * x * w * w + 2 * x * w * 2 * w)
    np.testing.assert_allclose(got[1], 2 * x * w)
    np.testing.assert_allclose(got[2], 2 * x * w)
