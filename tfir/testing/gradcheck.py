"""Random programs under `gradients` (`tfir fuzz --gradients`).

A generated program (f64 floats, no `while`, no NaN or inf inputs) is
wrapped in a function that weights its float results by random tensors,
sums them into a loss and asks for the gradient with respect to every f64
parameter:

```
fn grad_main(x: f64[3, N], i: i64[N], c0: f64[N]) -> (f64[3, N],) {
    let r0 = main(x, i);
    let loss = sum(r0 * c0);
    let g0 = gradients(loss, [x]);
    return g0;
}
```

Eager's gradient is checked against central finite differences of eager's
loss along random directions (independent of the `differentiate` pass: only
the forward program is run), and every compiled target must give eager's
gradient. The generator keeps values away from the discontinuities of
comparisons, floors and casts, so the loss is smooth at the point.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from tfir import api
from tfir.testing import jax_reference
from tfir.testing.differential import FILENAME, Checked, Failure, attempt_source, difference
from tfir.testing.gen_core import Program, Settings
from tfir.testing.generator import generate

EXCLUDED = frozenset({"while_loop"})  # a gradient through `while` is a diagnostic (use `for`)
STEP = 1e-5  # the finite differences' step, relative to the input's scale
DIRECTIONS = 2
RTOL = 1e-5  # of the directional derivative, relative to the sum of its terms' magnitudes
# The wrapper, by seed: the gradient of the weighted results ("loss"; the only form finite
# differences check), a Hessian-vector product ("second"), two descent steps in a loop ("loop").
FORMS = ("loss", "second", "loss", "loop")


@dataclass
class GradientCase:
    """A program, the wrapper that differentiates it, and the wrapper's inputs."""

    program: Program
    source: str
    entry: str
    inputs: dict[str, np.ndarray]
    wrt: list[str]
    weights: list[str]
    form: str = "loss"  # loss | second | loop (FORMS)


def gradient_settings(settings: Settings | None = None) -> Settings:
    s = settings or Settings()
    return dataclasses.replace(s, dtypes=("f64", "i32", "i64", "bool"), special_values=0.0,
                               exclude=s.exclude | EXCLUDED)


def gradient_case(seed: int, settings: Settings | None = None) -> GradientCase | None:
    """The gradient wrapper of the first of programs `8 * seed`, `8 * seed + 1`,
    ... with an f64 parameter and an f64 result; None if none has."""
    for attempt in range(8):
        p = generate(8 * seed + attempt, gradient_settings(settings))
        wrt = [n for n, a in p.inputs.items() if a.dtype == np.float64]
        floats = [i for i, v in enumerate(p.results) if v.dtype == "f64"]
        if wrt and floats:
            return _wrap(p, wrt, floats, seed)
    return None


