"""Annotation import/export: round trips, real files from each tool, and errors that name file and line."""

from __future__ import annotations

import os
import re

import pytest

from audioxai_gui.annotate.formats import FORMATS, AnnotationFormatError, read_regions, write_regions
from audioxai_gui.annotate.regions import Region

TOLERANCE = 1e-6
SAMPLE_RATE = 16000


def _time_regions() -> list[Region]:
    return [
        Region(0.1234567, 0.5, label="dog bark", note="first"),
        Region(0.4, 1.75, label="überlappend – 犬", note="overlaps the first"),
        Region(2.0, 2.25, label="click"),
    ]


def _boxes() -> list[Region]:
    return [
        Region(0.25, 0.75, 120.5, 3999.25, label="low hum", note="box"),
        Region(1.0, 1.5, 0.0, 8000.0, label="ß whistle"),
    ]


def _assert_same(read: list[Region], written: list[Region], *, bands: bool = True) -> None:
    """Same regions (any order) within 1e-6 s / Hz, labels exact; bands compared when the format has them."""

    def key(region: Region):
        return (round(region.start, 5), round(region.end, 5), region.label)

    assert len(read) == len(written)
    for got, want in zip(sorted(read, key=key), sorted(written, key=key), strict=True):
        assert got.label == want.label
        assert got.start == pytest.approx(want.start, abs=TOLERANCE)
        assert got.end == pytest.approx(want.end, abs=TOLERANCE)
        if bands:
            assert got.is_box == want.is_box
            if want.is_box:
                assert got.low_hz == pytest.approx(want.low_hz, abs=TOLERANCE)
                assert got.high_hz == pytest.approx(want.high_hz, abs=TOLERANCE)


def _write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


# --- round trips -------------------------------------------------------------------------------------

ROUND_TRIPS = [  # format, file name, regions, whether frequency bands survive
    ("audacity", "labels.txt", _time_regions() + _boxes(), True),
    ("raven", "table.selections.txt", _time_regions() + _boxes(), True),
    ("textgrid", "clip.TextGrid", _time_regions(), False),
    ("sonic-visualiser", "layer.csv", _time_regions(), True),
    ("sonic-visualiser", "boxes.csv", _boxes(), True),
    ("label-studio", "task.json", _time_regions(), False),
    ("dcase", "clip.waveform.events.tsv", _time_regions(), False),
    ("csv", "regions.csv", _time_regions() + _boxes(), True),
    ("json", "regions.json", _time_regions() + _boxes(), True),
]


@pytest.mark.parametrize(("name", "filename", "regions", "bands"), ROUND_TRIPS, ids=lambda v: str(v)[:20])
def test_round_trip_keeps_times_bands_and_unicode_labels(tmp_path, name, filename, regions, bands):
    path = tmp_path / filename
    write_regions(path, regions, name, sample_rate=SAMPLE_RATE, duration=3.0)
    result = read_regions(path, name, duration=3.0)
    assert result.format == name
    assert result.warnings == []
    _assert_same(result.regions, regions, bands=bands)


@pytest.mark.parametrize("name", ["csv", "json", "raven", "label-studio"])
def test_round_trip_keeps_ids_and_notes(tmp_path, name):
    regions = _time_regions()
    regions[0].note = 'two\nlines, "quoted"' if name in ("csv", "json", "label-studio") else "one line"
    path = tmp_path / f"r{FORMATS[name].suffixes[0]}"
    write_regions(path, regions, name, sample_rate=SAMPLE_RATE)
    read = {r.id: r for r in read_regions(path, name).regions}
    assert {r.id: r.note for r in regions} == {i: r.note for i, r in read.items()}


@pytest.mark.parametrize("name", ["csv", "json"])
def test_plain_formats_round_trip_exactly(tmp_path, name):
    regions = _time_regions() + _boxes() + [Region(0.1 + 0.2, 1 / 3, label='a,"b"\tc')]
    path = tmp_path / f"all.{name}"
    write_regions(path, regions)
    assert read_regions(path).regions == regions  # dataclass equality: every field, floats bit-exact


