import json

from bulkcontacts.config.sources import FileSource
from bulkcontacts.io.readers import FileReader


def test_jsonl_columns_are_every_lines_keys_not_just_the_first_lines(tmp_path):
    path = tmp_path / "in.jsonl"
    rows = [{"phone": f"98{index:08d}", "name": f"C{index}"} for index in range(2_000)]
    rows[1_500]["late_attribute"] = "seen only here"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    reader = FileReader(FileSource(type="file", path=path, batch_rows=100))
    assert reader.columns() == ["phone", "name", "late_attribute"]
    assert reader.count_rows() == 2_000
