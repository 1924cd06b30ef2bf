"""Persistence: models, engine and session factory, repositories, migrations, seed loader."""
