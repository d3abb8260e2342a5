"""The Gradio chat UI (`rag ui`, `make run`); see paper_rag.ui.app."""
