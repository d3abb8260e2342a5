"""The Gradio chat UI (`rag ui`, `make run`); see ui.app."""
