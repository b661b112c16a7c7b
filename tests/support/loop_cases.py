"""Hand-written modules of the `linalg` stage (tensors) and their builders,
shared by the tests of bufferize, plan-buffers, tile-linalg,
convert-linalg-to-scalar-loops and the mlir target."""

from __future__ import annotations

ID2 = "affine_map<(d0, d1) -> (d0, d1)>"


ROW = "affine_map<(d0, d1) -> (d0)>"


def generic(out: str, ins: list[tuple[str, str]], init: tuple[str, str], maps: list[str],
            iters: str, body: list[str], rtype: str) -> str:
    """One `linalg.generic` line; body args are %x0.. for ins and %o."""
    names = ", ".join(v for v, _ in ins)
    types = ", ".join(t for _, t in ins)
    args = ", ".join([*(f"%x{i}: {elem(t)}" for i, (_, t) in enumerate(ins)), f"%o: {elem(init[1])}"])
    return "\n".join([
        f"  {out} = linalg.generic {{indexing_maps = [{', '.join(maps)}], iterator_types = [{iters}]}}"
        f" ins({names} : {types}) outs({init[0]} : {init[1]}) {{",
        f"  ^bb0({args}):",
        *(f"    {line}" for line in body),
        f"  }} -> {rtype}",
    ])


def elem(t: str) -> str:
    return t.rsplit("x", 1)[-1].rstrip(">") if "x" in t else t.split("<")[1].rstrip(">")


def module(sig: str, results: str, *lines: str) -> str:
    rvals, rtypes = results.split(" : ")
    return "\n".join([f"func.func @main({sig}) -> ({rtypes}) {{", *lines,
                      f"  func.return {rvals} : {rtypes}", "}"])


MATMUL_BIAS = module(
    "%a: tensor<4x8xf32>, %b: tensor<8x3xf32>",
    "%g, %t : tensor<4x3xf32>, tensor<3x4xf32>",
    "  %e = tensor.empty() : tensor<4x3xf32>",
    "  %z = arith.constant 0.0 : f32",
    "  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x3xf32>) -> tensor<4x3xf32>",
    "  %m = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x3xf32>) outs(%f : tensor<4x3xf32>) -> tensor<4x3xf32>",
    "  %c = arith.constant dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>",
    "  %e2 = tensor.empty() : tensor<3x4xf32>",
    "  %t = linalg.transpose ins(%m : tensor<4x3xf32>) outs(%e2 : tensor<3x4xf32>) permutation = [1, 0]",
    generic("%g", [("%m", "tensor<4x3xf32>"), ("%c", "tensor<1x3xf32>")], ("%e", "tensor<4x3xf32>"),
            [ID2, "affine_map<(d0, d1) -> (0, d1)>", ID2], '"parallel", "parallel"',
            ["%s = arith.addf %x0, %x1 : f32", "linalg.yield %s : f32"], "tensor<4x3xf32>"),
)


def neg(out: str, src: str, t: str, init: str) -> str:
    return generic(out, [(src, t)], (init, t), [ID2, ID2], '"parallel", "parallel"',
                   ["%s = arith.negf %x0 : f32", "linalg.yield %s : f32"], t)


T23 = "tensor<2x3xf32>"


