"""The names inside a job's state directory, in one place (README: "State, outcome files and resuming")."""

FETCH_DIR = "fetch"  # a migration's fetch phase: an export's checkpoint, parts and records.jsonl
STAGING = "staging.jsonl"  # a migration's fetched records, flattened: what its send phase imports
VERIFY_DIR = "verify"  # verify's listing of the channel
WATERMARK = "watermark.json"  # kept by --restart: the high-water mark of the last complete incremental run