@pytest.mark.parametrize(("name", "suffix"), [("csv", ".csv"), ("json", ".json"), ("raven", ".txt")])
def test_extra_columns_are_written_and_read_back(tmp_path, name, suffix):
    regions = _boxes()
    extra = {regions[0].id: {"relevance waveform": 0.625, "relevance spectrogram": 0.125}}
    path = tmp_path / f"x{suffix}"
    write_regions(path, regions, name, extra_columns=extra)
    result = read_regions(path, name)
    back = result.extra_columns[regions[0].id]
    assert float(back["relevance waveform"]) == 0.625
    assert float(back["relevance spectrogram"]) == 0.125
    assert regions[1].id not in result.extra_columns


def test_export_warns_about_what_the_format_cannot_keep(tmp_path):
    boxes = _boxes()
    warnings = write_regions(tmp_path / "x.TextGrid", boxes, extra_columns={boxes[0].id: {"relevance": 1.0}})
    text = " ".join(warnings)
    assert "keeps no frequencies: 2 box(es)" in text
    assert "keeps no notes: 1" in text
    assert "extra columns" in text
    assert write_regions(tmp_path / "x.json", boxes) == []


# --- Audacity ----------------------------------------------------------------------------------------


def test_audacity_real_export_with_spectral_lines(tmp_path):
    path = _write(
        tmp_path / "Labels 1.txt",
        "0.500000\t1.250000\tdog bark\n"
        "\\\t300.000000\t4000.000000\n"
        "1.500000\t1.500000\tclick\n"
        "2.000000\t3.000000\t\n"
        "\\\t-1.000000\t-1.000000\n",
    )
    result = read_regions(path)
    assert result.format == "audacity"
    bark, click, unnamed = result.regions
    assert (bark.start, bark.end, bark.low_hz, bark.high_hz, bark.label) == (
        0.5,
        1.25,
        300.0,
        4000.0,
        "dog bark",
    )
    assert (click.start, click.end, click.label, click.is_point) == (1.5, 1.5, "click", True)
    assert (unnamed.label, unnamed.is_box) == ("", False)
    assert result.warnings == []


def test_audacity_writes_six_decimals_and_the_spectral_line(tmp_path):
    path = tmp_path / "out.txt"
    write_regions(path, [Region(0.1234567, 1.0, 100.0, 200.0, label="a b")])
    assert path.read_text() == "0.123457\t1.000000\ta b\n\\\t100.000000\t200.000000\n"


def test_audacity_bad_number_names_file_and_line(tmp_path):
    path = _write(tmp_path / "bad.txt", "0.1\t0.2\tok\n\\\t10\t20\n0.5\tlater\tbroken\n")
    with pytest.raises(AnnotationFormatError, match=r"bad\.txt, line 3: end time 'later' is not a number"):
        read_regions(path)


# --- Raven -------------------------------------------------------------------------------------------

RAVEN_HEADER = (
    "Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)\t"
    "Delta Time (s)\tAnnotation\tSpecies\n"
)


def test_raven_real_table_keeps_one_region_per_selection_preferring_spectrogram(tmp_path):
    path = _write(
        tmp_path / "Table.1.selections.txt",
        RAVEN_HEADER + "1\tWaveform 1\t1\t0.512345678\t1.250000000\t0.000\t11025.000\t0.7377\tsong\tchickadee\n"
        "1\tSpectrogram 1\t1\t0.512345678\t1.250000000\t2500.000\t6000.000\t0.7377\tsong\tchickadee\n"
        "2\tSpectrogram 1\t1\t3.000000000\t3.400000000\t100.000\t900.000\t0.4000\t\t\n",
    )
    result = read_regions(path)
    assert result.format == "raven"
    song, second = result.regions
    assert (song.start, song.end, song.low_hz, song.high_hz, song.label) == (
        0.512345678,
        1.25,
        2500.0,
        6000.0,
        "song",
    )
    assert (second.low_hz, second.high_hz, second.label) == (100.0, 900.0, "")
    assert result.extra_columns[song.id]["Species"] == "chickadee"


def test_raven_time_regions_are_nyquist_boxes_marked_by_region_kind(tmp_path):
    path = tmp_path / "out.txt"
    region = Region(1.0, 2.0, label="speech")
    write_regions(path, [region], "raven", sample_rate=SAMPLE_RATE)
    header, waveform_row, spectrogram_row = path.read_text().splitlines()
    assert header.startswith("Selection\tView\tChannel\tBegin Time (s)\tEnd Time (s)\tLow Freq (Hz)\tHigh Freq (Hz)")
    assert "Region Kind" in header.split("\t")
    cells = dict(zip(header.split("\t"), spectrogram_row.split("\t"), strict=True))
    assert (cells["View"], float(cells["High Freq (Hz)"]), cells["Region Kind"]) == (
        "Spectrogram 1",
        8000.0,
        "time",
    )
    assert waveform_row.split("\t")[:2] == ["1", "Waveform 1"]
    assert read_regions(path).regions[0].is_box is False