CONCAT_STACK = module(
    "%a: tensor<2x3xf32>, %b: tensor<4x3xf32>",
    "%s2, %t3, %u2 : tensor<6x3xf32>, tensor<3x2x3xf32>, tensor<2x2x3xf32>",
    # concat([-a, b], axis=0)
    "  %d = tensor.empty() : tensor<6x3xf32>",
    "  %e = tensor.empty() : tensor<2x3xf32>",
    neg("%n", "%a", T23, "%e"),
    "  %s1 = tensor.insert_slice %n into %d[0, 0] [2, 3] [1, 1] : tensor<2x3xf32> into tensor<6x3xf32>",
    "  %s2 = tensor.insert_slice %b into %s1[2, 0] [4, 3] [1, 1] : tensor<4x3xf32> into tensor<6x3xf32>",
    # stack([a, -a, a], axis=0)
    "  %d2 = tensor.empty() : tensor<3x2x3xf32>",
    "  %e2 = tensor.empty() : tensor<2x3xf32>",
    neg("%n2", "%a", T23, "%e2"),
    "  %x2 = tensor.expand_shape %n2 [[0, 1], [2]] output_shape [1, 2, 3] : tensor<2x3xf32> into tensor<1x2x3xf32>",
    "  %xa = tensor.expand_shape %a [[0, 1], [2]] output_shape [1, 2, 3] : tensor<2x3xf32> into tensor<1x2x3xf32>",
    "  %t1 = tensor.insert_slice %xa into %d2[0, 0, 0] [1, 2, 3] [1, 1, 1] : tensor<1x2x3xf32> into tensor<3x2x3xf32>",
    "  %t2 = tensor.insert_slice %x2 into %t1[1, 0, 0] [1, 2, 3] [1, 1, 1] : tensor<1x2x3xf32> into tensor<3x2x3xf32>",
    "  %t3 = tensor.insert_slice %xa into %t2[2, 0, 0] [1, 2, 3] [1, 1, 1] : tensor<1x2x3xf32> into tensor<3x2x3xf32>",
    # stack([-a, a], axis=1)
    "  %d3 = tensor.empty() : tensor<2x2x3xf32>",
    "  %e3 = tensor.empty() : tensor<2x3xf32>",
    neg("%n3", "%a", T23, "%e3"),
    "  %x3 = tensor.expand_shape %n3 [[0], [1, 2]] output_shape [2, 1, 3] : tensor<2x3xf32> into tensor<2x1x3xf32>",
    "  %u1 = tensor.insert_slice %x3 into %d3[0, 0, 0] [2, 1, 3] [1, 1, 1] : tensor<2x1x3xf32> into tensor<2x2x3xf32>",
    "  %ya = tensor.expand_shape %a [[0], [1, 2]] output_shape [2, 1, 3] : tensor<2x3xf32> into tensor<2x1x3xf32>",
    "  %u2 = tensor.insert_slice %ya into %u1[0, 1, 0] [2, 1, 3] [1, 1, 1] : tensor<2x1x3xf32> into tensor<2x2x3xf32>",
)


ALIASES = module(
    "%a: tensor<5x6xf32>",
    "%a, %r, %r, %c, %s : tensor<5x6xf32>, tensor<30xf32>, tensor<30xf32>, tensor<5x3xf32>, tensor<3xf32>",
    "  %r = tensor.collapse_shape %a [[0, 1]] : tensor<5x6xf32> into tensor<30xf32>",
    "  %v = tensor.extract_slice %a[0, 1] [5, 3] [1, 2] : tensor<5x6xf32> to tensor<5x3xf32>",
    "  %c = arith.constant dense<2.5> : tensor<5x3xf32>",
    "  %w = tensor.extract_slice %v[2, 0] [1, 3] [1, 1] : tensor<5x3xf32> to tensor<1x3xf32>",
    "  %s = tensor.collapse_shape %w [[0, 1]] : tensor<1x3xf32> into tensor<3xf32>",
)


STRIDED_COLLAPSE = module(
    "%a: tensor<4x6xf32>",
    "%r : tensor<12xf32>",
    "  %v = tensor.extract_slice %a[0, 0] [4, 3] [1, 1] : tensor<4x6xf32> to tensor<4x3xf32>",
    "  %c = tensor.collapse_shape %v [[0, 1]] : tensor<4x3xf32> into tensor<12xf32>",
    "  %e = tensor.empty() : tensor<12xf32>",
    generic("%r", [("%c", "tensor<12xf32>")], ("%e", "tensor<12xf32>"),
            ["affine_map<(d0) -> (d0)>", "affine_map<(d0) -> (d0)>"], '"parallel"',
            ["%s = arith.mulf %x0, %x0 : f32", "linalg.yield %s : f32"], "tensor<12xf32>"),
)


