"""Training loop for teacher, distilled student and ablation; DistributedDataParallel when launched
by ``torchrun`` (gloo on CPU, nccl on GPUs).

    torchrun --nproc_per_node 2 -m fasedge.train --arch student --data data/synthetic/manifest.csv --out runs/x
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Dict, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import nets
from .dataset import AugmentConfig, Frames, augment, draw_params, to_input, view_table
from .distill import KDConfig, fourier_target, kd_loss
from .metrics import choose_threshold, evaluate
from .preprocess import PreprocessConfig


@dataclass
class TrainConfig:
    """Optimisation settings of one training stage (saved in its checkpoint)."""

    epochs: int = 10  # passes over the training split
    batch_size: int = 64  # global batch (split across processes under torchrun)
    lr: float = 2e-3  # peak AdamW learning rate
    weight_decay: float = 0.02  # AdamW decoupled weight decay
    warmup_epochs: float = 0.5  # linear warm-up, then cosine decay to zero
    seed: int = 1234  # seeds initialisation, batch order and augmentation
    threads: int = 2  # torch intra-op threads per process
    max_train: int = 0  # use at most this many training frames (0 = all; sampled with `seed`)
    eval_batch: int = 256  # batch size of validation / scoring passes
    val_frames: int = 0  # per-epoch validation on at most this many val frames (fixed sample; 0 = all)
    keep: str = "best-val"  # weights model.pt keeps: "best-val" (epoch of lowest val ACER, then NLL) or "last" (end of the schedule)
    precision: str = "fp32"  # "fp32", or "bf16": forward and backward passes under bfloat16 autocast (weights, optimiser state, loss and validation stay fp32); on CPUs with AVX512-BF16 or AMX about 1.8x the teacher's training throughput (the small student's step is bound by other work and gains little), slower on CPUs without (see fasedge.bench)
    max_wall_s: float = 0.0  # if > 0: the learning-rate schedule runs on max(step, wall-time) progress and training stops when this many seconds are spent (or after `epochs`); epochs and steps run are recorded
    ema: float = 0.0  # if > 0: decay of an exponential moving average of the weights and BatchNorm statistics, updated after every optimiser step (warm-up: min(ema, (1 + step) / (10 + step))); validation, `keep` and model.pt then use the average, and model.pt also holds the optimiser's own final weights (`raw_state_dict`) for comparison; 0 = off
    patch_weight: float = 0.0  # if > 0: weight of a per-cell cross-entropy term: the network's own classifier applied to every cell of its last feature map (the input of its global pooling), each cell given the frame's label (pixel-wise binary supervision); teacher and student only, train-time only (the exported network is unchanged); 0 = off


def dist_info():
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    return world, rank


def init_distributed() -> bool:
    world, _ = dist_info()
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend=backend)
    return world > 1


PRECISIONS = ("fp32", "bf16")


def autocast(dev: torch.device, precision: str):
    """The autocast context of a ``TrainConfig.precision`` on device ``dev`` (a no-op for fp32)."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision is one of {PRECISIONS}, not {precision!r}")
    return torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=precision == "bf16")


BF16_FLAGS = ("avx512_bf16", "amx_bf16", "bf16")  # x86 AVX512-BF16 and AMX; Arm's BF16 extension ("Features: ... bf16")