@pytest.mark.parametrize("name", ["raven", "sonic-visualiser"])
def test_box_only_formats_need_the_sample_rate_for_time_regions(tmp_path, name):
    path = tmp_path / "t.txt"
    with pytest.raises(AnnotationFormatError, match=r"t\.txt: .* 0 Hz to Nyquist boxes: give sample_rate"):
        write_regions(path, [Region(0, 1), Region(1, 2, 10, 20)], name)
    assert not path.exists()
    write_regions(path, [Region(1, 2, 10, 20)], name)  # boxes alone need no rate


def test_raven_without_region_kind_imports_boxes(tmp_path):
    path = _write(tmp_path / "t.txt", RAVEN_HEADER + "1\tSpectrogram 1\t1\t0\t1\t0\t8000\t1\tall\t\n")
    assert read_regions(path).regions[0].is_box


def test_raven_bad_begin_time_names_line(tmp_path):
    path = _write(
        tmp_path / "t.txt",
        RAVEN_HEADER + "1\tSpectrogram 1\t1\t0\t1\t0\t8000\t1\tok\t\n2\tSpectrogram 1\t1\tx\t1\t0\t8000\t1\t\t\n",
    )
    with pytest.raises(AnnotationFormatError, match=r"t\.txt, line 3: Begin Time \(s\) 'x' is not a number"):
        read_regions(path)


# --- Praat TextGrid ----------------------------------------------------------------------------------

PRAAT_LONG_CLEAN = '''File type = "ooTextFile"
Object class = "TextGrid"

xmin = 0
xmax = 2.5
tiers? <exists>
size = 2
item []:
    item [1]:
        class = "IntervalTier"
        name = "words"
        xmin = 0
        xmax = 2.5
        intervals: size = 3
        intervals [1]:
            xmin = 0
            xmax = 0.61
            text = ""
        intervals [2]:
            xmin = 0.61
            xmax = 1.3
            text = "say ""seven"""
        intervals [3]:
            xmin = 1.3
            xmax = 2.5
            text = ""
    item [2]:
        class = "TextTier"
        name = "clicks"
        xmin = 0
        xmax = 2.5
        points: size = 1
        points [1]:
            number = 1.75
            mark = "pop"
'''
PRAAT_LONG = PRAAT_LONG_CLEAN.replace("\n", " \n")  # Praat ends its lines with a space

PRAAT_SHORT = """File type = "ooTextFile"
Object class = "TextGrid"

0
2.5
<exists>
1
"IntervalTier"
"words"
0
2.5
2
0
1.3
"sieben"
1.3
2.5
""
"""


def test_textgrid_long_format_from_praat(tmp_path):
    result = read_regions(_write(tmp_path / "clip.TextGrid", PRAAT_LONG))
    word, pop = result.regions
    assert (word.start, word.end, word.label, word.note) == (0.61, 1.3, 'say "seven"', "tier: words")
    assert (pop.start, pop.end, pop.label, pop.is_point) == (1.75, 1.75, "pop", True)
    assert result.warnings == []


def test_textgrid_keeps_points_in_a_point_tier(tmp_path):
    regions = [Region(0.2, 0.6, label="se"), Region(0.4, 0.4, label="click"), Region(0.9, 0.9, label="pop")]
    path = tmp_path / "points.TextGrid"
    write_regions(path, regions, duration=1.0)
    text = path.read_text()
    assert 'class = "TextTier"' in text and 'name = "points"' in text and "points: size = 2" in text
    back = read_regions(path).regions
    assert sorted((r.start, r.end, r.label, r.note) for r in back) == [
        (0.2, 0.6, "se", ""),
        (0.4, 0.4, "click", ""),
        (0.9, 0.9, "pop", ""),
    ]


