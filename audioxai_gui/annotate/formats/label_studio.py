"""Label Studio JSON export for audio, one task per file.

A task holds ``annotations[].result[]``; a region is a result of type "labels" with
``value = {start, end, channel, labels: [...]}`` in seconds, and its result id. A per-region TextArea
(type "textarea", same id) carries the region's note. We read the first non-cancelled annotation and
warn about any other annotation or result type; several labels on one region are joined with ", ".
Label Studio audio regions have no frequencies. The written task's ``data.audio`` is left empty: the
writer does not know where the audio is served.
"""

from __future__ import annotations

import json
from collections import Counter

from ..regions import Region
from ._base import AnnotationFormatError, ParsedRegions, RenderedFile, WriteOptions, parse_number
from ._files import line_of, load_json_with_lines

LABELS_NAME, NOTE_NAME, AUDIO_NAME = "label", "note", "audio"


def read(text: str) -> ParsedRegions:
    document = load_json_with_lines(text)
    task = _single_task(document)
    parsed = ParsedRegions()
    annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
    if not annotations:
        parsed.warn(line_of(task), "the task has no annotation")
        return parsed
    if len(annotations) > 1:
        parsed.warn(line_of(annotations[1]), f"{len(annotations) - 1} further annotation(s) ignored")
    results = annotations[0].get("result")
    if not isinstance(results, list):
        raise AnnotationFormatError("annotation has no result list", line_of(annotations[0]))
    notes = {r.get("id"): r for r in results if isinstance(r, dict) and r.get("type") == "textarea"}
    ignored = Counter()
    for result in results:
        kind = result.get("type") if isinstance(result, dict) else type(result).__name__
        if kind == "labels":
            region = _region_from_result(result, notes.pop(result.get("id"), None))
            parsed.rows.append((line_of(result), region))
        elif kind != "textarea":
            ignored[kind] += 1
    ignored["textarea (not tied to a region)"] += len(notes)
    for kind, count in ignored.items():
        if count:
            parsed.warn(None, f"{count} result(s) of type {kind!r} ignored")
    return parsed


def _single_task(document) -> dict:
    tasks = document if isinstance(document, list) else [document]
    if len(tasks) != 1 or not isinstance(tasks[0], dict):
        found = f"found {len(tasks)}" if isinstance(document, list) else "found no task object"
        raise AnnotationFormatError(f"expected one Label Studio task, {found} (export one per file)", 1)
    return tasks[0]


def _region_from_result(result: dict, note_result: dict | None) -> Region:
    line = line_of(result)
    value = result.get("value")
    if not isinstance(value, dict) or "start" not in value or "end" not in value:
        raise AnnotationFormatError("labels result without value.start and value.end", line)
    labels = value.get("labels") or []
    if not isinstance(labels, list):
        raise AnnotationFormatError("value.labels is not a list", line)
    region = Region(
        parse_number(value["start"], line, "value.start"),
        parse_number(value["end"], line, "value.end"),
        label=", ".join(str(label) for label in labels),
    )
    if result.get("id"):
        region.id = str(result["id"])
    if note_result is not None:
        text = (note_result.get("value") or {}).get("text") or []
        region.note = "\n".join(text) if isinstance(text, list) else str(text)
    return region


def write(regions: list[Region], options: WriteOptions) -> RenderedFile:
    results = []
    for region in regions:
        span = {"start": region.start, "end": region.end, "channel": 0}
        labels = [region.label] if region.label else []
        results.append(_result(region.id, LABELS_NAME, "labels", {**span, "labels": labels}))
        if region.note:
            results.append(_result(region.id, NOTE_NAME, "textarea", {**span, "text": [region.note]}))
    task = {"data": {AUDIO_NAME: ""}, "annotations": [{"result": results}]}
    return RenderedFile(json.dumps([task], indent=2, ensure_ascii=False) + "\n")


def _result(region_id: str, from_name: str, kind: str, value: dict) -> dict:
    return {
        "id": region_id,
        "from_name": from_name,
        "to_name": AUDIO_NAME,
        "type": kind,
        "origin": "manual",
        "value": value,
    }
