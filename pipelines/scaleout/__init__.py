"""Running on several machines: stable shards of the sources, one `ingest` run per shard on Prefect workers, a
Prefect concurrency limit around the storage, and automations that retry a shard whose machine died."""
