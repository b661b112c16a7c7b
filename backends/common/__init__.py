"""What every code generator shares: the indented emitter with its source
comments and reserved names, module loading, constant globals, helper code
and the imports of external implementations."""