def cpu_flags() -> list:
    """The bf16-related instruction-set flags of this CPU (empty where /proc/cpuinfo is absent)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags = set()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            flags.update(line.split(":", 1)[1].split())
    return sorted(f for f in flags if f in BF16_FLAGS + ("amx_tile", "avx512f", "avx2"))


def bf16_native(dev: Optional[torch.device] = None) -> bool:
    """Whether bf16 autocast runs on hardware on ``dev``: a CUDA GPU that supports bf16, or a CPU
    with a bf16 dot-product instruction (AVX512-BF16, AMX, Arm BF16). Elsewhere oneDNN emulates it."""
    dev = dev or device()
    if dev.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    return any(f in cpu_flags() for f in BF16_FLAGS)


def machine() -> dict:
    """What a wall time was measured on: CPU model, logical CPUs, bf16-related flags, torch version."""
    model = ""
    try:
        model = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name")), "")
    except OSError:
        pass
    dev = device()
    out = {"cpu": model or "unknown", "logicalCpus": os.cpu_count(), "cpuFlags": cpu_flags(), "torch": torch.__version__, "bf16Native": bf16_native(dev)}
    if dev.type == "cuda":
        out["gpu"] = torch.cuda.get_device_name(dev)
    return out


def precision_warning(precision: str, dev: Optional[torch.device] = None) -> str:
    """A warning for a ``TrainConfig.precision`` that this machine can only emulate ("" if none)."""
    if precision != "bf16" or bf16_native(dev):
        return ""
    dev = dev or device()
    where = "this GPU does not support bf16" if dev.type == "cuda" else "no avx512_bf16, amx_bf16 or bf16 flag in /proc/cpuinfo; on a 2-core AVX2 CPU it trained 9-27x slower than fp32"
    return (f"bf16 autocast is emulated here ({where}). --precision fp32 trains at this machine's speed (another arithmetic, "
            "so the models are not bit-for-bit the shipped ones); `python -m fasedge.bench` measures both.")


def device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device("cpu")


@torch.no_grad()
def predict_logits(model: nn.Module, pixels: np.ndarray, pcfg: PreprocessConfig, batch: int = 256, params: Optional[np.ndarray] = None, precision: str = "fp32") -> np.ndarray:
    """Logits [N, 2] (float32) of a model on cached pixels (optionally augmented with fixed params),
    computed at ``precision`` (see ``TrainConfig.precision``)."""
    model.eval()
    dev = next(model.parameters()).device
    out = []
    for i in range(0, len(pixels), batch):
        pix = torch.from_numpy(pixels[i : i + batch].astype(np.float32))
        if params is not None:
            pix = augment(pix, torch.from_numpy(params[i : i + batch]))
        with autocast(dev, precision):
            z = model(to_input(pix, pcfg).to(dev))
        out.append(z.float().cpu())
    return torch.cat(out).numpy() if out else np.zeros((0, 2), np.float32)


def train_forward(model: nn.Module, pixels: np.ndarray, params: torch.Tensor, pcfg: PreprocessConfig, dev: torch.device, precision: str):
    """The forward half of a training step: cached pixels [B, H, W, 3] augmented with ``params``,
    normalised, and the model's logits at ``precision`` (cast back to fp32 for the loss).
    Returns (input batch, logits)."""
    x = to_input(augment(torch.from_numpy(pixels.astype(np.float32)), params), pcfg).to(dev)
    with autocast(dev, precision):
        logits = model(x)
    return x, logits.float()


def scores_from_logits(logits: np.ndarray, bonafide_index: int = 1) -> np.ndarray:
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    return (p / p.sum(axis=1, keepdims=True))[:, bonafide_index]


def teacher_logit_table(teacher: nn.Module, frames: Frames, table: np.ndarray, pcfg: PreprocessConfig, batch: int = 256, log=print, precision: str = "fp32") -> np.ndarray:
    """[views, N, 2] teacher logits for each fixed augmented view of the training frames."""
    out = []
    for v in range(table.shape[0]):
        t0 = time.time()
        out.append(predict_logits(teacher, frames.pixels, pcfg, batch, table[v], precision))
        log(f"[kd-cache] view {v + 1}/{table.shape[0]}: {len(frames)} frames in {time.time() - t0:.1f}s")
    return np.stack(out).astype(np.float32)


def _labels_species(frames: Frames):
    return np.where(frames.label == 1, "bonafide", "attack"), frames.species


def val_metrics(model: nn.Module, frames: Frames, pcfg: PreprocessConfig, batch: int) -> Dict[str, float]:
    logits = predict_logits(model, frames.pixels, pcfg, batch)
    s = scores_from_logits(logits)
    labels, species = _labels_species(frames)
    thr = choose_threshold(s, labels == "bonafide", species)
    m = evaluate(s, labels, species, thr)
    nll = float(F.cross_entropy(torch.from_numpy(logits), torch.from_numpy(frames.label)).item())
    return {"acer": m["acer"], "auc": m["auc"], "nll": nll, "threshold": thr}


class PatchTerm:
    """The ``TrainConfig.patch_weight`` term: captures the feature map that a network's global
    pooling receives, applies the network's classifier (``fc``) to each of its cells and returns the
    mean cross-entropy of those cell logits against the frame's label. The pooled logit is the mean
    of the cell logits (the pooling and the classifier are both linear), so the main loss only asks
    the cells to be right on average; this term asks each of them."""

    def __init__(self, model: nn.Module):
        if not getattr(model, "pooled_classifier", False):
            raise ValueError(f"TrainConfig.patch_weight needs a network that ends in global average pooling and a linear classifier (pooled_classifier: teacher, student); {type(model).__name__} does not")
        self.fc = model.fc
        self.features: Optional[torch.Tensor] = None
        self.handle = model.pool.register_forward_hook(self._keep)

    def _keep(self, module, inputs, output) -> None:
        self.features = inputs[0]

    def loss(self, y: torch.Tensor) -> torch.Tensor:
        f, self.features = self.features, None
        if f is None:
            raise RuntimeError("PatchTerm.loss before a forward pass")
        n, c, h, w = f.shape
        cells = self.fc(f.float().permute(0, 2, 3, 1).reshape(n * h * w, c))
        return F.cross_entropy(cells, y.repeat_interleave(h * w))


class WeightAverage:
    """Exponential moving average of a network's weights and buffers (``TrainConfig.ema``): a copy
    of the network whose floating-point parameters and BatchNorm running statistics follow the
    trained ones as ``avg <- d * avg + (1 - d) * new`` after every optimiser step, with
    ``d = min(decay, (1 + step) / (10 + step))`` so that the first steps do not keep the random
    initialisation; integer buffers (BatchNorm's batch counter) are copied."""

    def __init__(self, model: nn.Module, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"TrainConfig.ema is a decay in (0, 1) or 0 for off, not {decay!r}")
        self.decay = decay
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model: nn.Module, step: int) -> None:
        d = min(self.decay, (1.0 + step) / (10.0 + step))
        src = model.state_dict()
        for k, v in self.model.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(src[k].detach(), alpha=1.0 - d)
            else:
                v.copy_(src[k])


