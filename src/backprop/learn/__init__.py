"""Tools for learning backprop: explain (one step with every number) and the playground (a local web page)."""
