"""Export a trained model: ONNX (preprocessing and labels included) and PyTorch (the network).

Importing this package loads neither onnx nor torch; each is imported when its function runs.
"""

from .onnx import OPSET, to_onnx
from .torch import from_torch, rebuild_note, save_torch, to_torch

__all__ = ["OPSET", "from_torch", "rebuild_note", "save_torch", "to_onnx", "to_torch"]