SHARED_INIT = module(
    "%a: tensor<3x4xf32>",
    "%s, %p : tensor<3xf32>, tensor<3xf32>",
    "  %e = tensor.empty() : tensor<3xf32>",
    "  %z = arith.constant 1.0 : f32",
    "  %f = linalg.fill ins(%z : f32) outs(%e : tensor<3xf32>) -> tensor<3xf32>",
    generic("%s", [("%a", "tensor<3x4xf32>")], ("%f", "tensor<3xf32>"), [ID2, ROW],
            '"parallel", "reduction"', ["%r = arith.addf %x0, %o : f32", "linalg.yield %r : f32"],
            "tensor<3xf32>"),
    generic("%p", [("%a", "tensor<3x4xf32>")], ("%f", "tensor<3xf32>"), [ID2, ROW],
            '"parallel", "reduction"', ["%r = arith.mulf %x0, %o : f32", "linalg.yield %r : f32"],
            "tensor<3xf32>"),
)


ARGMAX = module(
    "%a: tensor<3x5xf32>",
    "%r#0, %r#1 : tensor<3xf32>, tensor<3xi64>",
    "  %ev = tensor.empty() : tensor<3xf32>",
    "  %ei = tensor.empty() : tensor<3xi64>",
    "  %ninf = arith.constant 0xFF800000 : f32",
    "  %zero = arith.constant 0 : i64",
    "  %fv = linalg.fill ins(%ninf : f32) outs(%ev : tensor<3xf32>) -> tensor<3xf32>",
    "  %fi = linalg.fill ins(%zero : i64) outs(%ei : tensor<3xi64>) -> tensor<3xi64>",
    "  %r:2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = [\"parallel\", \"reduction\"]} ins(%a : tensor<3x5xf32>) outs(%fv, %fi : tensor<3xf32>, tensor<3xi64>) {",
    "  ^bb0(%x: f32, %v: f32, %i: i64):",
    "    %idx = linalg.index 1 : index",
    "    %ii = arith.index_cast %idx : index to i64",
    "    %gt = arith.cmpf ogt, %x, %v : f32",
    "    %nv = arith.select %gt, %x, %v : f32",
    "    %ni = arith.select %gt, %ii, %i : i64",
    "    linalg.yield %nv, %ni : f32, i64",
    "  } -> tensor<3xf32>, tensor<3xi64>",
)


CHAIN = module(
    "%a: tensor<4x6xf32>",
    "%x5 : tensor<24xf32>",
    "  %e1 = tensor.empty() : tensor<4x6xf32>",
    neg("%x1", "%a", "tensor<4x6xf32>", "%e1"),
    "  %e2 = tensor.empty() : tensor<4x6xf32>",
    generic("%x2", [("%x1", "tensor<4x6xf32>")], ("%e2", "tensor<4x6xf32>"), [ID2, ID2],
            '"parallel", "parallel"', ["%s = arith.mulf %x0, %x0 : f32", "linalg.yield %s : f32"],
            "tensor<4x6xf32>"),
    "  %e3 = tensor.empty() : tensor<6x4xf32>",
    "  %x3 = linalg.transpose ins(%x2 : tensor<4x6xf32>) outs(%e3 : tensor<6x4xf32>) permutation = [1, 0]",
    "  %e4 = tensor.empty() : tensor<6x4xf32>",
    generic("%x4", [("%x3", "tensor<6x4xf32>")], ("%e4", "tensor<6x4xf32>"), [ID2, ID2],
            '"parallel", "parallel"', ["%s = arith.addf %x0, %x0 : f32", "linalg.yield %s : f32"],
            "tensor<6x4xf32>"),
    "  %c = tensor.collapse_shape %x4 [[0, 1]] : tensor<6x4xf32> into tensor<24xf32>",
    "  %e5 = tensor.empty() : tensor<24xf32>",
    generic("%x5", [("%c", "tensor<24xf32>")], ("%e5", "tensor<24xf32>"),
            ["affine_map<(d0) -> (d0)>", "affine_map<(d0) -> (d0)>"], '"parallel"',
            ["%s = arith.addf %x0, %x0 : f32", "linalg.yield %s : f32"], "tensor<24xf32>"),
)


