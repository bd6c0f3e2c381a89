SELECT version, name FROM schema_migrations
