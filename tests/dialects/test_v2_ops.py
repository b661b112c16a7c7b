"""The `tf` ops of language version 2 as the eager target runs them: Philox
against the known-answer vector of its authors, the uniform conversions at
the extreme words, the documented meaning of every op."""

from __future__ import annotations

import numpy as np

import tfir
from tfir.dialects import tf
from tfir.dialects.tf import random as rnd


def test_philox_known_answer() -> None:
    """Random123's kat_vectors: philox4x32-10, counter 0 and key 0."""
    words = rnd.philox(0, np.array([0], np.uint64))
    assert [int(w[0]) for w in words] == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]


def test_seed_words_are_the_signed_64_bit_value() -> None:
    assert rnd.seed_key(-1) == (0xFFFFFFFF, 0xFFFFFFFF)
    assert rnd.seed_key(2**32 + 5) == (5, 1)
    a = rnd.random_uniform(-7, (10,), np.float32)
    assert a.dtype == np.float32 and (a >= 0).all() and (a < 1).all()


def test_uniform_bounds_at_the_extreme_words() -> None:
    """The largest words map below 1 in every dtype (the scales are chosen so)."""
    top = np.array([0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0], np.uint32)
    assert rnd.uniform32(top).max() < 1 and rnd.uniform32(top).min() == 0
    assert rnd.uniform64(top, top).max() < 1
    assert rnd.uniform16(top).max() < 1


def test_every_new_op_documents_its_meaning() -> None:
    for op in (*tf.MATH_OPS, *tf.STATS_OPS, *tf.SCAN_OPS, *tf.ARRAY_OPS, tf.EinsumOp, *tf.NN_OPS, *tf.RANDOM_OPS):
        doc = op.__doc__ or ""
        assert "```mlir" in doc and len(doc.split("```mlir")[0].split()) >= 5, op.name


def test_eager_is_the_numpy_reference() -> None:
    source = "fn main(x: f32[6]) -> (f32[6], f32[6]) {\n    return cumsum(x, 0), softplus(x);\n}\n"
    x = np.linspace(-3, 3, 6, dtype=np.float32)
    s, p = tfir.compile_source(source, target="eager").main(x)
    assert np.array_equal(s, np.cumsum(x)) and np.array_equal(p, np.logaddexp(np.float32(0), x))