EXTERNAL_CALL = "\n".join([
    "func.func @main(%a: tensor<4x6xf32>) -> tensor<4x3xf32> {",
    "  %v = tensor.extract_slice %a[0, 0] [4, 3] [1, 1] : tensor<4x6xf32> to tensor<4x3xf32>",
    "  %r = func.call @mylib_cumsum(%v) : (tensor<4x3xf32>) -> tensor<4x3xf32>",
    "  func.return %r : tensor<4x3xf32>",
    "}",
    'func.func private @mylib_cumsum(tensor<4x3xf32>) -> tensor<4x3xf32> attributes {tfir.external = "mylib.cumsum"}',
])


STRIDED_MAPS = module(
    "%a: tensor<7x4xf32>, %b: tensor<4xf32>",
    "%r, %v : tensor<3x4xf32>, tensor<4x4xf32>",
    # x[1::2] read through `d0 * 2 + 1`, plus a broadcast row
    "  %e = tensor.empty() : tensor<3x4xf32>",
    generic("%r", [("%a", "tensor<7x4xf32>"), ("%b", "tensor<4xf32>")], ("%e", "tensor<3x4xf32>"),
            ["affine_map<(d0, d1) -> (d0 * 2 + 1, d1)>", "affine_map<(d0, d1) -> (d1)>", ID2],
            '"parallel", "parallel"',
            ["%s = arith.subf %x0, %x1 : f32", "linalg.yield %s : f32"], "tensor<3x4xf32>"),
    # x[6:2:-1, ::-1] read through `d0 * -1 + 6` and `d1 * -1 + 3`
    "  %e2 = tensor.empty() : tensor<4x4xf32>",
    generic("%v", [("%a", "tensor<7x4xf32>")], ("%e2", "tensor<4x4xf32>"),
            ["affine_map<(d0, d1) -> (d0 * -1 + 6, d1 * -1 + 3)>", ID2], '"parallel", "parallel"',
            ["linalg.yield %x0 : f32"], "tensor<4x4xf32>"),
)


FULL_REDUCE = module(
    "%a: tensor<2x3xi32>",
    "%m, %i : tensor<i32>, tensor<2x3xi64>",
    "  %e = tensor.empty() : tensor<i32>",
    "  %lo = arith.constant -2147483648 : i32",
    "  %f = linalg.fill ins(%lo : i32) outs(%e : tensor<i32>) -> tensor<i32>",
    generic("%m", [("%a", "tensor<2x3xi32>")], ("%f", "tensor<i32>"),
            [ID2, "affine_map<(d0, d1) -> ()>"], '"reduction", "reduction"',
            ["%r = arith.maxsi %x0, %o : i32", "linalg.yield %r : i32"], "tensor<i32>"),
    # iota over the flat index, as `linalg.index` computes it
    "  %e2 = tensor.empty() : tensor<2x3xi64>",
    "  %i = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = [\"parallel\", \"parallel\"]} outs(%e2 : tensor<2x3xi64>) {",
    "  ^bb0(%o: i64):",
    "    %r = linalg.index 0 : index",
    "    %c = linalg.index 1 : index",
    "    %three = arith.constant 3 : index",
    "    %rr = arith.muli %r, %three : index",
    "    %s = arith.addi %rr, %c : index",
    "    %v = arith.index_cast %s : index to i64",
    "    linalg.yield %v : i64",
    "  } -> tensor<2x3xi64>",
)


