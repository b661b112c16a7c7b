"""The attribute `split-batch` leaves on the per-chunk function for its caller
(`tfir.split`): how the chunk's results combine into the entry's."""

SPLIT_ATTR = "tfir.split"
