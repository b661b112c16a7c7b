"""Code shared by several passes of `tfir.lowering` (and read by the backends):
no pass lives here, each pass is a module (or package) of `tfir.lowering`."""
