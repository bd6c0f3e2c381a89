"""talkwatch's analysis layer: full-text search, the coverage report and exports, all read-only over the views."""
