"""The same Kore.ai export done by dlt's ``rest_api`` source to Parquet, configured as dlt's docs show
(an offset paginator on skip/limit with the total at ``data.totalResults``; filesystem destination).

``python -m benchmarks.dlt_export BASE_URL OUT_DIR`` prints the seconds ``pipeline.run`` took and the rows
written. Needs the bench extra: ``pip install -e '.[bench]'``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import dlt
import pyarrow.parquet as pq
from dlt.sources.rest_api import rest_api_source

from benchmarks.common import ENV
from bulkcontacts.providers.kore import sign_jwt


def export(base_url: str, out_dir: Path) -> tuple[float, int]:
    source = rest_api_source(
        {
            "client": {
                "base_url": base_url,
                "headers": {"auth": sign_jwt("app-1", ENV["KORE_CLIENT_SECRET"]), "iid": "app-1", "accountId": "acc-1"},
                "paginator": {
                    "type": "offset",
                    "limit": 100,
                    "offset_param": "skip",
                    "limit_param": "limit",
                    "total_path": "data.totalResults",
                },
            },
            "resources": [
                {
                    "name": "contacts",
                    "endpoint": {
                        "path": "campaign/api/v2/public/st-1/campaign/contactList/demo/getAllContacts",
                        "params": {"accountId": "acc-1"},
                        "data_selector": "data.results",
                    },
                }
            ],
        }
    )
    pipeline = dlt.pipeline(
        pipeline_name="bench_kore",
        destination=dlt.destinations.filesystem(str(out_dir)),
        dataset_name="kore",
        pipelines_dir=str(out_dir / ".dlt"),
    )
    started = time.monotonic()
    pipeline.run(source, loader_file_format="parquet")
    seconds = time.monotonic() - started
    rows = sum(pq.ParquetFile(path).metadata.num_rows for path in (out_dir / "kore" / "contacts").glob("*.parquet"))
    return seconds, rows


if __name__ == "__main__":
    took, written = export(sys.argv[1], Path(sys.argv[2]))
    print(f"{took} {written}")
