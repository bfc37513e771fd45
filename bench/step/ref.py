"""PyTorch's side of the compute benchmark (bench/run.ts): the same model, loss, optimiser and inputs
as bench/step/ours.ts, built from cvrl's own model configuration (argv[2]: the case, argv[3]: the
ResNet3d config as JSON) so that both sides run the same layers. Prints the same JSON line."""
import json
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

spec = json.loads(sys.argv[1])
cfg = json.loads(sys.argv[2]) if len(sys.argv) > 2 else None
torch.set_num_threads(spec["threads"])
torch.manual_seed(0)


def scale(n):
    return max(1, round(n * cfg["width"]))


def conv_bn(cin, cout, k, s, p, relu=True):
    layers = [nn.Conv3d(cin, cout, k, stride=s, padding=p, bias=False), nn.BatchNorm3d(cout)]
    return nn.Sequential(*(layers + [nn.ReLU(inplace=True)] if relu else layers))


class Block(nn.Module):
    def __init__(self, cin, planes, kt, st, ss, bottleneck, reduce_kt):
        super().__init__()
        out = planes * (4 if bottleneck else 1)
        if bottleneck:
            self.main = nn.Sequential(conv_bn(cin, planes, (reduce_kt, 1, 1), 1, (reduce_kt // 2, 0, 0)),
                                      conv_bn(planes, planes, (1, 3, 3), (st, ss, ss), (0, 1, 1)),
                                      conv_bn(planes, out, 1, 1, 0, relu=False))
        else:
            self.main = nn.Sequential(conv_bn(cin, planes, (kt, 3, 3), (st, ss, ss), (kt // 2, 1, 1)),
                                      conv_bn(planes, planes, (kt, 3, 3), 1, (kt // 2, 1, 1), relu=False))
        self.down = None if (ss == 1 and st == 1 and cin == out) else conv_bn(cin, out, 1, (st, ss, ss), 0, relu=False)

    def forward(self, x):
        return F.relu(self.main(x) + (self.down(x) if self.down is not None else x), inplace=True)


class ResNet3d(nn.Module):
    def __init__(self):
        super().__init__()
        st = cfg["stem"]
        assert st["kind"] == "conv" and all(k == "3d" for k in cfg["convKind"]), "the reference builds 3-D convolutions only"
        c = scale(st["channels"])
        layers = [conv_bn(3, c, st["kernel"], st["stride"], [k // 2 for k in st["kernel"]])]
        if st.get("pool"):
            layers.append(nn.MaxPool3d(st["pool"]["kernel"], st["pool"]["stride"], [k // 2 for k in st["pool"]["kernel"]]))
        bottleneck = cfg["block"] == "bottleneck"
        for i, n in enumerate(cfg["layers"]):
            planes = scale(cfg["planes"][i])
            for b in range(n):
                tk = cfg["temporalKernels"][i]
                tk = tk[b] if isinstance(tk, list) else tk
                first = b == 0
                layers.append(Block(c, planes, 1 if bottleneck else tk, cfg["temporalStrides"][i] if first else 1,
                                    cfg["spatialStrides"][i] if first else 1, bottleneck, tk))
                c = planes * (4 if bottleneck else 1)
        self.body = nn.Sequential(*layers)
        self.dim = c

    def forward(self, x):
        return F.adaptive_avg_pool3d(self.body(x), 1).flatten(1)


def head(d, hidden, out):
    layers = []
    for _ in range(3):
        layers += [nn.Linear(d, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True)]
        d = hidden
    return nn.Sequential(*layers, nn.Linear(d, out))


def nt_xent(views, tau=0.1):
    z = F.normalize(torch.cat(views), dim=1)
    n = views[0].shape[0]
    logits = (z @ z.t() / tau).fill_diagonal_(float("-inf"))
    target = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(logits, target)


bf16 = spec["precision"] == "bf16"
device = spec.get("device", "cpu")
cast = lambda: torch.autocast(device.split(":")[0], dtype=torch.bfloat16, enabled=bf16)
sync = torch.cuda.synchronize if device != "cpu" else (lambda: None)
params = 0
if spec["mode"] == "ntxent":
    z = [torch.randn(spec["rows"], spec["dim"], device=device, requires_grad=True) for _ in range(2)]
    def run():
        nt_xent(z).backward()
else:
    enc = ResNet3d()
    model = nn.Sequential(enc, head(enc.dim, *spec["head"])).to(device)
    params = sum(p.numel() for p in model.parameters())
    views = [torch.randn(spec["batch"], 3, spec["frames"], spec["size"], spec["size"], device=device) for _ in range(2)]
    if spec["mode"] in ("infer", "infer-onnx"):
        enc.eval()
        def run():
            with torch.no_grad(), cast():
                enc(views[0]).float().sum().item()
    else:
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-6)
        def run():
            with cast():
                zs = [model(x).float() for x in views]
            nt_xent(zs).backward()
            opt.step()
            opt.zero_grad(set_to_none=True)

for _ in range(spec["warmup"]):
    run()
sync()
ms = []
for _ in range(spec["reps"]):
    t0 = time.perf_counter()
    run()
    sync()
    ms.append((time.perf_counter() - t0) * 1000)
with open("/proc/self/status") as f:
    rss = next(int(l.split()[1]) / 1024 for l in f if l.startswith("VmHWM"))
print(json.dumps({"ms": ms, "params": params, "peak_rss_mb": rss}))
