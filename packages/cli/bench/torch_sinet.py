"""PyTorch reference for `sinet bench --compare-torch`: SINet timed on this machine with the same
work as the tfjs bench: a training step (batch, 224 x 224, Adam, CE + 0.5 x 15 x 15 boundary-band
CE) and a forward pass at batch 1, on 1 thread and on all cores. Prints one JSON object on stdout.

network=<path to SINet.py>: the official network, `Dnc_SINet(classes=2, p=2, q=8, chnn=1)` of
clovaai's models/SINet.py (../shared/reference/sinet-official/pytorch), imported from that file.
Otherwise this file's port (the same layout, written for this project from the paper's
description) runs: a cross-check that needs no reference file.

Needs python3 with torch (Debian: python3-torch)."""
import contextlib
import importlib.util
import json
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BLOCKS = [[[3, 1], [5, 1]], [[3, 1], [3, 1]],
          [[3, 1], [5, 1]], [[3, 1], [3, 1]], [[5, 1], [3, 2]], [[5, 2], [3, 4]],
          [[3, 1], [3, 1]], [[5, 1], [5, 1]], [[3, 2], [3, 4]], [[3, 1], [5, 2]]]


def bn(c):
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.1)


class ConvBnAct(nn.Module):
    def __init__(self, cin, cout, k, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, k // 2, bias=False)
        self.bn = bn(cout)
        self.act = nn.PReLU(cout)

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class SqueezeExcite(nn.Module):
    def __init__(self, c, divide):
        super().__init__()
        hidden = int(c / divide)
        layers = [nn.Linear(c, hidden), nn.PReLU(hidden)]
        if divide > 1:
            layers += [nn.Linear(hidden, c), nn.PReLU(c)]
        self.dense = nn.Sequential(*layers)

    def forward(self, x):
        w = self.dense(x.mean((2, 3)))
        return x * w[:, :, None, None]


class SESeparable(nn.Module):
    def __init__(self, cin, cout, k, stride, divide):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, k, stride, k // 2, groups=cin, bias=False)
        self.se = SqueezeExcite(cin, divide)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn = bn(cout)
        self.act = nn.PReLU(cout)

    def forward(self, x):
        return self.act(self.bn(self.pointwise(self.se(self.depthwise(x)))))


class S2Block(nn.Module):
    def __init__(self, cin, cout, kernel, pool):
        super().__init__()
        self.pool = pool
        self.depthwise = nn.Conv2d(cin, cin, kernel, 1, kernel // 2, groups=cin, bias=False)
        self.dbn = bn(cin)
        self.act = nn.PReLU(cin)
        self.pointwise = nn.Conv2d(cin, cout, 1, bias=False)
        self.bn = bn(cout)

    def forward(self, x):
        size = x.shape[2:]
        y = F.avg_pool2d(x, self.pool) if self.pool > 1 else x
        y = self.pointwise(self.act(self.dbn(self.depthwise(y))))
        if self.pool > 1:
            y = F.interpolate(y, size=size, mode='bilinear', align_corners=True)
        return self.bn(y)


class S2Module(nn.Module):
    def __init__(self, cin, cout, blocks, residual):
        super().__init__()
        groups = len(blocks)
        width = cout // groups
        extra = cout - groups * width
        self.groups = groups
        self.reduce = nn.Conv2d(cin, width, 1, groups=groups, bias=False)
        self.branches = nn.ModuleList(
            S2Block(width, width + (extra if i == 0 else 0), k, p) for i, (k, p) in enumerate(blocks))
        self.bn = bn(cout)
        self.act = nn.PReLU(cout)
        self.residual = residual

    def forward(self, x):
        y = self.reduce(x)
        n, c, h, w = y.shape
        y = y.view(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)
        y = torch.cat([b(y) for b in self.branches], 1)
        if self.residual:
            y = y + x
        return self.act(self.bn(y))


class SINet(nn.Module):
    def __init__(self, classes=2, p=2, q=8):
        super().__init__()
        d1, d2, d3 = 16, 48, 96
        self.level1 = ConvBnAct(3, 12, 3, 2)
        self.level2_0 = SESeparable(12, d1, 3, 2, 1)
        self.level2 = nn.ModuleList(S2Module(d1 if i == 0 else d2, d2, BLOCKS[i], i > 0) for i in range(p))
        self.br2 = nn.Sequential(bn(d1 + d2), nn.PReLU(d1 + d2))
        self.level3_0 = SESeparable(d1 + d2, d2, 3, 2, 2)
        self.level3 = nn.ModuleList(S2Module(d2 if i == 0 else d3, d3, BLOCKS[p + i], i > 0) for i in range(q))
        self.br3 = nn.Sequential(bn(d2 + d3), nn.PReLU(d2 + d3))
        self.classifier = nn.Conv2d(d2 + d3, classes, 1, bias=False)
        self.bn_3 = bn(classes)
        self.level2_c = ConvBnAct(d2, classes, 1)
        self.bn_2 = bn(classes)
        self.head = nn.Conv2d(classes, classes, 3, 1, 1, bias=False)

    def forward(self, x):
        up = lambda t: F.interpolate(t, scale_factor=2, mode='bilinear', align_corners=True)
        l1 = self.level1(x)
        l20 = self.level2_0(l1)
        l2 = l20
        for m in self.level2:
            l2 = m(l2)
        l30 = self.level3_0(self.br2(torch.cat([l20, l2], 1)))
        l3 = l30
        for m in self.level3:
            l3 = m(l3)
        enc = self.classifier(self.br3(torch.cat([l30, l3], 1)))
        stage1 = self.bn_3(up(enc))
        gate = 1 - F.softmax(stage1, 1).max(1, keepdim=True)[0]
        fused = self.level2_c(l2) * gate + stage1
        return self.head(up(self.bn_2(up(fused))))


def official_network(path):
    """Dnc_SINet of the official models/SINet.py at `path`; its constructor's prints go to stderr."""
    spec = importlib.util.spec_from_file_location('official_sinet', path)
    module = importlib.util.module_from_spec(spec)
    with contextlib.redirect_stdout(sys.stderr):
        spec.loader.exec_module(module)
        return module.Dnc_SINet(classes=2, p=2, q=8, chnn=1)


def max_pool_separable(f, kernel):
    """A k x k max-pool (stride 1, same size) as k x 1 then 1 x k: the same values, 2k reads a pixel, not k^2."""
    f = F.max_pool2d(f, (kernel, 1), 1, (kernel // 2, 0))
    return F.max_pool2d(f, (1, kernel), 1, (0, kernel // 2))


def boundary_loss(logits, labels, kernel=15, lam=0.5):
    """CE over all pixels + lam x CE averaged over the band where dilation != erosion."""
    ce = F.cross_entropy(logits, labels, reduction='none')
    f = labels[:, None].float()
    dil = max_pool_separable(f, kernel)
    ero = -max_pool_separable(-f, kernel)
    band = (dil - ero)[:, 0] > 0
    band_term = ce[band].mean() if band.any() else ce.sum() * 0
    return ce.mean() + lam * band_term


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if len(xs) % 2 else 0.5 * (xs[len(xs) // 2 - 1] + xs[len(xs) // 2])


def time_training(make, threads, batch, runs, size):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = make().train()
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    x = torch.randn(batch, 3, size, size)
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing='ij')
    disc = ((yy - size / 2) ** 2 + (xx - size / 2) ** 2).sqrt() < size / 3
    y = disc.long()[None].repeat(batch, 1, 1)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = boundary_loss(model(x), y)
        loss.backward()
        opt.step()

    step()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        step()
        samples.append(time.perf_counter() - t)
    ms = 1000 * median(samples)
    return {'threads': threads, 'batch': batch, 'medianStepMs': ms, 'imagesPerSecond': 1000 * batch / ms}


def time_inference(make, threads, runs, size):
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    model = make().eval()
    x = torch.randn(1, 3, size, size)
    samples = []
    with torch.inference_mode():
        for _ in range(3):
            model(x)
        for _ in range(runs):
            t = time.perf_counter()
            model(x)
            samples.append(time.perf_counter() - t)
    return {'threads': threads, 'medianMs': 1000 * median(samples)}


def main():
    args = dict(a.split('=', 1) for a in sys.argv[1:])
    batch = int(args.get('batch', 16))
    runs = int(args.get('runs', 5))
    size = int(args.get('size', 224))
    path = args.get('network')
    make = (lambda: official_network(path)) if path else SINet
    cores = os.cpu_count() or 1
    threads = sorted({1, cores})
    params = sum(p.numel() for p in make().parameters())
    out = {
        'torch': torch.__version__,
        'network': 'official' if path else 'port',
        'parameters': params,
        'training': [time_training(make, t, batch, runs, size) for t in threads],
        'inference': [time_inference(make, t, max(20, runs * 4), size) for t in threads],
    }
    print(json.dumps(out))


if __name__ == '__main__':
    main()