def train_model(
    arch: str,
    net_config: dict,
    train: Frames,
    val: Frames,
    pcfg: PreprocessConfig,
    tcfg: TrainConfig,
    out_dir: Path,
    aug: AugmentConfig = AugmentConfig(),
    kd: Optional[KDConfig] = None,
    teacher_logits: Optional[np.ndarray] = None,
    views: Optional[np.ndarray] = None,
    log: Callable[[str], None] = print,
) -> Path:
    """Trains one network and writes ``out_dir/model.pt`` (best epoch on validation ACER, then NLL).

    With ``teacher_logits`` ([views, N, 2], for the fixed augmentation ``views`` table) the loss is
    the distillation loss of ``kd``; otherwise plain cross-entropy. Resumes from ``out_dir/last.pt``.
    """
    if tcfg.keep not in ("best-val", "last"):
        raise ValueError(f"TrainConfig.keep is 'best-val' or 'last', not {tcfg.keep!r}")
    distributed = init_distributed()
    world, rank = dist_info()
    torch.set_num_threads(tcfg.threads)
    dev = device()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / "model.pt"
    want = signature(arch, net_config, tcfg, aug, kd, len(train))
    if final.exists():
        check_signature(final, signature_of(load_checkpoint(final)), want)
        return final
    warning = precision_warning(tcfg.precision, dev) if rank == 0 else ""
    if warning:
        log(f"warning: {warning}")

    torch.manual_seed(tcfg.seed)
    rng_sub = np.random.default_rng(tcfg.seed)
    idx_all = np.arange(len(train))
    if tcfg.max_train and tcfg.max_train < len(train):
        idx_all = np.sort(rng_sub.choice(len(train), tcfg.max_train, replace=False))
    model = nets.build(arch, net_config).to(dev).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=tcfg.lr, weight_decay=tcfg.weight_decay)
    avg = WeightAverage(model, tcfg.ema) if tcfg.ema else None
    patch = PatchTerm(model) if tcfg.patch_weight > 0 else None
    kept = avg.model if avg is not None else model  # the weights validated, kept and saved
    per_rank = max(1, tcfg.batch_size // world)
    steps_per_epoch = max(1, len(idx_all) // (per_rank * world))
    last = out_dir / "last.pt"
    epochs = tcfg.epochs
    total = steps_per_epoch * epochs
    warm = max(1, int(tcfg.warmup_epochs * steps_per_epoch))

    def lr_factor(step: int, progress: float) -> float:
        """Linear warm-up, then cosine decay over `progress` (0..1: steps or wall-time budget)."""
        return min(1.0, (step + 1) / warm) * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))

    start_epoch, history, best, elapsed, step = 0, [], None, 0.0, 0
    if last.exists():
        ck = load_checkpoint(last)
        check_signature(last, ck.get("signature"), want)
        model.load_state_dict(ck["state_dict"])
        opt.load_state_dict(ck["optimizer"])
        if avg is not None:
            if "ema_state_dict" not in ck:
                raise CheckpointMismatch(f"{last} was trained without TrainConfig.ema: use another folder, or delete it to train again")
            avg.model.load_state_dict(ck["ema_state_dict"])
        start_epoch, history, best, elapsed, step = ck["epoch"], ck["history"], ck["best"], ck["elapsed"], ck["step"]
        set_rng_state(ck.get("rng"), dev)
        log(f"[{arch}] resuming at epoch {start_epoch + 1}")
    resumed_s = elapsed  # training time of earlier, interrupted runs of this stage
    ddp_model = torch.nn.parallel.DistributedDataParallel(model) if distributed else model

    is_kd = teacher_logits is not None
    val_sub = val
    if tcfg.val_frames and len(val) > tcfg.val_frames:
        val_sub = val.select(np.sort(np.random.default_rng(tcfg.seed + 1).choice(len(val), tcfg.val_frames, replace=False)))
    pixels = train.pixels
    labels = torch.from_numpy(train.label)
    t_resume = time.time()
    progress = 0.0
    epochs_run = start_epoch
    for epoch in range(start_epoch, epochs):
        if progress >= 1.0:
            break
        t0 = time.time()
        ddp_model.train()
        rng = np.random.default_rng(tcfg.seed * 1000 + epoch)
        perm = idx_all[rng.permutation(len(idx_all))][: steps_per_epoch * per_rank * world]
        mine = perm[rank::world]
        if views is not None:
            v_choice = rng.integers(0, views.shape[0], size=len(perm))[rank::world]
        else:
            fresh = draw_params(len(perm), aug, rng)[rank::world]
        tot_loss, n_seen = 0.0, 0
        for s in range(steps_per_epoch):
            b = mine[s * per_rank : (s + 1) * per_rank]
            if views is not None:
                vc = v_choice[s * per_rank : (s + 1) * per_rank]
                params = torch.from_numpy(views[vc, b])
            else:
                params = torch.from_numpy(fresh[s * per_rank : (s + 1) * per_rank])
            x, logits = train_forward(ddp_model, pixels[b], params, pcfg, dev, tcfg.precision)
            y = labels[b].to(dev)
            if is_kd:
                zt = torch.from_numpy(teacher_logits[vc, b]).to(dev)
                loss = kd_loss(logits, zt, y, kd.temperature, kd.alpha)
            else:
                loss = F.cross_entropy(logits, y)
            if patch is not None:
                loss = loss + tcfg.patch_weight * patch.loss(y)
            if kd is not None and kd.fourier_weight > 0 and hasattr(model, "pop_aux"):
                aux = model.pop_aux()
                if aux is not None:
                    loss = loss + kd.fourier_weight * F.mse_loss(aux.float(), fourier_target(x, aux.shape[-1]))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            progress = step / total
            if tcfg.max_wall_s > 0:
                progress = max(progress, (elapsed + time.time() - t_resume) / tcfg.max_wall_s)
            if distributed:  # every process follows the slowest clock
                pt = torch.tensor([progress])
                torch.distributed.all_reduce(pt, op=torch.distributed.ReduceOp.MAX)
                progress = float(pt.item())
            for g in opt.param_groups:
                g["lr"] = tcfg.lr * lr_factor(step, progress)
            opt.step()
            if avg is not None:
                avg.update(model, step)
            step += 1
            tot_loss += float(loss.detach()) * len(b)
            n_seen += len(b)
            if progress >= 1.0:
                break
        train_time = time.time() - t0
        epochs_run = epoch + 1
        rec = {"epoch": epoch + 1, "loss": tot_loss / max(1, n_seen), "trainS": round(train_time, 1), "imgPerS": round(n_seen * world / max(train_time, 1e-9), 1), "steps": step, "frames": n_seen * world, "partial": s + 1 < steps_per_epoch}
        if rank == 0:
            vm = val_metrics(kept, val_sub, pcfg, tcfg.eval_batch) if len(val) else {"acer": 0.0, "nll": 0.0, "auc": float("nan")}
            rec.update({"valAcer": vm["acer"], "valAuc": vm["auc"], "valNll": vm["nll"]})
            if avg is not None and len(val):  # the optimiser's own weights, to see what the average buys
                rm = val_metrics(model, val_sub, pcfg, tcfg.eval_batch)
                rec.update({"rawValAcer": rm["acer"], "rawValAuc": rm["auc"], "rawValNll": rm["nll"]})
            key = (vm["acer"], vm["nll"])
            if best is None or key <= tuple(best["key"]):
                best = {"key": list(key), "epoch": epoch + 1}
                save_atomic(kept.state_dict(), out_dir / "best.pt")
            history.append(rec)
            raw = f" (weights without the average: ACER {rec['rawValAcer']:.4f} AUC {rec['rawValAuc']:.4f})" if "rawValAcer" in rec else ""
            log(f"[{arch}{' kd' if is_kd else ''}] epoch {epoch + 1}/{epochs} loss {rec['loss']:.4f} val ACER {vm['acer']:.4f} AUC {vm['auc']:.4f} NLL {vm['nll']:.4f}{raw} ({rec['imgPerS']} img/s, {train_time:.0f}s, progress {progress:.2f})")
            save_atomic({"state_dict": model.state_dict(), **({"ema_state_dict": avg.model.state_dict()} if avg is not None else {}), "optimizer": opt.state_dict(), "epoch": epoch + 1, "history": history, "best": best, "elapsed": elapsed + time.time() - t_resume, "step": step, "rng": rng_state(dev), "signature": want}, last)
        if distributed:
            torch.distributed.barrier()
    elapsed += time.time() - t_resume

    if patch is not None:
        patch.handle.remove()
    if rank == 0:
        state = load_checkpoint(out_dir / "best.pt") if tcfg.keep == "best-val" else kept.state_dict()
        ckpt = {
            "arch": arch,
            "config": asdict(nets.ARCHS[arch][1](**net_config)),
            "preprocess": pcfg.to_manifest(),
            "train_config": asdict(tcfg),
            "augment_config": asdict(aug),
            "kd_config": asdict(kd) if kd is not None else None,
            "distilled": is_kd,
            "state_dict": state,
            "epochs": epochs_run,
            "steps": step,
            "best_epoch": best["epoch"],
            "kept_epoch": best["epoch"] if tcfg.keep == "best-val" else epochs_run,
            "history": history,
            "wall_time_s": round(elapsed, 1),
            "resumed_s": round(resumed_s, 1),
            "world_size": world,
            "torch": str(torch.__version__),
            "frames": len(train),
        }
        if avg is not None:
            ckpt["raw_state_dict"] = model.state_dict()
        save_atomic(ckpt, final)
    if distributed:
        torch.distributed.barrier()
    return final


