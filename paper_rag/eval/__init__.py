"""Evaluation harness: question files, metrics and the runner that scores the engine."""
