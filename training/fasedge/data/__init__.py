"""Data for fas-edge: a synthetic face presentation-attack generator, attack simulators usable on
any photo, and adapters that read real datasets into the same manifest format."""
from .dataset import (MANIFEST_COLUMNS, PRESETS, SPLITS, DataConfig, count_rows, generate_dataset,
                      read_manifest, write_manifest)

__all__ = ["MANIFEST_COLUMNS", "PRESETS", "SPLITS", "DataConfig", "count_rows", "generate_dataset",
           "read_manifest", "write_manifest"]
