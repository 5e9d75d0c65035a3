"""Benchmarks: keepwarm's speed as ratios to bare baselines measured in the same run."""
