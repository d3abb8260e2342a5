"""The clients of the `rag` library, under the distribution's own name: the Gradio chat
(`paper_rag.ui`) and the evaluation harness (`paper_rag.eval`). Each adds a `rag` subcommand
through the `paper_rag.commands` entry points."""
