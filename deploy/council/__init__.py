"""A synthetic council: generated (generate), loaded through the APIs (load), judged (judge)."""
