"""scikit-learn's stopping rules for the stochastic solvers, and the validation rows they may hold out.

With early_stopping, validation_fraction of the rows is held out and each iteration records
validation_scores_ (accuracy or R^2, as scikit-learn) and validation_loss_curve_ (the loss of
loss_curve_ on those rows). early_stopping_metric picks what must improve by tol within
n_iter_no_change iterations, and whose best iteration's weights are kept: "score" (scikit-learn's
rule, the default) or "loss" (the validation loss; best_validation_loss_ is its minimum). Without
early_stopping the training loss must improve by tol, as in scikit-learn.
"""

import math

import numpy as np
from sklearn.model_selection import train_test_split

from ..training.guards import Snapshot
from .validation import relative_weights


class StoppingRules:
    """The no-improvement counter, the validation split and its curves; mixed into BaseMLP."""

    def _reset_validation(self):
        """The validation attributes of a fit that holds rows out (early_stopping), else None."""
        held_out = self.early_stopping
        self.validation_scores_ = [] if held_out else None
        self.validation_loss_curve_ = [] if held_out else None
        self.best_validation_score_ = -np.inf if held_out else None
        self.best_validation_loss_ = np.inf if held_out else None

    def _split_validation(self, X, Y, sample_weight, stratify):
        """(X, Y, sample_weight, validation): with early_stopping, validation_fraction of the rows set apart."""
        if not self.early_stopping:
            return X, Y, sample_weight, None
        arrays = (X, Y) if sample_weight is None else (X, Y, sample_weight)
        parts = train_test_split(*arrays, random_state=self._random_state, test_size=self.validation_fraction,
                                 stratify=stratify)
        validation = (parts[1], parts[3], parts[5] if sample_weight is not None else None)
        if validation[0].shape[0] < 2:
            raise ValueError("The validation set is too small. Increase 'validation_fraction' or the size of "
                             f"your dataset ({validation[0].shape[0]} validation sample(s) cannot be scored).")
        return parts[0], parts[2], (parts[4] if sample_weight is not None else None), validation

    def _stops(self, steps, validation):
        """Whether training ends after n_iter_no_change iterations without improvement (sgd's adaptive rate
        first shrinks the step instead, as scikit-learn's does)."""
        if self._no_improvement_count <= self.n_iter_no_change:
            return False
        what = "Training loss" if validation is None else \
            "Validation loss" if self.early_stopping_metric == "loss" else "Validation score"
        message = f"{what} did not improve more than tol={self.tol:f} for {self.n_iter_no_change} consecutive epochs."
        if steps.trigger_stopping(message, self.verbose):
            return True
        self._no_improvement_count = 0
        return False

    def _count_no_improvement(self, validation, penalty):
        """scikit-learn's counter of iterations without improvement by tol: of the validation score (or, with
        early_stopping_metric="loss", the validation loss), or of the training loss without validation."""
        if validation is None:
            loss = self.loss_curve_[-1]
            self._no_improvement_count = self._no_improvement_count + 1 if loss > self.best_loss_ - self.tol else 0
            self.best_loss_ = min(self.best_loss_, loss)
            return
        score, loss = self._validate_iteration(validation, penalty)
        if self.early_stopping_metric == "loss":
            stalled, better = not loss < self.best_validation_loss_ - self.tol, loss < self.best_validation_loss_
        else:
            stalled, better = score < self.best_validation_score_ + self.tol, score > self.best_validation_score_
        self._no_improvement_count = self._no_improvement_count + 1 if stalled else 0
        self.best_validation_score_ = max(self.best_validation_score_, score)
        self.best_validation_loss_ = min(self.best_validation_loss_, loss)
        if better:  # the weights restored when training stops
            params = self.network_.parameters
            if self._best is None:
                self._best = Snapshot(params)
            else:
                self._best.take(params)

    def _validate_iteration(self, validation, penalty):
        """(score, loss) on the held-out rows, appended to validation_scores_ and validation_loss_curve_.

        The loss is loss_curve_'s: scikit-learn's data loss, here on the validation rows, plus the same L2 term.
        """
        X_val, Y_val, sw_val = validation
        out = self._forward(X_val)
        score = loss = math.nan
        if np.isfinite(out).all():
            score = float(self._score_outputs(out, Y_val, sw_val))
            scale, offset = self._reported_loss(Y_val, sw_val)
            cost = self.network_.cost_of(out.T, Y_val.T, relative_weights(sw_val, out.dtype))
            loss = scale * cost + offset + penalty
        self.validation_scores_.append(score)
        self.validation_loss_curve_.append(loss)
        if self.verbose:
            print(f"Validation score: {score:f}")
        return score, loss
