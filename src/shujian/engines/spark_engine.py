"""The Spark engine (``pip install "shujian[spark]"``): the same compiled model on Apache Spark.

Development and CI run Spark in local mode (``local[2]``); a provincial data centre points
``SHUJIAN_SPARK_MASTER`` at its cluster, or sets ``SHUJIAN_SPARK_HIVE_DATABASE`` to read the
catalog's relations as tables of an existing Hive metastore.  Otherwise each catalog dataset
version is exported once from the DuckDB warehouse to Parquet (cached per immutable relation
under ``SHUJIAN_HOME/parquet/``) and registered as a temporary view named by its relation, so the
compiled SQL (dialect ``spark``) reads it unchanged.  One SparkSession per process: the JVM takes
seconds to start.
"""

from __future__ import annotations

import os
import sys
import threading
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..compiler.stages import bind, split_stages
from ..errors import ConfigError
from .base import Engine, Execution, ProgressFn, StagePlanner
from .parquet_cache import export_relation, parquet_path

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

    from ..catalog.schema import CatalogSchema
    from ..workspace import Workspace

INSTALL_HINT = '安装 Spark 引擎：pip install "shujian[spark]"（需要 Java 17；或改用默认引擎 --engine duckdb）'

_session: SparkSession | None = None
_session_lock = threading.Lock()


def require_pyspark() -> None:
    """Raise an actionable Chinese error when the optional extra is missing."""
    try:
        import pyspark  # noqa: F401
    except ImportError as exc:
        raise ConfigError("选择了 Spark 引擎，但当前环境未安装 pyspark", hint=INSTALL_HINT) from exc


def spark_available() -> bool:
    """True when pyspark can be imported (the JVM is not started)."""
    try:
        require_pyspark()
    except ConfigError:
        return False
    return True


def get_session(master: str = "local[2]", *, hive: bool = False,
                conf: dict[str, str] | None = None) -> SparkSession:
    """The process-wide SparkSession (created on first use; later arguments are ignored)."""
    global _session
    require_pyspark()
    from pyspark.sql import SparkSession

    with _session_lock:
        if _session is not None and not _session.sparkContext._jsc.sc().isStopped():
            return _session
        builder = SparkSession.builder.master(master).appName("shujian")
        this_machine = master.startswith("local") or _loopback(master)
        if this_machine:
            # Python UDFs (text rules) run in worker processes: this interpreter, not "python3" on PATH
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        if this_machine:  # no hostname lookups for a single-machine session or a cluster on 127.0.0.1
            builder = builder.config("spark.driver.host", "127.0.0.1").config(
                "spark.driver.bindAddress", "127.0.0.1")
        for key, value in {**_DEFAULT_CONF, **(conf or {})}.items():
            builder = builder.config(key, value)
        if hive:
            builder = builder.enableHiveSupport()
        try:
            _session = builder.getOrCreate()
        except Exception as exc:  # JVM missing, bad master URL …
            raise ConfigError(f"无法启动 Spark（master={master}）：{str(exc).splitlines()[0]}",
                              hint="检查 JAVA_HOME（需要 Java 17）与 SHUJIAN_SPARK_MASTER") from exc
        _session.sparkContext.setLogLevel("ERROR")
        return _session


def _loopback(master: str) -> bool:
    """Whether ``master`` is a standalone cluster on this machine (``spark://127.0.0.1:…``, ``localhost``).

    >>> _loopback("spark://127.0.0.1:7077"), _loopback("spark://10.0.0.5:7077"), _loopback("yarn")
    (True, False, False)
    """
    return master.startswith(("spark://127.0.0.1:", "spark://localhost:"))


# Small local jobs: few shuffle partitions, no UI; timestamps read as written (no zone shift).
_DEFAULT_CONF = {
    "spark.sql.shuffle.partitions": "4",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.adaptive.enabled": "true",
    "spark.driver.memory": "2g",
    "spark.sql.ansi.enabled": "false",
}