VOLATILE_TRAIN = ("threads", "eval_batch")  # TrainConfig fields that do not change the weights a stage ends with


class CheckpointMismatch(ValueError):
    """A training folder holds a checkpoint of another network, config or training set."""


def signature(arch: str, net_config: dict, tcfg: TrainConfig, aug: AugmentConfig, kd: Optional[KDConfig], frames: int) -> dict:
    """What a training stage's weights depend on, besides the data itself: compared with an
    existing ``model.pt`` or ``last.pt`` before either is reused."""
    return {
        "arch": arch,
        "config": asdict(nets.ARCHS[arch][1](**net_config)),
        "train_config": {k: v for k, v in asdict(tcfg).items() if k not in VOLATILE_TRAIN},
        "augment_config": asdict(aug),
        "kd_config": asdict(kd) if kd is not None else None,
        "frames": int(frames),
    }


def signature_of(ck: dict) -> dict:
    """The ``signature`` of a finished checkpoint (``frames`` is absent from older ones)."""
    sig = {k: ck.get(k) for k in ("arch", "config", "augment_config", "kd_config")}
    sig["train_config"] = {k: v for k, v in (ck.get("train_config") or {}).items() if k not in VOLATILE_TRAIN}
    if "frames" in ck:
        sig["frames"] = ck["frames"]
    return sig


