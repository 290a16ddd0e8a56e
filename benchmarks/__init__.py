"""Benchmark tasks, one folder each, registered by name.

`AnyTaskConfig` is the union of every task's config, discriminated by `name`.
"""

from typing import TYPE_CHECKING, Annotated, Union

from pydantic import Field

from benchmarks.base import TASKS, AnswerError, ControllerSpec, PreparedTask, Score, Task, TaskConfig
from benchmarks.humaneval.task import HumanEvalConfig
from benchmarks.humaneval_fix.task import HumanEvalFixConfig
from benchmarks.krumsiek_trajectory.task import KrumsiekTrajectoryConfig
from benchmarks.ml_tabular.task import MLTabularConfig
from benchmarks.pbmc_annotation.task import PbmcAnnotationConfig
from benchmarks.pbmc_cell_cycle.task import PbmcCellCycleConfig
from benchmarks.pbmc_clustering.task import PbmcClusteringConfig
from benchmarks.pbmc_markers.task import PbmcMarkersConfig
from benchmarks.smoke_sum.task import SmokeSumConfig
from benchmarks.task_file.task import FileTaskConfig
from benchmarks.tcell_lineage.task import TcellLineageConfig
from benchmarks.tcell_multistep.task import TcellMultistepConfig
from benchmarks.tcr_clonotypes.task import TcrClonotypesConfig

_CONFIGS = (
    PbmcAnnotationConfig,
    PbmcClusteringConfig,
    PbmcMarkersConfig,
    PbmcCellCycleConfig,
    KrumsiekTrajectoryConfig,
    MLTabularConfig,
    HumanEvalConfig,
    HumanEvalFixConfig,
    SmokeSumConfig,
    TcrClonotypesConfig,
    TcellLineageConfig,
    TcellMultistepConfig,
    FileTaskConfig,
)
if TYPE_CHECKING:
    AnyTaskConfig = TaskConfig
else:
    AnyTaskConfig = Annotated[Union[_CONFIGS], Field(discriminator="name")] if len(_CONFIGS) > 1 else _CONFIGS[0]


def make_task(config: TaskConfig, seed: int) -> Task:
    return TASKS.get(config.name)(config, seed)


__all__ = [
    "TASKS",
    "AnswerError",
    "AnyTaskConfig",
    "ControllerSpec",
    "PreparedTask",
    "Score",
    "Task",
    "TaskConfig",
    "make_task",
]
