"""Regenerate the bad-input corpus: ``python tests/data/bad/make_corpus.py``.

Outcomes are in tests/test_bad_inputs.py."""

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
HEADER = "phone,first_name,last_name\n"


def write(name: str, data: str | bytes) -> None:
    (HERE / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


write("ragged.csv", HEADER + "+91 98000 00001,Ana,Rao\n+91 98000 00002,Bo,Li,extra\n")
write("unterminated_quote.csv", HEADER + '+91 98000 00001,"Ana,Rao\n+91 98000 00002,Bo,Li\n')
write("windows1252.csv", (HEADER + "+91 98000 00001,Jos\xe9,Ni\xf1o\n").encode("cp1252"))
write("latin1.csv", (HEADER + "+91 98000 00001,Fran\xe7ois,M\xfcller\n").encode("latin-1"))
write("utf16_bom.csv", (HEADER + "+91 98000 00001,Zoë,Øvergaard\n").encode("utf-16"))
write("empty.csv", "")
write("header_only.csv", HEADER)
write("duplicate_headers.csv", "phone,name,name\n+91 98000 00001,Ana,Rao\n")
write("big_cell.csv", 'phone,first_name,notes\n+91 98000 00001,Ana,"' + "x" * (1 << 20) + '"\n+91 98000 00002,Bo,ok\n')
write("excel_scientific.csv", HEADER + "9.19877E+11,Lost,Digits\n9.19800000003E+11,Kept,Digits\n")
write(
    "phone_formats.csv",
    HEADER
    + "".join(
        f"{phone},P{index},X\n"
        for index, phone in enumerate(
            [
                "+91 98000 00001",
                "098000 00002",
                "(+91) 98000-00003",
                "9800000004",
                "919800000005",
                "0091 98000 00006",
                "+91.98000.00007",
            ]
        )
    ),
)
write("blank_lines.csv", HEADER + "\n+91 98000 00001,Ana,Rao\n\n\n+91 98000 00002,Bo,Li\n\n")
pq.write_table(
    pa.table(
        {
            "phone": pa.array([919800000001.0, 919800000002.0]),
            "first_name": pa.array([7, 8]),
            "last_name": pa.array([None, "Li"]),
        }
    ),
    HERE / "wrong_types.parquet",
)
pq.write_table(pa.table({"phone": ["+91 98000 00001"] * 50, "first_name": ["A"] * 50}), HERE / "truncated.parquet")
(HERE / "truncated.parquet").write_bytes((HERE / "truncated.parquet").read_bytes()[:300])
write(
    "broken_line.jsonl",
    '{"phone": "+91 98000 00001", "first_name": "Ana"}\n'
    '{"phone": "+91 98000 00002", "first_name": "Bo"}\n{"phone": "+91 98000 00003", "first_name": \n',
)
write("bad_toml.toml", '[job]\nname = "x"\n[source\ntype = "file"\n')
write(
    "wrong_types.toml",
    '[job]\nname = "x"\n[source]\ntype = "file"\npath = "header_only.csv"\n'
    '[sink]\ntype = "rampwin"\napi_key = "${RAMPWIN_API_KEY}"\nintegration_id = "c"\n[run]\nconcurrency = "lots"\n',
)
write(
    "unknown_provider.toml", '[job]\nname = "x"\n[source]\ntype = "hubspot"\n[sink]\ntype = "file"\npath = "out.csv"\n'
)
write("missing_table.toml", '[job]\nname = "x"\n[source]\ntype = "file"\npath = "header_only.csv"\n')

# -- more files: binary, compressed, BOM only, CR line ends, NUL bytes, nested and huge values --------------
import gzip  # noqa: E402

write("binary.csv", bytes(range(256)) * 8)
write("compressed.csv.gz", gzip.compress((HEADER + "+91 98000 00001,Ana,Rao\n").encode(), mtime=0))
write("gzip_named.csv", gzip.compress((HEADER + "+91 98000 00001,Ana,Rao\n").encode(), mtime=0))
write("zstd_named.csv", b"\x28\xb5\x2f\xfd" + b"\x00" * 40)
write("bom_only.csv", "\ufeff")
write("cr_only.csv", HEADER.replace("\n", "\r") + "+91 98000 00001,Ana,Rao\r+91 98000 00002,Bo,Li\r")
write("nul_bytes.csv", HEADER + "+91 98000 00001,A\x00na,Rao\n")
write(
    "nested.jsonl",
    '{"phone": {"number": "+91 98000 00001"}, "first_name": "Ana"}\n'
    '{"phone": "+91 98000 00002", "first_name": ["Bo", "Li"]}\n'
    '{"phone": "+91 98000 00003", "first_name": "Cy", "plan": {"tier": "gold"}}\n',
)
pq.write_table(
    pa.table({"phone": pa.array([{"n": "+91 98000 00001"}, {"n": "+91 98000 00002"}]), "first_name": ["Ana", "Bo"]}),
    HERE / "nested_phone.parquet",
)
write(
    "huge_numbers.jsonl",
    '{"phone": 919800000000000000000000000000001, "first_name": "Ana"}\n'
    '{"phone": 1e400, "first_name": "Bo"}\n'
    '{"phone": "+91 98000 00003", "first_name": "Cy", "amount": 1e400}\n',
)
write("huge_amount.csv", "phone,first_name,amount\n+91 98000 00001,Ana,1e999\n+91 98000 00002,Bo,12\n")
write("json_array.jsonl", '[{"phone": "+91 98000 00001", "first_name": "Ana"}]\n')
write("not_object.jsonl", '{"phone": "+91 98000 00001", "first_name": "Ana"}\n42\n')
write("no_phone_column.csv", "name;mobile\nAna;+91 98000 00001\n")
write("empty_header_name.csv", "phone,,last_name\n+91 98000 00001,Ana,Rao\n")
pq.write_table(
    pa.table({"phone": pa.array([], pa.string()), "first_name": pa.array([], pa.string())}), HERE / "no_rows.parquet"
)
write(
    "wide_header.csv",
    ",".join(["phone", "first_name"] + [f"attribute_{index}" for index in range(5000)])
    + "\n"
    + ",".join(["+91 98000 00001", "Ana"] + ["x"] * 5000)
    + "\n",
)

# -- more specs: every [run] number out of range, names, paths, keys, types, URLs ---------------------------
SPEC = (
    '[job]\nname = "{name}"\n[source]\ntype = "file"\npath = "header_only.csv"\n{source}'
    '[sink]\ntype = "rampwin"\napi_key = "${{RAMPWIN_API_KEY}}"\nintegration_id = "c"\n{sink}'
    "[mapping]\n{mapping}[run]\n{run}"
)


def spec(name: str, *, job: str = "x", source: str = "", sink: str = "", mapping: str = "", run: str = "") -> None:
    write(name, SPEC.format(name=job, source=source, sink=sink, mapping=mapping, run=run))


spec("rate_zero.toml", run='rate = "0/s"\n')
spec("rate_negative.toml", run="rate = -5\n")
spec("concurrency_zero.toml", run="concurrency = 0\n")
spec("timeout_negative.toml", run="request_timeout = -1\n")
spec("attempts_huge.toml", run="max_attempts = 100000\n")
spec("headroom_too_big.toml", run="rate_headroom = 0.9\n")
spec("unknown_run_key.toml", run='ratelimit = "10/s"\n')
spec("job_name_path.toml", job="../../etc")
spec("duplicate_key.toml", run='rate = "10/s"\nrate = "20/s"\n')
spec("unset_env.toml", sink='token = "${BULKCONTACTS_UNSET_A}"\n', mapping="", run="")
write(
    "misspelt_table.toml",
    '[job]\nname = "x"\n[sorce]\ntype = "file"\npath = "header_only.csv"\n'
    '[sink]\ntype = "rampwin"\napi_key = "${RAMPWIN_API_KEY}"\nintegration_id = "c"\n',
)
write(
    "unknown_sink.toml",
    '[job]\nname = "x"\n[source]\ntype = "file"\npath = "header_only.csv"\n[sink]\ntype = "salesforce"\n',
)
spec("unknown_encoding.toml", source='encoding = "utf-99"\n')
spec("delimiter_long.toml", source='delimiter = "ab"\n')
spec("batch_rows_zero.toml", source="batch_rows = 0\n")
write(
    "source_missing.toml",
    SPEC.format(name="x", source="", sink="", mapping="", run="").replace("header_only.csv", "no_such_file.csv"),
)
write(
    "source_directory.toml",
    SPEC.format(name="x", source='format = "csv"\n', sink="", mapping="", run="").replace('"header_only.csv"', '"."'),
)
spec("lookalike_host.toml", sink='base_url = "http://localhost.attacker.example"\n')
spec("userinfo_host.toml", sink='base_url = "https://me:pw@api.rampwin.com"\n')
spec("bad_country.toml", mapping='default_country = "XX"\n')
spec("bad_custom_type.toml", mapping='types = { amount = "money" }\n')
spec("tags_not_table.toml", mapping='tags = "tags"\n')
spec("missing_column.toml", mapping='email = "mail"\n')
spec("state_dir_file.toml", run='state_dir = "header_only.csv"\n')
write(
    "bad_updated_after.toml",
    '[job]\nname = "x"\n[source]\ntype = "smartflo"\ntoken = "${SMARTFLO_TOKEN}"\n'
    'updated_after = "last tuesday"\n[sink]\ntype = "file"\npath = "out.csv"\n',
)
write(
    "bad_filters.toml",
    '[job]\nname = "x"\n[source]\ntype = "rampwin"\ntoken = "${RAMPWIN_TOKEN}"\n'
    'integration_id = "c"\nfilters = [[{ field = "city" }]]\n[sink]\ntype = "file"\npath = "out.csv"\n',
)
write("binary_spec.toml", bytes(range(256)))