def check_signature(path: Path, have: Optional[dict], want: dict) -> None:
    """Raises ``CheckpointMismatch`` naming the settings where ``have`` (a checkpoint's) differs from
    ``want``; settings a checkpoint does not record (older ones have fewer) are not compared."""
    if not have:
        return
    diff = []
    for k, v in want.items():
        if k not in have:
            continue
        h = json.loads(json.dumps(have[k], default=list))
        w = json.loads(json.dumps(v, default=list))
        if isinstance(w, dict) and isinstance(h, dict):
            diff += [f"{k}.{f} {h.get(f)!r} -> {w.get(f)!r}" for f in sorted(set(w) | set(h)) if f in w and f in h and h[f] != w[f]]
        elif h != w:
            diff.append(f"{k} {h!r} -> {w!r}")
    if diff:
        raise CheckpointMismatch(f"{path} was trained with other settings ({'; '.join(diff)}): use another folder, or delete it to train again")


def rng_state(dev: torch.device) -> dict:
    """torch's random state (dropout masks draw from it) on the CPU and on ``dev``, saved with every
    epoch so that a resumed stage continues exactly where an uninterrupted one would be (numpy's
    batch order and augmentation are derived from the seed and the epoch). Every process seeds the
    same and draws the same amount, so rank 0's state (of its own device) is every rank's."""
    state = {"cpu": torch.get_rng_state()}
    if dev.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(dev)
    return state