def _wrap(p: Program, wrt: list[str], floats: list[int], seed: int) -> GradientCase:
    rng = np.random.default_rng(seed)
    names = [f"r{i}" for i in range(len(p.results))]
    weights = [f"c{i}" for i in floats]
    inputs = dict(p.inputs)
    for i, c in zip(floats, weights, strict=True):
        inputs[c] = rng.standard_normal(np.shape(p.results[i].ref)).astype(np.float64)
    form = FORMS[seed % len(FORMS)]
    args = [text.split(":")[0].strip() for text in p.params]
    types = {t.split(":")[0].strip(): t.split(":", 1)[1].strip() for t in p.params}
    params = [*p.params, *(f"{c}: {p.result_types[i]}" for i, c in zip(floats, weights, strict=True))]
    grads = [f"g{j}" for j in range(len(wrt))]
    body = [f"let {', '.join(names)} = {p.entry}({', '.join(args)});",
            "let loss = " + " + ".join(f"sum({names[i]} * {c})" for i, c in zip(floats, weights, strict=True)) + ";",
            f"let {', '.join(grads)} = gradients(loss, [{', '.join(wrt)}]);"]
    results = grads
    if form == "second":  # the gradient of a weighted sum of the gradient: Hessian-vector products
        dirs = [f"d{j}" for j in range(len(wrt))]
        inputs.update({d: rng.standard_normal(np.shape(p.inputs[n])) for d, n in zip(dirs, wrt, strict=True)})
        params += [f"{d}: {types[n]}" for d, n in zip(dirs, wrt, strict=True)]
        hess = [f"h{j}" for j in range(len(wrt))]
        inner = " + ".join(f"sum({g} * {d})" for g, d in zip(grads, dirs, strict=True))
        body.append(f"let {', '.join(hess)} = gradients({inner}, [{', '.join(wrt)}]);")
        results = hess
    elif form == "loop":  # two steps of gradient descent, each `gradients` in the loop's body
        body = ["for _step in range(2) {", *(f"    {line}" for line in body),
                # a bounded step (at most 0.01 per element): a large gradient would carry the next
                # step far from the generator's point, near a pole of `tan` or across a kink, where
                # rounding is amplified past any tolerance (seed 41000479: values of 9e11)
                *(f"    let {n} = {n} - 0.01 * {g} / (1.0 + abs({g}));" for n, g in zip(wrt, grads, strict=True)),
                "}"]
        results = wrt
    lines = [f"fn grad_{p.entry}({', '.join(params)}) -> ({', '.join(types[n] for n in wrt)},) {{",
             *(f"    {line}" for line in body), f"    return {', '.join(results)};", "}"]
    source = p.source + "\n" + "\n".join(lines) + "\n"
    return GradientCase(p, source, f"grad_{p.entry}", inputs, wrt, weights, form)


def _loss(case: GradientCase, forward: api.Program, inputs: dict[str, np.ndarray]) -> float:
    p = case.program
    out = forward[p.entry](**{k: v for k, v in inputs.items() if k in p.inputs})
    out = out if isinstance(out, tuple) else (out,)
    floats = [i for i, v in enumerate(p.results) if v.dtype == "f64"]
    return float(sum(np.sum(out[i] * inputs[c]) for i, c in zip(floats, case.weights, strict=True)))


def _central(case: GradientCase, forward: api.Program, dirs: dict[str, np.ndarray], h: float) -> float:
    plus = {**case.inputs, **{n: case.inputs[n] + h * d for n, d in dirs.items()}}
    minus = {**case.inputs, **{n: case.inputs[n] - h * d for n, d in dirs.items()}}
    return (_loss(case, forward, plus) - _loss(case, forward, minus)) / (2 * h)


def finite_difference_failure(case: GradientCase, grads: list[np.ndarray], seed: int) -> Failure | None:
    """Whether eager's gradient disagrees with finite differences of eager's loss
    (checked where those converge: steps h and h / 4 agree)."""
    rng = np.random.default_rng(seed + 1)
    forward = api.compile_source(case.program.source, FILENAME, target="eager", cache=False)
    for _ in range(DIRECTIONS):
        dirs = {n: rng.standard_normal(case.inputs[n].shape) for n in case.wrt}
        scale = max(1.0, *(float(np.abs(case.inputs[n]).max(initial=0.0)) for n in case.wrt))
        h = STEP * scale
        with np.errstate(all="ignore"):
            coarse, fd = _central(case, forward, dirs, h), _central(case, forward, dirs, h / 4)
            terms = [g * dirs[n] for g, n in zip(grads, case.wrt, strict=True)]
            analytic = float(sum(np.sum(t) for t in terms))
            magnitude = float(sum(np.sum(np.abs(t)) for t in terms))
        if not all(np.isfinite(v) for v in (coarse, fd, analytic, magnitude)):
            return None  # not smooth here (an overflow, a pole): nothing to check
        tol = RTOL * max(magnitude, abs(fd), 1e-3) + 1e3 * h * h
        if abs(coarse - fd) > tol:
            return None  # not smooth at this step (sin(exp(u)) of a large u): nothing to check
        if abs(fd - analytic) > tol:
            return Failure("gradient", "eager", f"directional derivative {analytic!r}, finite differences {fd!r}")
    return None