def test_textgrid_short_format_and_utf16_as_praat_saves_non_ascii(tmp_path):
    result = read_regions(_write(tmp_path / "clip.TextGrid", PRAAT_SHORT, encoding="utf-16"))
    assert [(r.start, r.end, r.label) for r in result.regions] == [(0.0, 1.3, "sieben")]


def test_textgrid_overlaps_go_to_extra_tiers_filled_with_gaps(tmp_path):
    path = tmp_path / "o.TextGrid"
    write_regions(
        path,
        [Region(0.2, 1.0, label="a"), Region(0.5, 1.5, label="b"), Region(1.2, 1.4, label="c")],
        duration=2.0,
    )
    text = path.read_text()
    assert re.findall(r'name = "([^"]*)"', text) == ["regions", "regions 2"]
    for tier in text.split("item [")[2:]:
        bounds = [float(v) for v in re.findall(r"(?:xmin|xmax) = ([\d.]+)", tier.split("intervals: size")[1])]
        starts, ends = bounds[0::2], bounds[1::2]
        assert starts[0] == 0.0 and ends[-1] == 2.0
        assert starts[1:] == ends[:-1]  # contiguous: no gaps, no overlaps, as Praat requires


def test_textgrid_truncated_file_names_line(tmp_path):
    broken = PRAAT_LONG.replace('            text = "say ""seven""" \n', "            text = 12 \n")
    path = _write(tmp_path / "b.TextGrid", broken)
    with pytest.raises(AnnotationFormatError, match=r"b\.TextGrid, line 22: expected interval text"):
        read_regions(path)


# --- Sonic Visualiser --------------------------------------------------------------------------------


def test_sonic_visualiser_region_layer_without_header(tmp_path):
    path = _write(tmp_path / "regions.csv", "0.500000000,3,0.750000000,dog bark\n2.000000000,0,0.250000000\n")
    result = read_regions(path)
    assert result.format == "sonic-visualiser"
    assert [(r.start, r.end, r.label, r.is_box) for r in result.regions] == [
        (0.5, 1.25, "dog bark", False),
        (2.0, 2.25, "", False),
    ]


def test_sonic_visualiser_box_layer_with_header(tmp_path):
    text = 'START,END,EXTENT START,EXTENT END,LABEL\n0.100000000,0.400000000,220,880,"a, b"\n'
    region = read_regions(_write(tmp_path / "boxes.csv", text)).regions[0]
    assert (region.start, region.end, region.low_hz, region.high_hz, region.label) == (
        0.1,
        0.4,
        220.0,
        880.0,
        "a, b",
    )


def test_sonic_visualiser_bad_duration_names_line(tmp_path):
    path = _write(tmp_path / "r.csv", "TIME,VALUE,DURATION,LABEL\n0.5,0,0.25,a\n1.0,0,soon,b\n")
    with pytest.raises(AnnotationFormatError, match=r"r\.csv, line 3: duration 'soon' is not a number"):
        read_regions(path)


# --- Label Studio ------------------------------------------------------------------------------------

LABEL_STUDIO_EXPORT = """[
  {
    "id": 7,
    "annotations": [
      {
        "id": 12,
        "completed_by": 1,
        "result": [
          {
            "original_length": 3.2,
            "value": {"start": 0.41, "end": 1.07, "channel": 0, "labels": ["Speech"]},
            "id": "wavesurfer_a1",
            "from_name": "labels",
            "to_name": "audio",
            "type": "labels",
            "origin": "manual"
          },
          {
            "value": {"start": 0.41, "end": 1.07, "channel": 0, "text": ["hello there"]},
            "id": "wavesurfer_a1",
            "from_name": "transcription",
            "to_name": "audio",
            "type": "textarea",
            "origin": "manual"
          },
          {"value": {"choices": ["clean"]}, "id": "c1", "from_name": "q", "type": "choices"}
        ],
        "was_cancelled": false
      }
    ],
    "data": {"audio": "/data/upload/1/clip.wav"}
  }
]
"""


def test_label_studio_real_export(tmp_path):
    result = read_regions(_write(tmp_path / "project-1.json", LABEL_STUDIO_EXPORT))
    assert result.format == "label-studio"
    (speech,) = result.regions
    assert (speech.start, speech.end, speech.label, speech.note, speech.id) == (
        0.41,
        1.07,
        "Speech",
        "hello there",
        "wavesurfer_a1",
    )
    assert any("'choices' ignored" in warning for warning in result.warnings)