SOFTMAXISH = module(
    "%a: tensor<2x5xf32>",
    "%r : tensor<2x5xf32>",
    "  %ninf = arith.constant 0xFF800000 : f32",
    "  %zero = arith.constant 0.0 : f32",
    "  %e = tensor.empty() : tensor<2xf32>",
    "  %f = linalg.fill ins(%ninf : f32) outs(%e : tensor<2xf32>) -> tensor<2xf32>",
    generic("%mx", [("%a", "tensor<2x5xf32>")], ("%f", "tensor<2xf32>"),
            [ID2, "affine_map<(d0, d1) -> (d0)>"], '"parallel", "reduction"',
            ["%r = arith.maximumf %x0, %o : f32", "linalg.yield %r : f32"], "tensor<2xf32>"),
    "  %e2 = tensor.empty() : tensor<2xf32>",
    "  %f2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<2xf32>) -> tensor<2xf32>",
    generic("%sm", [("%a", "tensor<2x5xf32>"), ("%mx", "tensor<2xf32>")], ("%f2", "tensor<2xf32>"),
            [ID2, "affine_map<(d0, d1) -> (d0)>", "affine_map<(d0, d1) -> (d0)>"],
            '"parallel", "reduction"',
            ["%d = arith.subf %x0, %x1 : f32", "%x = math.exp %d : f32",
             "%r = arith.addf %x, %o : f32", "linalg.yield %r : f32"], "tensor<2xf32>"),
    "  %e3 = tensor.empty() : tensor<2x5xf32>",
    generic("%r", [("%a", "tensor<2x5xf32>"), ("%mx", "tensor<2xf32>"), ("%sm", "tensor<2xf32>")],
            ("%e3", "tensor<2x5xf32>"),
            [ID2, "affine_map<(d0, d1) -> (d0)>", "affine_map<(d0, d1) -> (d0)>", ID2],
            '"parallel", "parallel"',
            ["%d = arith.subf %x0, %x1 : f32", "%x = math.exp %d : f32",
             "%q = arith.divf %x, %x2 : f32", "linalg.yield %q : f32"], "tensor<2x5xf32>"),
)


ALL = {
    "matmul": MATMUL_BIAS, "concat": CONCAT_STACK, "aliases": ALIASES,
    "strided": STRIDED_COLLAPSE, "shared": SHARED_INIT, "argmax": ARGMAX, "chain": CHAIN,
    "maps": STRIDED_MAPS, "full_reduce": FULL_REDUCE, "softmax": SOFTMAXISH,
}


def big(m: int, n: int, k: int) -> str:
    """Bias-add, row-sum and matmul on [m, n] and [n, k] f32 operands."""
    return module(
        f"%a: tensor<{m}x{n}xf32>, %b: tensor<{n}xf32>, %w: tensor<{n}x{k}xf32>",
        f"%x, %s, %p : tensor<{m}x{n}xf32>, tensor<{m}xf32>, tensor<{m}x{k}xf32>",
        f"  %e = tensor.empty() : tensor<{m}x{n}xf32>",
        generic("%x", [("%a", f"tensor<{m}x{n}xf32>"), ("%b", f"tensor<{n}xf32>")],
                ("%e", f"tensor<{m}x{n}xf32>"), [ID2, "affine_map<(d0, d1) -> (d1)>", ID2],
                '"parallel", "parallel"', ["%r = arith.addf %x0, %x1 : f32", "linalg.yield %r : f32"],
                f"tensor<{m}x{n}xf32>"),
        "  %z = arith.constant 0.0 : f32",
        f"  %e2 = tensor.empty() : tensor<{m}xf32>",
        f"  %f2 = linalg.fill ins(%z : f32) outs(%e2 : tensor<{m}xf32>) -> tensor<{m}xf32>",
        generic("%s", [("%a", f"tensor<{m}x{n}xf32>")], ("%f2", f"tensor<{m}xf32>"), [ID2, ROW],
                '"parallel", "reduction"', ["%r = arith.addf %x0, %o : f32", "linalg.yield %r : f32"],
                f"tensor<{m}xf32>"),
        f"  %e3 = tensor.empty() : tensor<{m}x{k}xf32>",
        f"  %f3 = linalg.fill ins(%z : f32) outs(%e3 : tensor<{m}x{k}xf32>) -> tensor<{m}x{k}xf32>",
        f"  %p = linalg.matmul ins(%a, %w : tensor<{m}x{n}xf32>, tensor<{n}x{k}xf32>) outs(%f3 : tensor<{m}x{k}xf32>) -> tensor<{m}x{k}xf32>",
    )


SMALL = {"min_points": 4, "max_tile_bytes": 48}
