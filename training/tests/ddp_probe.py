"""``python -m fasedge.train`` with every training batch recorded: each process appends one line per
step to ``$DDP_PROBE_OUT/rank<RANK>.jsonl`` with a digest of every frame it trains on (run by
test_ddp.py under torchrun)."""
import hashlib
import json
import os
import sys

from fasedge import train as T

forward = T.train_forward
record = open(os.path.join(os.environ["DDP_PROBE_OUT"], f"rank{os.environ.get('RANK', '0')}.jsonl"), "w")


def recorded(model, pixels, params, pcfg, dev, precision):
    record.write(json.dumps([hashlib.sha256(p.tobytes()).hexdigest()[:16] for p in pixels]) + "\n")
    record.flush()
    return forward(model, pixels, params, pcfg, dev, precision)


T.train_forward = recorded
sys.exit(T.main(sys.argv[1:]))