class SparkEngine(Engine):
    """Runs one compiled statement on a SparkSession; views must be registered first."""

    name = "spark"
    interrupt_again = 0.5        # cancelJobGroup cancels the running jobs only: repeat it until the run stops

    def __init__(self, spark: SparkSession, text_words: tuple[str, ...] = ()):
        self.spark = spark
        self._stopped = False
        self.group = f"shujian-{uuid.uuid4().hex[:12]}"
        self.text_words = text_words           # the workspace's user dictionary for text steps

    def register_parquet(self, relation: str, path: str | Path) -> None:
        """Make ``relation`` a temporary view over a Parquet file or directory.

        The schema is read from the file footer with pyarrow and handed to Spark, which otherwise
        runs one schema-inference job per file (seconds each; the demo city has 40 files).
        """
        reader = self.spark.read
        schema = _footer_schema(path)
        if schema is not None:
            reader = reader.schema(schema)
        reader.parquet(str(path)).createOrReplaceTempView(relation)

    def register_hive(self, relation: str, database: str) -> None:
        """Make ``relation`` a temporary view over the Hive table ``database.relation``."""
        self.spark.table(f"`{database}`.`{relation}`").createOrReplaceTempView(relation)

    def _execute(self, sql: str, parameters: dict, plan: StagePlanner | None = None) -> pa.Table:
        """Run ``sql`` in stages (``compiler.stages``): every CTE read more than once is computed
        up front and read back as a view.  Spark inlines CTEs, so a chain whose steps are each read
        twice (the unrolled label propagation of connected components) grows as 2^depth in the plan
        and never finishes planning.  Each shared CTE is evaluated once (``localCheckpoint``:
        materialised, lineage cut) under a run-unique view name."""
        sc = self.spark.sparkContext
        sc.setJobGroup(self.group, "shujian model run", interruptOnCancel=True)
        if "shujian_text" in sql.lower():      # capability text.rules: the text step's Python function
            from ..text.udf import register_spark

            register_spark(self.spark, self.text_words)
        views: list[str] = []
        try:
            suffix = f"__{self.group.replace('-', '_')}"
            stages = (plan(suffix) if plan is not None else None) or split_stages(sql, "spark", suffix=suffix)
            for stage in stages.stages:
                self._check_stopped()
                self.spark.sql(stage.sql, args=bind(stage.parameters, parameters)).localCheckpoint(eager=True) \
                    .createOrReplaceTempView(stage.table)
                views.append(stage.table)
            self._check_stopped()
            df = self.spark.sql(stages.final, args=bind(stages.final_parameters, parameters))
            return _to_arrow(df)
        finally:
            for name in views:
                self.spark.catalog.dropTempView(name)
            sc.setLocalProperty("spark.jobGroup.id", None)

    def _check_stopped(self) -> None:
        """Start no further job once the run is cancelled (between two stages nothing is running to cancel)."""
        if self._stopped:
            raise InterruptedError("Spark 运行已取消")

    def _interrupt(self) -> None:
        self._stopped = True
        self.spark.sparkContext.cancelJobGroup(self.group)

    def _progress(self) -> float | None:
        tracker = self.spark.sparkContext.statusTracker()
        total = done = 0
        for job_id in tracker.getJobIdsForGroup(self.group):
            job = tracker.getJobInfo(job_id)
            for stage_id in job.stageIds if job else ():
                stage = tracker.getStageInfo(stage_id)
                if stage:
                    total, done = total + stage.numTasks, done + stage.numCompletedTasks
        return 100.0 * done / total if total else None


def _footer_schema(path: str | Path) -> Any:
    """Spark schema of a single Parquet file from its footer, or None (then Spark infers it)."""
    try:
        import pyarrow.parquet as pq
        from pyspark.sql.pandas.types import from_arrow_type
        from pyspark.sql.types import StructField, StructType

        if not Path(path).is_file():
            return None
        fields = pq.read_schema(path)
        return StructType([StructField(f.name, from_arrow_type(f.type, prefer_timestamp_ntz=True), True)
                           for f in fields])
    except Exception:  # an Arrow type Spark cannot take: let Spark infer the schema itself
        return None


def _to_arrow(df: Any) -> pa.Table:
    if hasattr(df, "toArrow"):  # pyspark >= 4.0
        return df.toArrow()
    batches = df._collect_as_arrow()  # pyspark 3.5
    schema = batches[0].schema if batches else pa.schema([])
    return pa.Table.from_batches(batches, schema=schema)


def relations_of(compiled: Any, catalog: CatalogSchema) -> list[str]:
    """Physical relations a compiled model reads (its datasets' relations)."""
    names: Iterable[str] = getattr(compiled, "datasets", None) or catalog.datasets.keys()
    return sorted({catalog.get(n).relation for n in names if catalog.get(n) is not None})


def execute_compiled(ws: Workspace, compiled: Any, catalog: CatalogSchema, *,
                     progress: ProgressFn | None = None, cancel: threading.Event | None = None) -> Execution:
    """Run a model compiled for dialect ``spark`` against the workspace's catalog on Spark."""
    settings = ws.settings
    hive_db = getattr(settings, "spark_hive_database", None)
    spark = get_session(getattr(settings, "spark_master", "local[2]"), hive=bool(hive_db))
    words: tuple[str, ...] = ()
    if "text.rules" in (getattr(compiled, "capabilities", None) or ()):
        from ..text.dictionary import user_words

        words = tuple(user_words(ws))
    engine = SparkEngine(spark, words)
    relations = relations_of(compiled, catalog)
    if hive_db:
        for rel in relations:
            engine.register_hive(rel, hive_db)
    else:
        cache = settings.home_path / "parquet"
        paths = {rel: parquet_path(cache, rel) for rel in relations}
        missing = [rel for rel, path in paths.items() if not path.is_file()]
        if missing:  # open the warehouse only when something must be exported (it may be busy)
            with ws.warehouse() as con:
                for rel in missing:
                    export_relation(con, rel, cache)
        for rel, path in paths.items():
            engine.register_parquet(rel, path)
    return engine.execute(compiled.sql, compiled.parameters, plan=getattr(compiled, "staged", None),
                          progress=progress, cancel=cancel)


__all__ = ["INSTALL_HINT", "SparkEngine", "execute_compiled", "get_session", "relations_of",
           "require_pyspark", "spark_available"]