def test_label_studio_result_without_end_names_its_line(tmp_path):
    broken = LABEL_STUDIO_EXPORT.replace(
        '"start": 0.41, "end": 1.07, "channel": 0, "labels"', '"start": 0.41, "labels"'
    )
    path = _write(tmp_path / "ls.json", broken)
    with pytest.raises(AnnotationFormatError, match=r"ls\.json, line 9: labels result without value\.start"):
        read_regions(path)


# --- plain CSV / JSON --------------------------------------------------------------------------------


def test_plain_csv_hand_written(tmp_path):
    text = 'id,start,end,low_hz,high_hz,label,note,relevance\nr1,0.5,1.5,,,"yes, really",,0.8\nr2,1,2,100,200,box,n,\n'
    result = read_regions(_write(tmp_path / "h.csv", text))
    assert result.format == "csv"
    assert result.regions == [
        Region(0.5, 1.5, label="yes, really", id="r1"),
        Region(1, 2, 100, 200, "box", "n", "r2"),
    ]
    assert result.extra_columns == {"r1": {"relevance": "0.8"}}


def test_plain_csv_wrong_field_count_names_line(tmp_path):
    path = _write(tmp_path / "c.csv", "start,end,low_hz,high_hz,label,note,id\n0,1,,,x,,a\n0,1,,x,,b\n")
    with pytest.raises(AnnotationFormatError, match=r"c\.csv, line 3: 6 fields but the header has 7"):
        read_regions(path)


def test_plain_json_names_the_line_of_the_bad_region_and_of_syntax_errors(tmp_path):
    text = (
        '{"format": "audioxai-regions", "version": 1, "regions": [\n'
        '  {"start": 0, "end": 1, "label": "a"},\n'
        '  {"start": -2,\n'
        '   "end": 3, "label": "b", "extra": {"relevance": 0.5}}\n'
        "]}\n"
    )
    path = _write(tmp_path / "j.json", text)
    with pytest.raises(AnnotationFormatError, match=r"j\.json, line 3: region 'b' .*start must not be negative"):
        read_regions(path)
    _write(path, '{"format": "audioxai-regions",\n "version": 1,\n "regions": [,]}')
    with pytest.raises(AnnotationFormatError, match=r"j\.json, line 3: not valid JSON"):
        read_regions(path)
    _write(path, '{"format": "audioxai-regions", "version": 1,\n "regions": [{"start": 0, "end": 1, "colour": 3}]}')
    with pytest.raises(AnnotationFormatError, match=r"j\.json, line 2: unknown region field\(s\): colour"):
        read_regions(path)


# --- shared rules ------------------------------------------------------------------------------------


def test_end_before_start_is_an_error_with_line_and_nothing_is_imported(tmp_path):
    path = _write(tmp_path / "l.txt", "0\t1\tfine\n2\t1.5\tbackwards\n")
    with pytest.raises(
        AnnotationFormatError, match=r"l\.txt, line 2: region 'backwards' .*start \(2 s\) must be before end \(1\.5 s\)"
    ):
        read_regions(path)


def test_negative_time_is_an_error_with_line(tmp_path):
    with pytest.raises(AnnotationFormatError, match=r"n\.txt, line 1: region 'early' .*start must not be negative"):
        read_regions(_write(tmp_path / "n.txt", "-0.5\t1\tearly\n"))


def test_times_past_duration_are_reported_not_clipped_or_refused_when_strict(tmp_path):
    path = _write(tmp_path / "d.txt", "0.5\t1.0\tinside\n2.5\t3.5\toutside\n")
    result = read_regions(path, duration=3.0)
    assert [r.end for r in result.regions] == [1.0, 3.5]
    assert len(result.warnings) == 1 and "d.txt, line 2" in result.warnings[0] and "3.5 s" in result.warnings[0]
    with pytest.raises(AnnotationFormatError, match=r"d\.txt, line 2: region 'outside' ends at 3\.5 s"):
        read_regions(path, duration=3.0, strict=True)


def test_audacity_rounding_at_the_very_end_is_not_reported(tmp_path):
    path = tmp_path / "end.txt"
    write_regions(path, [Region(0.0, 1.2345674, label="whole clip")])
    assert read_regions(path, duration=1.2345674).warnings == []


