"""Tools for learning backprop: explain (one step with every number)."""
