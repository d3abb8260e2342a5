"""`rag ui`: the chat UI as a `rag` subcommand (registered as an entry point, so the library's
CLI never imports the UI; gradio loads only when the command runs)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.settings import Settings

HELP = "start the chat UI"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--share", action="store_true", help="public Gradio link (off by default)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    from paper_rag.ui.app import launch

    launch(settings, host=args.host, port=args.port, share=args.share)
    return 0
