"""Spark fixtures: one SparkSession for the whole test session, and the skip/require policy.

Spark tests run by default.  They are skipped (with the reason printed by ``-ra``) only when
pyspark cannot be imported AND ``SHUJIAN_REQUIRE_SPARK`` is unset; CI sets it so that a missing
extra fails loudly instead of silently skipping the parity check.
"""

from __future__ import annotations

import os

import pytest

from shujian.engines.spark_engine import spark_available

#: the session settings the Spark tests start their process-wide local session with (the first caller's count):
#: the driver JVM with C1 only and the serial collector, as the cluster parity's (cluster_runner.JAVA_OPTIONS; the
#: 12 models on the small city: 153 → 99 JVM CPU s)
SPARK_CONF = {"spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"}

SKIP_REASON = ('pyspark 未安装：Spark 引擎测试已跳过（pip install "shujian[spark]"；'
               "设置 SHUJIAN_REQUIRE_SPARK=1 可让缺少 Spark 时测试失败而非跳过）")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark: runs on Apache Spark in local mode (needs shujian[spark], Java 17)")


@pytest.fixture(scope="session")
def spark():
    """The process-wide local SparkSession."""
    if not spark_available():
        if os.environ.get("SHUJIAN_REQUIRE_SPARK"):
            pytest.fail("SHUJIAN_REQUIRE_SPARK 已设置，但 pyspark 无法导入：" + SKIP_REASON)
        pytest.skip(SKIP_REASON)
    from shujian.engines.spark_engine import get_session

    return get_session("local[2]", conf=SPARK_CONF)
