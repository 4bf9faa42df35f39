# Copyright (c) vpd_mm contributors. All rights reserved.
"""What an import of released files did: the videos written, skipped (and why) and warnings."""
import os
import os.path as osp
from typing import Dict, List, Optional

from vpd_mm.utils.io import dump_json_atomic


class ImportReport:
    """Collects the outcome of an import, one entry per video, for a JSON report and a summary.

    A *skipped* video is not in the output (its file could not be read or is malformed); a
    *warning* concerns a video that was written (e.g. an unreadable optional mask file, frames
    dropped beyond the frame count).

    Args:
        kind (str): What was imported, e.g. ``'poses'``, ``'features'``.
        source (str): The folder read.
        output (str): The file or folder written.
    """

    def __init__(self, kind: str, source: str, output: str) -> None:
        self.kind = kind
        self.source = source
        self.output = output
        self.imported: List[str] = []
        self.skipped: List[Dict[str, str]] = []
        self.warnings: List[Dict[str, str]] = []
        self.extra: Dict[str, object] = {}

    def ok(self, video: str) -> None:
        """Record a video written to the output."""
        self.imported.append(video)

    def skip(self, video: str, path: str, error: str) -> None:
        """Record a video left out because ``path`` could not be used."""
        self.skipped.append(dict(video=video, file=path, error=error))

    def warn(self, video: str, path: Optional[str], message: str) -> None:
        """Record a problem of a video that was still written."""
        self.warnings.append(dict(video=video, file=path or '', message=message))

    def to_dict(self) -> dict:
        """The report as a JSON-serialisable dict."""
        return dict(
            kind=self.kind,
            source=self.source,
            output=self.output,
            num_imported=len(self.imported),
            num_skipped=len(self.skipped),
            num_warnings=len(self.warnings),
            skipped=self.skipped,
            warnings=self.warnings,
            imported=self.imported,
            **self.extra)

    def dump(self, path: str) -> None:
        """Write the report atomically as JSON."""
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        dump_json_atomic(self.to_dict(), path, indent=1)

    def summary(self, max_lines: int = 10) -> str:
        """A few human-readable lines: counts and the first skipped videos."""
        lines = [
            f'{self.kind}: imported {len(self.imported)} videos from {self.source} to '
            f'{self.output}; skipped {len(self.skipped)}; {len(self.warnings)} warnings'
        ]
        for s in self.skipped[:max_lines]:
            lines.append(f'  skipped {s["video"]}: {s["error"]}')
        if len(self.skipped) > max_lines:
            lines.append(f'  ... {len(self.skipped) - max_lines} more (see the JSON report)')
        return '\n'.join(lines)
