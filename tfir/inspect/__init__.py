"""Inspecting the lowering pipeline: IR dumps, timings, graphs, the HTML report."""
