"""Where tasks run: local worker processes or a Ray cluster (executors, ray_executor)."""
