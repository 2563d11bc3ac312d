"""An estimate, not a measurement: the `paper` preset's compute per stage on a GPU, from each network's FLOPs.

    python tools/estimate_gpu.py                 # prints the table the README quotes (~20 s: builds the networks)
    python tools/estimate_gpu.py --gpu-tflops 4  # another sustained FP32 rate

FLOPs are counted from the Keras models themselves (2 × multiply-adds of every Conv2D, DepthwiseConv2D and Dense
layer, at the preset's 256 px); training counts 3 × the forward pass. The GPU time is FLOPs / a sustained rate
(`--gpu-tflops`, default 4 TFLOP/s: half of a T4's 8.1 TFLOP/s FP32 peak, without mixed precision); memory is the
activations of a batch plus the weights (inference: the largest layer's input and output at a time; training: every activation and its
gradient, and weights, gradients and Adam's two moments). `--cpu-gflops` turns the same FLOPs into this machine's time, to compare with a CPU run.
"""
import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def flops_and_activations(model) -> tuple:
    "(forward FLOPs, activation floats summed over layers, the largest layer's, per image; weight count) of a Keras model."
    import keras
    flops = acts = largest = 0
    for layer in model._flatten_layers(include_self=False) if hasattr(model, "_flatten_layers") else model.layers:
        try: out = layer.output.shape
        except (AttributeError, ValueError): continue
        size = 1
        for d in out[1:]: size *= int(d or 1)
        acts += size; largest = max(largest, size)
        if isinstance(layer, keras.layers.DepthwiseConv2D): flops += 2 * size * layer.kernel_size[0] * layer.kernel_size[1]
        elif isinstance(layer, keras.layers.Conv2D):
            flops += 2 * size * layer.kernel_size[0] * layer.kernel_size[1] * int(layer.input.shape[-1]) // layer.groups
        elif isinstance(layer, keras.layers.Dense): flops += 2 * size * int(layer.input.shape[-1])
    return flops, acts, largest, model.count_params()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--gpu-tflops", type=float, default=4.0, help="sustained FP32 TFLOP/s of the GPU (T4: 8.1 peak)")
    p.add_argument("--cpu-gflops", type=float, default=35.0, help="sustained GFLOP/s of this CPU (about 35 here)")
    p.add_argument("--images", type=int, default=17092, help="PBC images")
    p.add_argument("--batch", type=int, default=32)
    a = p.parse_args(argv)
    from coreset_nb.experiments import CONFIGS_DIR, cell_epochs, grid_cells, load_config
    from coreset_nb.features import build_backbone
    from coreset_nb.models import custom_cnn
    cfg = load_config(CONFIGS_DIR / "paper.yaml", data="x")
    train = round(a.images * (1 - cfg["split"]["test_size"]))
    m = cfg["models"]["cnn"]  # its epoch limit, raised for small coresets to reach min_steps (`cell_epochs`); no early stop
    cnn_passes = sum(cell_epochs(m, round(c.fraction * train)) * round(c.fraction * train) for c in grid_cells(cfg) if c.model == "cnn")
    nets = dict(vgg16=build_backbone("vgg16", None, 256), resnet101v2=build_backbone("resnet101v2", None, 256),
                cnn=custom_cnn(8, (256, 256, 3), seed=0))
    rows = [("VGG16 block5_pool features (selection)", "vgg16", a.images, 1),
            ("ResNet101V2 features (transfer model)", "resnet101v2", a.images, 1),
            (f"custom CNN training, {len([c for c in grid_cells(cfg) if c.model == 'cnn'])} cells, no early stop", "cnn",
             cnn_passes, 3)]
    print("| stage | forward GFLOPs / image | image passes | TFLOPs | GPU (estimate) | this CPU (same FLOPs) | GPU memory (estimate) |")
    print("|---|---|---|---|---|---|---|")
    for label, net, passes, factor in rows:
        f, acts, largest, params = flops_and_activations(nets[net])
        total = f * passes * factor
        if factor == 3: mem = (2 * acts * a.batch * 4 + 4 * params * 4) / 1e9  # activations and their gradients; weights, grads, Adam
        else: mem = (2 * largest * a.batch * 4 + params * 4) / 1e9  # inference: a layer's input and output at a time
        print(f"| {label} | {f / 1e9:.1f} | {passes:,.0f} | {total / 1e12:,.0f} | {total / (a.gpu_tflops * 1e12) / 60:.1f} min | "
              f"{total / (a.cpu_gflops * 1e9) / 3600:.1f} h | {mem:.1f} GB (batch {a.batch}) |")


if __name__ == "__main__":
    main()
