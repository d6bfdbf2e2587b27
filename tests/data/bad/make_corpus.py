"""Regenerate the bad-input corpus: ``python tests/data/bad/make_corpus.py``. Outcomes are in tests/test_bad_inputs.py."""

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
write("big_cell.csv", "phone,first_name,notes\n+91 98000 00001,Ana,\"" + "x" * (1 << 20) + "\"\n+91 98000 00002,Bo,ok\n")
write("excel_scientific.csv", HEADER + "9.19877E+11,Lost,Digits\n9.19800000003E+11,Kept,Digits\n")
write("phone_formats.csv", HEADER + "".join(f"{phone},P{index},X\n" for index, phone in enumerate(
    ["+91 98000 00001", "098000 00002", "(+91) 98000-00003", "9800000004", "919800000005", "0091 98000 00006",
     "+91.98000.00007"])))
write("blank_lines.csv", HEADER + "\n+91 98000 00001,Ana,Rao\n\n\n+91 98000 00002,Bo,Li\n\n")
pq.write_table(pa.table({"phone": pa.array([919800000001.0, 919800000002.0]), "first_name": pa.array([7, 8]),
                         "last_name": pa.array([None, "Li"])}), HERE / "wrong_types.parquet")
pq.write_table(pa.table({"phone": ["+91 98000 00001"] * 50, "first_name": ["A"] * 50}), HERE / "truncated.parquet")
(HERE / "truncated.parquet").write_bytes((HERE / "truncated.parquet").read_bytes()[:300])
write("broken_line.jsonl", '{"phone": "+91 98000 00001", "first_name": "Ana"}\n'
      '{"phone": "+91 98000 00002", "first_name": "Bo"}\n{"phone": "+91 98000 00003", "first_name": \n')
write("bad_toml.toml", '[job]\nname = "x"\n[source\ntype = "file"\n')
write("wrong_types.toml", '[job]\nname = "x"\n[source]\ntype = "file"\npath = "header_only.csv"\n'
      '[sink]\ntype = "rampwin"\napi_key = "${RAMPWIN_API_KEY}"\nintegration_id = "c"\n[run]\nconcurrency = "lots"\n')
write("unknown_provider.toml", '[job]\nname = "x"\n[source]\ntype = "hubspot"\n'
      '[sink]\ntype = "file"\npath = "out.csv"\n')
write("missing_table.toml", '[job]\nname = "x"\n[source]\ntype = "file"\npath = "header_only.csv"\n')
