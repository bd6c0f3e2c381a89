"""talkwatch pipelines: cleaning, dedup, dating, relevance, the Prefect flow and the CLI."""
