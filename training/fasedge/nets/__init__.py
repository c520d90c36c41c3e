"""Networks of the model factory: teacher (ResNet-style), student (inverted residual, < 0.5 M
parameters) and a MiniFASNetV2-class peer built from its published description."""
from .common import count_macs, count_params
from .minifasnet import MiniFASNetV2, MiniFASNetV2Config
from .student import Student, StudentConfig
from .teacher import Teacher, TeacherConfig

ARCHS = {"teacher": (Teacher, TeacherConfig), "student": (Student, StudentConfig), "minifasnetv2": (MiniFASNetV2, MiniFASNetV2Config)}


def build(arch: str, config: dict | None = None):
    """Builds a network from its architecture name and a dict of its config fields."""
    cls, cfg_cls = ARCHS[arch]
    return cls(cfg_cls(**(config or {})))


__all__ = ["ARCHS", "build", "count_macs", "count_params", "Teacher", "TeacherConfig", "Student", "StudentConfig", "MiniFASNetV2", "MiniFASNetV2Config"]