def set_rng_state(state: Optional[dict], dev: torch.device) -> None:
    if not state:
        return
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and dev.type == "cuda":
        torch.cuda.set_rng_state(state["cuda"], dev)


def save_atomic(obj, path: Path) -> None:
    """torch.save to a temporary file, then rename: an interruption never leaves a truncated file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    tmp.replace(path)


def load_checkpoint(path: Path | str) -> dict:
    """Loads a checkpoint written by ``train_model`` (or its ``last.pt`` / ``best.pt``) on the CPU.

    These files hold configs and training histories next to the tensors, so they are unpickled in
    full (``weights_only=False``, which PyTorch >= 2.6 no longer does by default): load only
    checkpoints this factory wrote, never one from an untrusted source."""
    return torch.load(path, map_location="cpu", weights_only=False)


def kept_epoch(ck: dict) -> int:
    """The epoch whose weights a checkpoint of ``train_model`` holds (checkpoints written before
    ``TrainConfig.keep`` existed kept the best val epoch)."""
    return int(ck.get("kept_epoch", ck["best_epoch"]))


def load_model(path: Path | str | dict) -> nn.Module:
    """Rebuilds a network from a checkpoint written by ``train_model`` (its path, or the checkpoint
    already loaded; eval mode, CPU)."""
    ck = path if isinstance(path, dict) else load_checkpoint(path)
    model = nets.build(ck["arch"], ck["config"])
    model.load_state_dict(ck["state_dict"])
    return model.eval()


def main(argv=None) -> int:
    from .dataset import load_frames

    ap = argparse.ArgumentParser(description="Train one network (single process or under torchrun).")
    ap.add_argument("--arch", default="student", choices=sorted(nets.ARCHS))
    ap.add_argument("--data", required=True, help="manifest.csv of the dataset")
    ap.add_argument("--out", required=True, help="output folder (model.pt, last.pt)")
    ap.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    ap.add_argument("--batch-size", type=int, default=TrainConfig.batch_size)
    ap.add_argument("--lr", type=float, default=TrainConfig.lr)
    ap.add_argument("--seed", type=int, default=TrainConfig.seed)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-train", type=int, default=0)
    ap.add_argument("--precision", default=TrainConfig.precision, choices=PRECISIONS, help="fp32, or bf16 autocast (TrainConfig.precision)")
    ap.add_argument("--ema", type=float, default=TrainConfig.ema, metavar="DECAY", help="keep an exponential moving average of the weights (TrainConfig.ema; 0 = off)")
    ap.add_argument("--patch-weight", type=float, default=TrainConfig.patch_weight, help="weight of the per-cell cross-entropy term (TrainConfig.patch_weight; 0 = off)")
    ap.add_argument("--cache", default=".cache/fasedge")
    args = ap.parse_args(argv)
    world, rank = dist_info()
    init_distributed()
    pcfg = PreprocessConfig()
    if rank == 0:
        frames = load_frames(args.data, pcfg, args.cache, workers=1)
    if world > 1:
        torch.distributed.barrier()
    if rank != 0:
        frames = load_frames(args.data, pcfg, args.cache, workers=1)
    tcfg = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed, threads=args.threads, max_train=args.max_train, precision=args.precision, ema=args.ema, patch_weight=args.patch_weight)
    path = train_model(args.arch, {}, frames.select(frames.split == "train"), frames.select(frames.split == "val"), pcfg, tcfg, Path(args.out), log=(print if rank == 0 else (lambda s: None)))
    if rank == 0:
        ck = load_checkpoint(path)
        print(json.dumps({"model": str(path), "world_size": ck["world_size"], "history": ck["history"]}))
    if world > 1:
        torch.distributed.destroy_process_group()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
