"""`backprop info`: what a saved model is and how its training went."""

from .common import MODEL_HELP, load_model


from ..training.history import number
from ..training.state import state_of


def register(sub):
    p = sub.add_parser("info", help="describe a saved model")
    p.add_argument("model", help=MODEL_HELP)
    p.set_defaults(run=run)


def run(args):
    model = load_model(args.model)
    net = model.network
    lines = [f"model:        {args.model}", f"network:      {net}", f"task:         {model.task}"]
    if model.classes:
        lines.append(f"classes:      {', '.join(map(str, model.classes))}")
    lines.append(f"data:         {model.data.get('data')}  scale: {model.scaler.kind}")
    if model.encoder.categories:
        lines.append("categories:   " + "; ".join(f"{c}: {', '.join(v)}" for c, v in model.encoder.categories.items()))
    state = state_of(net)
    if state is not None:
        options, history = state.options, state.history
        lr = options.learning_rate if options.learning_rate is not None else \
            f"{state.optimizer.default_learning_rate:g} (the optimizer's default)"
        lines.append(f"training:     optimizer={options.optimizer}, learning_rate={lr}, "
                     f"batch_size={options.batch_size}, epochs={state.epochs_trained}")
        if len(history):
            lines.append(f"epochs:       {state.epochs_trained}; stopped: {history.stop_message}")
            if history.best_epoch is not None:
                i = history.epoch.index(history.best_epoch)
                lines.append(f"best epoch:   {history.best_epoch} (validation cost {number(history.val_cost[i])}); "
                             "its weights were restored by early stopping and are the ones saved")
            where = " (on the standardized target)" if model.task == "regression" else ""
            lines.append(f"final cost:   {number(history.cost[-1])}{where}" + (
                f", validation {number(history.val_cost[-1])}" if history.val_cost[-1] is not None else ""))
            lines += ["", history.table(every=max(1, len(history) // 10))]
    print("\n".join(lines))
    return 0
