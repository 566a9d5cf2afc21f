"""The one logging set-up of both front ends: format, redaction, quiet libraries."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT

_SCRIPT = """
import logging, os, sys
os.environ["NEWSQA_MILVUS_TOKEN"] = "root:MilvusSecretValue123"
from newsqa.bot._logging import setup_logging
setup_logging(["123456:BotTokenSecretPartAbcdefghijklmnop"], level="INFO")
log = logging.getLogger("newsqa.test")
log.info("token 123456:BotTokenSecretPartAbcdefghijklmnop milvus root:MilvusSecretValue123")
logging.getLogger("httpx").info("GET https://api.telegram.org/bot123/getMe")
logging.warning("Please consider to run pre-processing before quantization. Refer to ...")
import jieba  # sets its own logger to DEBUG on import: the set-up holds anyway
jieba.initialize()
import pymilvus  # configures its loggers with dictConfig on import
print(logging.getLogger("jieba").level, logging.getLogger("pymilvus").level,
      logging.getLogger("httpx").level, logging.getLogger("grpc._server").level)
"""


def test_setup_logging_formats_redacts_and_quiets() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, cwd=ROOT, check=True
    )
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr  # no httpx, onnxruntime or jieba lines
    assert re.fullmatch(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO newsqa\.test: "
        r"token \[REDACTED\] milvus \[REDACTED\]",
        lines[0],
    ), lines[0]
    assert proc.stdout.split() == ["30", "50", "30", "50"]
