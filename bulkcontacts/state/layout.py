"""The names inside a job's state directory, in one place (README: "State, outcome files and resuming")."""

FETCH_DIR = "fetch"  # a migration's fetch phase: an export's checkpoint, parts and records.jsonl
STAGING = "staging.jsonl"  # a migration's fetched records, flattened: what its send phase imports
VERIFY_DIR = "verify"  # verify's listing of the channel
WATERMARK = "watermark.json"  # kept by --restart: the high-water mark of the last complete incremental run
SHARDS_DIR = "shards"  # a sharded run: one state directory per shard, shards/0000, shards/0001, ...
SHARD_PLAN = "shards.json"  # how many shards, and the rows of each
PARTS_DIR = "parts"  # an export's pages as they land (a sharded export's shards share the job's)
LOCK = "lock"  # held by the run under way (state/lock.py); kept by --restart
