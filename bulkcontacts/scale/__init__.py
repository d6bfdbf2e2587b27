"""One job on many workers: shards of rows run as Dask tasks, one rate budget shared through Redis."""
