"""scikit-learn's callbacks (sklearn.callback, scikit-learn 1.9 and later) on the estimators' fits.

A fit is one task with one subtask per iteration (an epoch of sgd or adam, an L-BFGS iteration), so
est.set_callbacks(ProgressBar()) shows the epochs and ScoringMonitor(scoring=...) scores the model after
each. A callback whose on_fit_task_end returns True stops the iterations there. With an older
scikit-learn, which has no sklearn.callback, the estimators have no set_callbacks and FitTasks does nothing.
"""

try:
    from sklearn.callback import CallbackSupportMixin
except ImportError:  # scikit-learn before 1.9: no callback API to support

    class CallbackSupportMixin:
        """Nothing to add: this scikit-learn has no callbacks."""


class FitTasks:
    """The fit as scikit-learn's callbacks see it: a root task, then begin/end pairs of iteration subtasks.

    X and y are the data as fit received it (y unencoded, as scorers want it); iterations is the most
    subtasks the fit may run. Every hook gets a lazily made copy of the estimator with the current weights.
    """

    def __init__(self, est, X, y, sample_weight, iterations):
        self.est, self.X, self.y, self.open = est, X, y, None
        self.metadata = None if sample_weight is None else {"sample_weight": sample_weight}
        # The root context exists only where scikit-learn has callbacks and this estimator was given some.
        self.context = None
        if getattr(est, "_skl_callbacks", None) and hasattr(est, "_init_callback_context"):
            self.context = est._init_callback_context(max_subtasks=iterations)
            self.context.call_on_fit_task_begin(estimator=est, X=X, y=y, metadata=self.metadata)

    def begin_iteration(self):
        if self.context is not None:
            self.open = self.context.subcontext(task_name="iteration")
            self.open.call_on_fit_task_begin(estimator=self.est, X=self.X, y=self.y, metadata=self.metadata,
                                             reconstruction_attributes=self._fitted)

    def end_iteration(self, ran=True):
        """End the open iteration (ran=False: one that never ran, ended empty); True if a callback asks to stop."""
        if self.context is None or self.open is None:
            return False
        task, self.open = self.open, None
        if not ran:
            return task.call_on_fit_task_end(estimator=self.est)
        return task.call_on_fit_task_end(estimator=self.est, X=self.X, y=self.y, metadata=self.metadata,
                                         reconstruction_attributes=self._fitted)

    def end(self):
        """End the fit's task: the estimator as fitted (best weights restored) is what its hooks see."""
        if self.context is not None:
            self.end_iteration(ran=False)
            self.context.call_on_fit_task_end(estimator=self.est, X=self.X, y=self.y, metadata=self.metadata,
                                              reconstruction_attributes={})

    def _fitted(self):
        """The attributes that make a shallow copy of the estimator predict with a copy of today's weights."""
        net = self.est.network_.copy()
        return {"network_": net, "coefs_": [W.T for W in net.weights], "intercepts_": list(net.biases)}