def test_duplicate_ids_are_refused_with_both_lines(tmp_path):
    path = _write(tmp_path / "dup.csv", "id,start,end,low_hz,high_hz,label,note\na,0,1,,,x,\na,1,2,,,y,\n")
    with pytest.raises(AnnotationFormatError, match=r"line 3: region id 'a' already used on line 2"):
        read_regions(path)


@pytest.mark.parametrize(
    ("filename", "text", "expected"),
    [
        ("a.txt", "0\t1\tx\n", "audacity"),
        ("a.txt", RAVEN_HEADER + "1\tSpectrogram 1\t1\t0\t1\t0\t8000\t1\tx\t\n", "raven"),
        ("a.csv", "id,start,end,low_hz,high_hz,label,note\nq,0,1,,,x,\n", "csv"),
        ("a.csv", "0.0,0,1.0,x\n", "sonic-visualiser"),
        ("a.json", '{"format": "audioxai-regions", "version": 1, "regions": []}', "json"),
        ("a.json", '[{"annotations": []}]', "label-studio"),
    ],
)
def test_format_is_detected_by_suffix_and_content(tmp_path, filename, text, expected):
    assert read_regions(_write(tmp_path / filename, text)).format == expected


def test_writing_picks_the_format_by_longest_suffix(tmp_path):
    region = Region(0, 1, label="x")
    for filename, expected in [
        ("a.selections.txt", "raven"),
        ("a.txt", "audacity"),
        ("a.TextGrid", "textgrid"),
    ]:
        write_regions(tmp_path / filename, [region], sample_rate=SAMPLE_RATE)
        assert read_regions(tmp_path / filename).format == expected


def test_unknown_suffix_and_unknown_format_are_clear_errors(tmp_path):
    with pytest.raises(AnnotationFormatError, match=r"a\.xyz: no annotation format uses this suffix"):
        write_regions(tmp_path / "a.xyz", [])
    with pytest.raises(AnnotationFormatError, match=r"unknown format 'elan'; known: audacity"):
        read_regions(tmp_path / "a.txt", format="elan")
    with pytest.raises(AnnotationFormatError, match=r"missing\.txt: cannot read the file"):
        read_regions(tmp_path / "missing.txt")


def test_write_is_atomic_and_a_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "keep.json"
    write_regions(path, [Region(0, 1, label="old")])
    before = path.read_bytes()

    def crash(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(AnnotationFormatError, match=r"keep\.json: cannot write the file \(No space left on device\)"):
        write_regions(path, [Region(0, 2, label="new")])
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.json"]  # no temp file left behind


def test_writing_an_impossible_region_names_it_and_writes_nothing(tmp_path):
    region = Region(2.0, 1.0, label="backwards", id="r9")
    with pytest.raises(AnnotationFormatError, match=r"x\.csv: region 'backwards' \[r9\] .*must be before end"):
        write_regions(tmp_path / "x.csv", [region])
    assert not (tmp_path / "x.csv").exists()


def test_every_format_is_listed_with_suffixes_and_a_file_filter():
    assert set(FORMATS) == {
        "audacity",
        "raven",
        "textgrid",
        "sonic-visualiser",
        "label-studio",
        "csv",
        "json",
        "dcase",
    }
    assert FORMATS["textgrid"].file_filter == "Praat TextGrid (*.TextGrid)"
    assert all(fmt.suffixes and fmt.description for fmt in FORMATS.values())


def test_dcase_list_reads_by_suffix_with_or_without_its_header(tmp_path):
    path = tmp_path / "rec.spectrogram.events.tsv"
    path.write_text("1.250\t1.800\t7\n0.100\t0.400\tdog bark\n")
    regions = read_regions(path).regions
    assert [(r.start, r.end, r.label) for r in regions] == [(1.25, 1.8, "7"), (0.1, 0.4, "dog bark")]
    write_regions(path, regions)
    text = path.read_text()
    assert text.splitlines()[0] == "onset\toffset\tevent_label"
    assert text.splitlines()[1] == "0.100000\t0.400000\tdog bark"  # sorted by onset
    assert [(r.start, r.label) for r in read_regions(path).regions] == [(0.1, "dog bark"), (1.25, "7")]


def test_dcase_row_without_offset_names_the_line(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("onset\toffset\tevent_label\n0.5\n")
    with pytest.raises(AnnotationFormatError, match="line 2"):
        read_regions(path)
