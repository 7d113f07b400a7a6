"""Write gzip siblings (`index.wasm.gz`) of the Godot web build's compressible files."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from miniapp.compression import compress_build
from miniapp.godot import build_dir


class Command(BaseCommand):
    help = (
        "Precompress the Godot web build in GODOT_BUILD_DIR: a .gz next to every .wasm, .pck, "
        ".js, .html... so the Mini App sends a quarter of the bytes. Run after each export."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force", action="store_true", help="Rewrite .gz files that look up to date."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Compress what changed since the last run and report the bytes saved."""
        root = build_dir()
        if not root.is_dir():
            raise CommandError(f"No Godot web build at {root} (set GODOT_BUILD_DIR).")
        report = compress_build(root=root, force=options["force"])
        for item in report.written:
            self.stdout.write(
                f"{item.name}: {item.original_bytes} -> {item.compressed_bytes} bytes"
            )
        written, fresh = len(report.written), len(report.up_to_date)
        self.stdout.write(f"Compressed {written} file(s), {fresh} already up to date.")