def kinked(case: GradientCase) -> dict[str, np.ndarray]:
    """The case's inputs with the differentiated ones rounded to halves: ties of
    `max` and `maximum`, `relu` and `abs` at 0, `clip` at a bound, `0 ** y` ...
    the non-smooth points where the spec asks for `jax.grad`'s values."""
    return {**case.inputs, **{n: np.round(case.inputs[n] * 2.0) / 2.0 for n in case.wrt}}


def check_gradients(case: GradientCase, targets: list[str] | tuple[str, ...], seed: int) -> Checked:
    """Eager's gradient against finite differences and (with JAX installed) against
    `jax.grad` of the source run by JAX, then every target against eager; again at
    the kinked point, where finite differences do not apply."""
    out = Checked()
    for point, inputs in (("", case.inputs), (" at kinks", kinked(case))):
        eager, failure = attempt_source("eager", case.source, case.entry, inputs)
        if not out.ran:
            out.ran.append("eager")
        if point and failure is not None and failure.message.startswith("ExecutionError"):
            return out  # the rounded inputs meet a run-time error of the program (an index, `x ** -1`)
        if failure is not None or eager is None:
            out.failures.append(failure or Failure("crash", "eager", "no results"))
            return out
        bad = finite_difference_failure(case, eager, seed) if not point and case.form == "loss" else None
        bad = bad or jax_failure(case, inputs, eager)
        if bad is not None:
            bad.message += point
            out.failures.append(bad)
        for target in targets:
            if target != "eager":
                failure = _target_failure(case, inputs, eager, target)
                if target not in out.ran:
                    out.ran.append(target)
                if failure is not None:
                    failure.message += point
                    out.failures.append(failure)
        if out.failures:
            break
    return out


def _target_failure(case: GradientCase, inputs: dict[str, np.ndarray], eager: list[np.ndarray],
                    target: str) -> Failure | None:
    got, failure = attempt_source(target, case.source, case.entry, inputs)
    if failure is None and got is not None:
        for k, (g, w) in enumerate(zip(got, eager, strict=False)):
            why = difference(g, w, "f64", _scale(w), exact=False)
            if why:
                return Failure("mismatch", target, f"gradient {k}: {why}")
    return failure


def _scale(w: np.ndarray) -> float:
    return max(1.0, float(np.abs(w[np.isfinite(w)]).max(initial=0.0)))


def jax_failure(case: GradientCase, inputs: dict[str, np.ndarray], eager: list[np.ndarray]) -> Failure | None:
    """Whether eager's gradient differs from `jax.grad` of the same source run by
    JAX (jax_reference.py); None without JAX."""
    if not jax_reference.available():
        return None
    try:
        with np.errstate(all="ignore"):
            want = [np.asarray(w) for w in jax_reference.Interpreter(case.source, FILENAME)(case.entry, inputs)]
    except jax_reference.Unsupported:
        return None
    except Exception as err:  # noqa: BLE001 - the reference itself failed: report it, do not hide it
        return Failure("crash", "jax", f"the JAX reference: {type(err).__name__}: {str(err)[:300]}")
    for k, (g, w) in enumerate(zip(eager, want, strict=True)):
        # Where both are infinite or NaN, the form of a rule (JAX's jvp formula or tfir's),
        # not its value, decides between inf and NaN (inf * 0 in a Hessian): not compared.
        both = ~np.isfinite(g) & ~np.isfinite(w) if g.shape == w.shape else False
        why = difference(np.where(both, 0.0, g), np.where(both, 0.0, w), "f64", _scale(w), exact=False)
        if why:
            return Failure("reference", "eager", f"gradient {k} ({case.wrt[k]}) is not jax.grad's: {why}")
    return None
