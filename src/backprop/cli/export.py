"""`backprop export`: a saved model as ONNX (preprocessing and labels included) or a PyTorch state dict."""

import os

from .common import MODEL_HELP, load_model
from .outputs import check_output

FORMATS = ("onnx", "torch")


def register(sub):
    p = sub.add_parser("export", help="write a model as ONNX or as a PyTorch state dict")
    p.add_argument("model", help=MODEL_HELP)
    p.add_argument("--format", choices=FORMATS, default="onnx",
                   help="onnx: raw rows in, labels and probabilities out (opset 17); torch: the network's "
                        "state dict (default: onnx)")
    p.add_argument("--out", required=True, help="the file to write (required)")
    p.add_argument("--force", action="store_true", help="replace --out if it exists (default: refuse)")
    p.add_argument("--dtype", choices=("auto", "float32", "float64"), default="auto",
                   help="the ONNX graph's float type: auto keeps float32 where it reproduces the model (features' "
                        "scale and weights in float32's range and rounding), else float64; float32 is refused "
                        "where it would not (default: auto)")
    p.set_defaults(run=run)


def run(args):
    from .. import export
    check_output(args.out, [args.model], args.force, "export")
    model = load_model(args.model)
    if args.format == "onnx":
        proto = export.to_onnx(model, args.out, overwrite=args.force, dtype=args.dtype)
        outputs = ", ".join(f"{o.name!r}" for o in proto.graph.output)
        inputs = " and ".join(f"{i.name!r} ({_columns(i)})" for i in proto.graph.input)
        print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes, ONNX opset {proto.opset_import[0].version}): "
              f"{inputs} -> {outputs}")
        print(f"computes in {proto.doc_string.split('; ', 1)[1]}")
    else:
        export.save_torch(model, args.out, overwrite=args.force)
        print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes, a PyTorch state dict); rebuild the module with:")
        print(export.rebuild_note(model, args.out))
        if model.scaler.kind != "none":
            print(f"its inputs are {model.scaler.kind}-scaled rows: (x - center) / scale with the center and scale "
                  f"stored in {args.model} (the ONNX export includes this step)")
    return 0


def _columns(value_info):
    """'float32 rows of 3 raw features' or 'strings, 2 categorical columns': what an ONNX graph input holds."""
    tensor = value_info.type.tensor_type
    n = tensor.shape.dim[1].dim_value
    plural = "" if n == 1 else "s"
    kinds = {1: "float32", 11: "float64"}
    return f"strings, {n} categorical column{plural}" if tensor.elem_type == 8 else \
        f"{kinds.get(tensor.elem_type, 'number')} rows of {n} raw feature{plural}"
